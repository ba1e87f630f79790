package org.arvdm.diagnostics;

import java.util.List;
import org.arvdm.generation.ArSchedule;
import org.arvdm.generation.CallGateway;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.memory.MemoryModule;

/**
 * One evaluation run, validated: a model (through the same gateway generations use), the
 * trajectories, and how to generate. Trajectory i is generated with seed {@code seed + i}, so
 * {@code POST /v1/generations} with that seed, the trajectory's first {@code contextFrames}
 * frames and actions, and its later actions reproduces the frames scored here.
 *
 * @param set                 name of the bundled set, or {@code uploaded}
 * @param trajectories        each longer than {@code contextFrames}, actions in the model's space
 * @param contextFrames       leading frames of each trajectory given as context (at least 1)
 * @param maxFrames           generated frames per trajectory at most (the rest of the trajectory when larger)
 * @param retrievalThreshold  a revisit frame counts as retrieved when its SSIM is above this
 * @param deadlineNanos       System.nanoTime() past which the run stops (Long.MAX_VALUE for none)
 * @param states              controllability states to probe (empty unless the set is a controllability set)
 */
public record Evaluation(
        String model,
        ModelManifest manifest,
        CallGateway gateway,
        String set,
        List<EvaluationSet.Trajectory> trajectories,
        int contextFrames,
        int maxFrames,
        ArSchedule schedule,
        MemoryModule memory,
        long seed,
        double retrievalThreshold,
        long deadlineNanos,
        List<EvaluationSet.ControlState> states) {

    /** Default threshold: as models/training/evaluate.py; see docs/evaluation.md for why 0.5. */
    public static final double DEFAULT_RETRIEVAL_THRESHOLD = 0.5;

    public static final String UPLOADED = "uploaded";

    /** An evaluation without controllability states. */
    public Evaluation(
            String model,
            ModelManifest manifest,
            CallGateway gateway,
            String set,
            List<EvaluationSet.Trajectory> trajectories,
            int contextFrames,
            int maxFrames,
            ArSchedule schedule,
            MemoryModule memory,
            long seed,
            double retrievalThreshold,
            long deadlineNanos) {
        this(
                model,
                manifest,
                gateway,
                set,
                trajectories,
                contextFrames,
                maxFrames,
                schedule,
                memory,
                seed,
                retrievalThreshold,
                deadlineNanos,
                List.of());
    }

    public Evaluation {
        trajectories = List.copyOf(trajectories);
        states = List.copyOf(states);
        if (trajectories.isEmpty()) {
            throw new IllegalArgumentException("an evaluation needs at least one trajectory");
        }
        if (contextFrames < 1 || maxFrames < 1) {
            throw new IllegalArgumentException("contextFrames and maxFrames must be at least 1");
        }
        for (EvaluationSet.Trajectory t : trajectories) {
            if (t.length() <= contextFrames) {
                throw new IllegalArgumentException("trajectory " + t.id() + " has " + t.length()
                        + " frames, not more than the " + contextFrames + " context frames");
            }
        }
    }

    /** Frames generated for trajectory {@code t}. */
    public int framesFor(EvaluationSet.Trajectory t) {
        return Math.min(maxFrames, t.length() - contextFrames);
    }

    /** The most frames generated for any trajectory. */
    public int frames() {
        return trajectories.stream().mapToInt(this::framesFor).max().orElse(0);
    }

    public long seedFor(int trajectory) {
        return seed + trajectory;
    }

    /** What the memory module hands the network: unit ({@code frames}, {@code tokens}, {@code none}) and budget. */
    public record MemoryUsed(String unit, int budget) {}

    public MemoryUsed memoryUsed() {
        return new MemoryUsed(memory.unit(), memory.budget());
    }
}
