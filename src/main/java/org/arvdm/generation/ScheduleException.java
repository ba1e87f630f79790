package org.arvdm.generation;

/**
 * A schedule that breaks one of the rules of {@code docs/meta-arvdm.md}. {@link #field()} is
 * the request field at fault, {@link #rule()} the rule's name ({@code monotonicity},
 * {@code circularity}, {@code boundary}, or {@code range} for plain bounds).
 */
public final class ScheduleException extends IllegalArgumentException {
    private final String field;
    private final String rule;

    public ScheduleException(String field, String rule, String message) {
        super(message);
        this.field = field;
        this.rule = rule;
    }

    public String field() {
        return field;
    }

    public String rule() {
        return rule;
    }
}
