/**
 * Evaluation: the bundled evaluation sets, the evaluator that runs a model over a set's
 * trajectories (error accumulation, memory retrieval, controllability), the image measures
 * (PSNR, SSIM, sharpness) and the scoring; plus the offline report command that writes
 * docs/results.md with its charts and strips.
 */
package org.arvdm.diagnostics;
