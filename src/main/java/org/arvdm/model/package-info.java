/**
 * Model bundles: the manifest ({@code model.json}) and its validation, loading TorchScript
 * networks through DJL's PyTorch engine on the chosen device ({@code TorchNetworks},
 * {@code DeviceSpec}), warm-up, and the registry of loaded models that owns their native memory.
 */
package org.arvdm.model;
