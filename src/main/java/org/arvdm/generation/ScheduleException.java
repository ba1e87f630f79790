package org.arvdm.generation;

/**
 * A schedule that breaks one of the rules of {@code docs/meta-arvdm.md}. {@link #field()} is
 * the request field at fault, {@link #rule()} the rule's name ({@code monotonicity},
 * {@code circularity}, {@code boundary}, or {@code range} for plain bounds).
 */
public final class ScheduleException extends PlanException {

    public ScheduleException(String field, String rule, String message) {
        super(field, rule, message);
    }
}
