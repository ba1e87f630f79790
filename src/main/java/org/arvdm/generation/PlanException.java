package org.arvdm.generation;

/**
 * A request the planner refuses before any work: {@link #field()} is the request field at fault
 * by its JSON path, {@link #rule()} the rule it breaks (null for plain bounds and shapes), and
 * the message starts with the field. {@link #unknown()} marks a name that refers to nothing
 * (an unknown evaluation set), which the API answers with 404 rather than 400.
 */
public class PlanException extends IllegalArgumentException {
    private final String field;
    private final String rule;
    private final boolean unknown;

    public PlanException(String field, String rule, String message) {
        this(field, rule, message, false);
    }

    private PlanException(String field, String rule, String message, boolean unknown) {
        super(message);
        this.field = field;
        this.rule = rule;
        this.unknown = unknown;
    }

    /** {@code field} breaks a bound or a shape: the message is {@code "field: why"}. */
    public static PlanException of(String field, String why) {
        return new PlanException(field, null, field + ": " + why);
    }

    /** {@code field} names nothing the service has; {@code message} is the whole detail. */
    public static PlanException unknown(String field, String message) {
        return new PlanException(field, null, message, true);
    }

    /** Longest piece of a client's value echoed back in a detail. */
    public static final int MAX_ECHO = 64;

    /** A client's value as echoed in a detail: at most {@link #MAX_ECHO} characters. */
    public static String echo(Object value) {
        String s = String.valueOf(value);
        if (s.length() <= MAX_ECHO) {
            return s;
        }
        return s.substring(0, MAX_ECHO) + "… (" + s.length() + " characters)";
    }

    public String field() {
        return field;
    }

    public String rule() {
        return rule;
    }

    public boolean unknown() {
        return unknown;
    }
}
