/**
 * The offline report ({@code ReportCommand}, run by {@code mvn exec:java}): evaluates every bundle on
 * the bundled sets and writes docs/results.md with its Pareto chart and frame strips. Not part of
 * the service's request path: nothing in the service depends on this package.
 */
package org.arvdm.report;
