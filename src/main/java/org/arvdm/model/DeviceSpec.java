package org.arvdm.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Turns {@code arvdm.device} ({@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}) into a DJL device. */
public final class DeviceSpec {
    private DeviceSpec() {}

    public static Device resolve(String spec, Engine engine) {
        return resolve(spec, engine.getGpuCount());
    }

    /** The device for {@code spec} on a machine where the engine sees {@code gpus} GPUs. */
    public static Device resolve(String spec, int gpus) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("auto")) {
            return gpus > 0 ? Device.gpu() : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:")) {
            int id = s.equals("gpu") ? 0 : parseId(s);
            if (id < 0 || id >= gpus) {
                throw new IllegalArgumentException("arvdm.device=" + spec + " but the PyTorch engine sees " + gpus
                        + " GPU(s); use cpu or auto, or install the CUDA natives (see docs/deployment.md)");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("arvdm.device must be auto, cpu, gpu or gpu:N, got '" + spec + "'");
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s.substring(4));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("arvdm.device: '" + s + "' is not gpu:N with a number N");
        }
    }
}
