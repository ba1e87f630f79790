package org.arvdm.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.arvdm.manifest.ModelManifest;

/** Checks a parsed manifest against the bundle contract; each problem is one readable line. */
final class ManifestValidator {

    static final Set<String> ARCHITECTURES =
            Set.of("none", "prepend", "channel_concat", "cross_attention", "compressed_joint", "compressed_modulated");
    static final Set<String> KINDS = Set.of("none", "frames", "tokens");
    static final Set<String> PREDICTIONS = Set.of("eps", "v", "x0");

    private ManifestValidator() {}

    static List<String> problems(ModelManifest m, String folderName) {
        List<String> p = new ArrayList<>();
        if (m.id() == null || !m.id().equals(folderName)) {
            p.add("id: must equal the folder name '" + folderName + "', got '" + m.id() + "'");
        }
        if (m.frame() == null
                || m.frame().channels() < 1
                || m.frame().height() < 1
                || m.frame().width() < 1) {
            p.add("frame: channels, height and width must be positive");
        } else if (m.frame().channels() != 1 && m.frame().channels() != 3) {
            p.add("frame.channels: must be 1 or 3, got " + m.frame().channels());
        }
        checkActions(m.actions(), p);
        checkDiffusion(m.diffusion(), p);
        if (m.window() == null || m.window().frames() < 1) {
            p.add("window.frames: must be at least 1");
        } else if (m.window().stride() < 1 || m.window().stride() > m.window().frames()) {
            p.add("window.stride: must be in 1..window.frames, got "
                    + m.window().stride());
        }
        if (m.sampling() == null || m.sampling().arSteps() < 1 || m.sampling().initSteps() < 1) {
            p.add("sampling: ar_steps and init_steps must be at least 1");
        } else if (m.sampling().eta() < 0 || m.sampling().eta() > 1) {
            p.add("sampling.eta: must be in [0, 1], got " + m.sampling().eta());
        }
        checkMemory(m.memory(), p);
        return p;
    }

    private static void checkActions(ModelManifest.Actions a, List<String> p) {
        if (a == null || a.type() == null) {
            p.add("actions.type: required (discrete or vector)");
        } else if (a.discrete()) {
            if (a.names() == null || a.names().isEmpty()) {
                p.add("actions.names: a discrete space needs at least one name");
            } else if (Set.copyOf(a.names()).size() != a.names().size()) {
                p.add("actions.names: names must be unique");
            }
        } else if ("vector".equals(a.type())) {
            if (a.size() == null || a.size() < 1) {
                p.add("actions.size: a vector space needs a positive size");
            }
        } else {
            p.add("actions.type: must be discrete or vector, got '" + a.type() + "'");
        }
    }

    private static void checkDiffusion(ModelManifest.Diffusion d, List<String> p) {
        if (d == null || d.timesteps() < 1) {
            p.add("diffusion.timesteps: must be at least 1");
            return;
        }
        double[] ac = d.alphasCumprod();
        if (ac == null || ac.length != d.timesteps() + 1) {
            p.add("diffusion.alphas_cumprod: must hold timesteps+1 = " + (d.timesteps() + 1) + " values, got "
                    + (ac == null ? 0 : ac.length));
        } else {
            if (Math.abs(ac[0] - 1.0) > 1e-6) {
                p.add("diffusion.alphas_cumprod: index 0 must be 1.0, got " + ac[0]);
            }
            for (int t = 1; t < ac.length; t++) {
                if (!(ac[t] > 0) || ac[t] > ac[t - 1] || ac[t] >= 1.0) {
                    p.add("diffusion.alphas_cumprod: must decrease strictly inside (0, 1) after index 0; index " + t
                            + " is " + ac[t]);
                    break;
                }
            }
        }
        if (d.prediction() == null || !PREDICTIONS.contains(d.prediction())) {
            p.add("diffusion.prediction: must be one of " + PREDICTIONS + ", got '" + d.prediction() + "'");
        }
    }

    private static void checkMemory(ModelManifest.Memory mem, List<String> p) {
        if (mem == null) {
            p.add("memory: required");
            return;
        }
        if (mem.architecture() == null || !ARCHITECTURES.contains(mem.architecture())) {
            p.add("memory.architecture: must be one of " + ARCHITECTURES + ", got '" + mem.architecture() + "'");
        }
        if (mem.kind() == null || !KINDS.contains(mem.kind())) {
            p.add("memory.kind: must be one of " + KINDS + ", got '" + mem.kind() + "'");
            return;
        }
        if (!"none".equals(mem.kind()) && mem.frames() < 1) {
            p.add("memory.frames: must be at least 1 for memory.kind " + mem.kind());
        }
        if ("tokens".equals(mem.kind())
                && (mem.tokens() == null || mem.tokens() < 1 || mem.tokenDim() == null || mem.tokenDim() < 1)) {
            p.add("memory.tokens, memory.token_dim: required and positive for memory.kind tokens");
        }
    }
}
