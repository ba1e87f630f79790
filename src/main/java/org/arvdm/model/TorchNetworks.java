package org.arvdm.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.generation.Networks;
import org.arvdm.manifest.ModelManifest;

/**
 * A bundle's TorchScript networks loaded through DJL's PyTorch engine.
 * <p>
 * Native memory: every call opens a sub-manager of the model's manager, creates the batched
 * inputs in it, runs the module (PyTorch attaches outputs to the first input's manager),
 * copies the result to the heap and closes the sub-manager, so no NDArray outlives a call.
 * {@link #close()} frees the modules themselves.
 */
public final class TorchNetworks implements Networks, AutoCloseable {
    private final ModelManifest manifest;
    private final Model denoiser;
    private final Model encoder;
    private final int frameSize;
    private final int actionSize;

    private TorchNetworks(ModelManifest manifest, Model denoiser, Model encoder) {
        this.manifest = manifest;
        this.denoiser = denoiser;
        this.encoder = encoder;
        this.frameSize = manifest.frame().size();
        this.actionSize = manifest.actions().vectorSize();
    }

    public ModelManifest manifest() {
        return manifest;
    }

    /** Loads {@code denoiser.pt} (and {@code memory_encoder.pt} for kind tokens) from the bundle folder. */
    public static TorchNetworks load(Path dir, ModelManifest manifest, Device device)
            throws IOException, MalformedModelException {
        Model den = loadModule(dir, "denoiser", device);
        Model enc = null;
        try {
            if ("tokens".equals(manifest.memory().kind())) {
                enc = loadModule(dir, "memory_encoder", device);
            }
            return new TorchNetworks(manifest, den, enc);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            den.close();
            throw e;
        }
    }

    private static Model loadModule(Path dir, String name, Device device) throws IOException, MalformedModelException {
        if (!Files.isRegularFile(dir.resolve(name + ".pt"))) {
            throw new IOException(name + ".pt is missing");
        }
        Model model = Model.newInstance(name, device, "PyTorch");
        try {
            model.load(dir, name, Map.of("mapLocation", "true"));
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public List<float[]> denoise(List<DenoiseCall> batch) {
        int b = batch.size();
        DenoiseCall first = batch.get(0);
        int w = first.levels().length;
        int slots = first.memorySlots();
        ModelManifest.Frame f = manifest.frame();
        String kind = manifest.memory().kind();
        int memWidth = "tokens".equals(kind) ? manifest.memory().tokenDim() : frameSize;
        int memActionSlots = "frames".equals(kind) ? slots : 0;
        try (NDManager scope = denoiser.getNDManager().newSubManager()) {
            float[] x = new float[b * w * frameSize];
            long[] levels = new long[b * w];
            float[] actions = new float[b * w * actionSize];
            float[] memory = new float[b * slots * memWidth];
            float[] memActions = new float[b * memActionSlots * actionSize];
            boolean[] mask = new boolean[b * slots];
            for (int i = 0; i < b; i++) {
                DenoiseCall c = batch.get(i);
                if (c.memorySlots() != slots || c.levels().length != w) {
                    throw new IllegalArgumentException("samples of one batch must share window and memory slots");
                }
                System.arraycopy(c.x(), 0, x, i * w * frameSize, w * frameSize);
                System.arraycopy(c.levels(), 0, levels, i * w, w);
                System.arraycopy(c.actions(), 0, actions, i * w * actionSize, w * actionSize);
                System.arraycopy(c.memory(), 0, memory, i * slots * memWidth, slots * memWidth);
                System.arraycopy(
                        c.memoryActions(), 0, memActions, i * memActionSlots * actionSize, memActionSlots * actionSize);
                System.arraycopy(c.memoryMask(), 0, mask, i * slots, slots);
            }
            Shape memShape = "tokens".equals(kind)
                    ? new Shape(b, slots, memWidth)
                    : new Shape(b, slots, f.channels(), f.height(), f.width());
            NDList in = new NDList(
                    scope.create(x, new Shape(b, w, f.channels(), f.height(), f.width())),
                    scope.create(levels, new Shape(b, w)),
                    scope.create(actions, new Shape(b, w, actionSize)),
                    scope.create(memory, memShape),
                    scope.create(memActions, new Shape(b, memActionSlots, actionSize)),
                    scope.create(mask, new Shape(b, slots)));
            float[] out = run(denoiser, scope, in, b * w * frameSize);
            List<float[]> result = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                float[] o = new float[w * frameSize];
                System.arraycopy(out, i * w * frameSize, o, 0, o.length);
                result.add(o);
            }
            return result;
        }
    }

    @Override
    public List<float[]> encodeMemory(List<EncodeCall> batch) {
        if (encoder == null) {
            throw new IllegalStateException("model " + manifest.id() + " has no memory encoder");
        }
        int b = batch.size();
        int m = batch.get(0).slots();
        ModelManifest.Frame f = manifest.frame();
        int k = manifest.memory().tokens();
        int d = manifest.memory().tokenDim();
        try (NDManager scope = encoder.getNDManager().newSubManager()) {
            float[] frames = new float[b * m * frameSize];
            float[] actions = new float[b * m * actionSize];
            boolean[] mask = new boolean[b * m];
            for (int i = 0; i < b; i++) {
                EncodeCall c = batch.get(i);
                if (c.slots() != m) {
                    throw new IllegalArgumentException("samples of one batch must share memory slots");
                }
                System.arraycopy(c.frames(), 0, frames, i * m * frameSize, m * frameSize);
                System.arraycopy(c.actions(), 0, actions, i * m * actionSize, m * actionSize);
                System.arraycopy(c.mask(), 0, mask, i * m, m);
            }
            NDList in = new NDList(
                    scope.create(frames, new Shape(b, m, f.channels(), f.height(), f.width())),
                    scope.create(actions, new Shape(b, m, actionSize)),
                    scope.create(mask, new Shape(b, m)));
            float[] out = run(encoder, scope, in, b * k * d);
            List<float[]> result = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                float[] o = new float[k * d];
                System.arraycopy(out, i * k * d, o, 0, o.length);
                result.add(o);
            }
            return result;
        }
    }

    private static float[] run(Model model, NDManager scope, NDList in, int expected) {
        NDList outList = model.getBlock().forward(new ParameterStore(scope, false), in, false);
        NDArray out = outList.singletonOrThrow();
        float[] values =
                out.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        if (values.length != expected) {
            throw new IllegalStateException(model.getName() + " returned " + out.getShape() + " (" + values.length
                    + " values), expected " + expected);
        }
        return values;
    }

    /** Live NDArrays under this model's managers (the module's own parameters between calls when nothing leaks). */
    public int liveArrays() {
        int n = denoiser.getNDManager().getManagedArrays().size();
        if (encoder != null) {
            n += encoder.getNDManager().getManagedArrays().size();
        }
        return n;
    }

    @Override
    public void close() {
        denoiser.close();
        if (encoder != null) {
            encoder.close();
        }
    }
}
