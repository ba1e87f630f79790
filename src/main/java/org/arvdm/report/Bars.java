package org.arvdm.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.arvdm.diagnostics.Controllability;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.Scoring;

/**
 * The bars of issue 15 for a world model that follows its actions, checked against a bundle's reports
 * (its controllability report, and its accumulation report for the PSNR bar): every value is read from
 * the reports, only the bounds are fixed here.
 */
final class Bars {
    private Bars() {}

    /** Turns: controllability share of {@code left} and {@code right}, all states. */
    static final double TURNS = 0.95;
    /** Moves: controllability share of {@code forward} and {@code back}, all states and new views. */
    static final double MOVES = 0.90;
    /** Noop: controllability share of {@code noop}. */
    static final double NOOP = 0.98;
    /** Each action's (but noop's) frame change within these times the truth's. */
    static final double CHANGE_LOW = 0.7;

    static final double CHANGE_HIGH = 1.3;
    /** Noop: generated frame change under this (0–255 scale). */
    static final double NOOP_CHANGE = 2.0;
    /** Sharpness ratio over the first {@link Controllability#SHARPNESS_FRAMES} frames within these. */
    static final double SHARP_LOW = 0.85;

    static final double SHARP_HIGH = 1.15;
    /** PSNR over the first interval (0–16) at least this many dB above repeating the last context frame. */
    static final double PSNR_GAIN = 3.0;

    static final String NOOP_ACTION = "noop";
    static final List<String> TURN_ACTIONS = List.of("left", "right");
    static final List<String> MOVE_ACTIONS = List.of("forward", "back");

    /** One bar: a short name, what is measured, and what is needed. */
    record Bar(String name, String measured, String needed) {}

    /**
     * One bar checked on one bundle.
     *
     * @param shown the value(s) to print ("–" when not measured)
     * @param met   null when the reports do not hold what the bar needs
     */
    record Check(Bar bar, String shown, Boolean met) {
        String cell() {
            return met == null ? "–" : (met ? "✓ " : "✗ ") + shown;
        }
    }

    static final List<Bar> ALL = List.of(
            new Bar(
                    "turns",
                    "controllability share of " + String.join(" and ", TURN_ACTIONS) + " (the lower), all states",
                    "≥ " + fmt(TURNS, 2)),
            new Bar(
                    "moves",
                    "controllability share of " + String.join(" and ", MOVE_ACTIONS)
                            + " (the lowest of all states and new views)",
                    "≥ " + fmt(MOVES, 2)),
            new Bar("noop", "controllability share of " + NOOP_ACTION + ", all states", "≥ " + fmt(NOOP, 2)),
            new Bar(
                    "frame change",
                    "free running: each action's (but " + NOOP_ACTION
                            + "'s) mean frame change, generated / true (lowest–highest)",
                    fmt(CHANGE_LOW, 1) + "–" + fmt(CHANGE_HIGH, 1)),
            new Bar(
                    "noop change",
                    "free running: mean frame change after " + NOOP_ACTION + ", generated, 0–255 scale",
                    "< " + fmt(NOOP_CHANGE, 0) + " (of 255)"),
            new Bar(
                    "sharpness",
                    "free running: gradient energy, generated / true, first " + Controllability.SHARPNESS_FRAMES
                            + " frames of each trajectory",
                    fmt(SHARP_LOW, 2) + "–" + fmt(SHARP_HIGH, 2)),
            new Bar(
                    "PSNR gain",
                    "PSNR " + Scoring.INTERVALS.get(0).label()
                            + " minus the baseline's (repeat the last context frame), on the accumulation set"
                            + " (the controllability set's trajectories when there is none)",
                    "≥ " + fmt(PSNR_GAIN, 0) + " dB"));

    /** Every bar of {@link #ALL}, in order, on a bundle's reports (either may be null). */
    static List<Check> check(EvaluationReport controllability, EvaluationReport accumulation) {
        Controllability c = controllability == null ? null : controllability.controllability();
        List<Check> out = new ArrayList<>();
        out.add(atLeast(ALL.get(0), c == null ? null : c.hits(), TURN_ACTIONS, TURNS));
        out.add(moves(ALL.get(1), c));
        out.add(atLeast(ALL.get(2), c == null ? null : c.hits(), List.of(NOOP_ACTION), NOOP));
        out.add(changeRatio(ALL.get(3), c));
        Controllability.Change noop = c == null ? null : c.change().get(NOOP_ACTION);
        out.add(
                noop == null
                        ? new Check(ALL.get(4), "–", null)
                        : new Check(ALL.get(4), fmt(noop.generated(), 2), noop.generated() < NOOP_CHANGE));
        Double sharp = c == null ? null : c.sharpness();
        out.add(
                sharp == null
                        ? new Check(ALL.get(5), "–", null)
                        : new Check(ALL.get(5), fmt(sharp, 2), sharp >= SHARP_LOW && sharp <= SHARP_HIGH));
        Double gain = psnrGain(accumulation != null ? accumulation : controllability);
        out.add(
                gain == null
                        ? new Check(ALL.get(6), "–", null)
                        : new Check(ALL.get(6), String.format(Locale.ROOT, "%+.2f dB", gain), gain >= PSNR_GAIN));
        return out;
    }

    /** The lowest share of the actions; not measured when an action has none. */
    private static Check atLeast(Bar bar, Map<String, Double> shares, List<String> actions, double bound) {
        Double low = lowest(shares, actions);
        return low == null ? new Check(bar, "–", null) : new Check(bar, fmt(low, 2), low >= bound);
    }

    private static Check moves(Bar bar, Controllability c) {
        if (c == null) {
            return new Check(bar, "–", null);
        }
        Double all = lowest(c.hits(), MOVE_ACTIONS);
        if (all == null) {
            return new Check(bar, "–", null);
        }
        // states without a new view after a move leave hitsNewViews null: the bar then rests on all states
        Double fresh = lowest(c.hitsNewViews(), MOVE_ACTIONS);
        double low = fresh == null ? all : Math.min(all, fresh);
        return new Check(bar, fmt(all, 2) + " (new views " + (fresh == null ? "–" : fmt(fresh, 2)) + ")", low >= MOVES);
    }

    private static Double lowest(Map<String, Double> shares, List<String> actions) {
        if (shares == null) {
            return null;
        }
        double low = Double.POSITIVE_INFINITY;
        for (String a : actions) {
            Double v = shares.get(a);
            if (v == null) {
                return null;
            }
            low = Math.min(low, v);
        }
        return low;
    }

    private static Check changeRatio(Bar bar, Controllability c) {
        if (c == null) {
            return new Check(bar, "–", null);
        }
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Controllability.Change> e : c.change().entrySet()) {
            if (!NOOP_ACTION.equals(e.getKey()) && e.getValue().ratio() != null) {
                low = Math.min(low, e.getValue().ratio());
                high = Math.max(high, e.getValue().ratio());
            }
        }
        if (low > high) {
            return new Check(bar, "–", null);
        }
        return new Check(bar, fmt(low, 2) + "–" + fmt(high, 2), low >= CHANGE_LOW && high <= CHANGE_HIGH);
    }

    /** PSNR of the first interval minus the baseline's; null without both. */
    static Double psnrGain(EvaluationReport r) {
        if (r == null
                || r.scores().intervals().isEmpty()
                || r.baseline().intervals().isEmpty()) {
            return null;
        }
        Double model = r.scores().intervals().get(0).psnrMean();
        Double base = r.baseline().intervals().get(0).psnrMean();
        return model == null || base == null ? null : model - base;
    }

    private static String fmt(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
