package org.arvdm.model;

import java.nio.file.Path;

import org.arvdm.generation.CallGateway;

/**
 * A bundle that loaded and warmed up: its manifest, its networks and the gateway generations
 * call them through. Owned by {@link ModelRegistry}, which closes it.
 */
public record LoadedModel(ModelManifest manifest, Path dir, TorchNetworks networks, CallGateway gateway,
                          String device, double loadMs, double warmupMs) implements AutoCloseable {

    public String id() {
        return manifest.id();
    }

    @Override
    public void close() {
        gateway.close();
        networks.close();
    }
}
