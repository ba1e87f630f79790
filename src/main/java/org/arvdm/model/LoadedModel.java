package org.arvdm.model;

import java.nio.file.Path;
import org.arvdm.generation.CallGateway;
import org.arvdm.manifest.ModelManifest;

/**
 * A bundle that loaded and warmed up: its manifest, its networks and the gateway generations
 * call them through. Owned by {@link ModelRegistry}, which closes it.
 */
public record LoadedModel(
        ModelManifest manifest,
        Path dir,
        TorchNetworks networks,
        CallGateway gateway,
        String device,
        double loadMs,
        double warmupMs)
        implements AutoCloseable {

    public String id() {
        return manifest.id();
    }

    /**
     * A gateway that runs each of the caller's network calls alone, on the caller's thread: what a
     * {@code deterministic} generation uses, so its numbers never depend on what it was batched with.
     */
    public CallGateway unbatched() {
        return CallGateway.direct(networks);
    }

    @Override
    public void close() {
        gateway.close();
        networks.close();
    }
}
