/**
 * A bundle's manifest ({@code model.json}) as the engine and every other package read it: frame
 * shape, actions, window, diffusion, memory, sampling defaults and training record. Plain records
 * with no behaviour beyond derived sizes, so the engine can plan from a manifest without depending
 * on how bundles are loaded ({@code model}, which validates the manifest and loads the networks).
 */
package org.arvdm.manifest;
