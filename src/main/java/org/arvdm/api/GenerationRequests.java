package org.arvdm.api;

import java.util.List;
import java.util.Locale;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;

/**
 * Turns a parsed request body into the engine planner's typed overrides ({@link GenerationPlanner.Request}):
 * images stay encoded until the planner asks for them, and what only the wire cares about (the
 * output format) is checked here. Planning itself, with every default, is the engine's.
 */
final class GenerationRequests {
    private GenerationRequests() {}

    /** How frames go on the wire: png or jpeg, and the JPEG quality. */
    record Output(String format, int quality) {}

    /** A planned generation with how its frames go on the wire. */
    record Planned(GenerationPlanner.Planned planned, Output output, boolean deterministic) {
        GenerationPlan plan() {
            return planned.plan();
        }

        String format() {
            return output.format();
        }

        int quality() {
            return output.quality();
        }
    }

    static Planned plan(GenerationPlanner planner, GenerationRequest r, ModelManifest m) {
        GenerationPlanner.Planned planned = planner.plan(m, request(r, m));
        return new Planned(planned, output(r.output()), Boolean.TRUE.equals(r.deterministic()));
    }

    /** The output format (png by default, jpg meaning jpeg) and JPEG quality (90 by default). */
    static Output output(GenerationRequest.Output output) {
        String format = "png";
        int quality = 90;
        if (output != null) {
            if (output.format() != null) {
                format = output.format().toLowerCase(Locale.ROOT);
                if (format.equals("jpg")) {
                    format = "jpeg";
                }
                if (!format.equals("png") && !format.equals("jpeg")) {
                    throw ApiException.badRequest(
                            "output.format", "must be png or jpeg, got '" + ApiErrors.echo(output.format()) + "'");
                }
            }
            if (output.quality() != null) {
                quality = output.quality();
                if (quality < 1 || quality > 100) {
                    throw ApiException.badRequest("output.quality", "must be in 1..100, got " + quality);
                }
            }
        }
        return new Output(format, quality);
    }

    static GenerationPlanner.Request request(GenerationRequest r, ModelManifest m) {
        GenerationRequest.Context ctx = r.context();
        return new GenerationPlanner.Request(
                context(ctx == null ? null : ctx.frames(), m.frame(), "context.frames"),
                ctx == null ? null : ctx.actions(),
                r.actions(),
                r.frames(),
                schedule(r.schedule()),
                memoryFrames(r.memory()),
                r.seed(),
                Boolean.TRUE.equals(r.previews()));
    }

    /** Base64 images that the planner decodes one by one, each refusal naming {@code field[i]}. */
    static GenerationPlanner.Context context(List<String> images, ModelManifest.Frame shape, String field) {
        List<String> list = images == null ? List.of() : images;
        return new GenerationPlanner.Context() {
            @Override
            public int count() {
                return list.size();
            }

            @Override
            public float[] frame(int i) {
                return ImageCodec.decode(list.get(i), shape, field + "[" + i + "]");
            }
        };
    }

    static GenerationPlanner.Schedule schedule(GenerationRequest.Schedule s) {
        return s == null
                ? GenerationPlanner.Schedule.DEFAULT
                : new GenerationPlanner.Schedule(
                        s.stride(), s.inputLevels(), s.outputLevels(), s.arSteps(), s.initSteps(), s.eta());
    }

    static Integer memoryFrames(GenerationRequest.Memory m) {
        return m == null ? null : m.frames();
    }
}
