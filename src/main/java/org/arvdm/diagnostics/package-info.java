/**
 * Evaluation: the bundled evaluation sets, the evaluator that runs a model over a set's
 * trajectories (error accumulation, memory retrieval, controllability), the image measures
 * (PSNR, SSIM, sharpness) and the scoring. The offline report that writes docs/results.md lives in
 * {@code report}, the pixel conversions in {@code image}.
 */
package org.arvdm.diagnostics;
