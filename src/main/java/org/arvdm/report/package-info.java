/**
 * The offline report ({@code ReportCommand}, run by {@code mvn exec:java}): evaluates every bundle on
 * the bundled sets of the world it was trained in and writes docs/results.md, one part per world, with
 * its Pareto charts, frame strips and (worlds with a controllability set) the bars each bundle meets.
 * Not part of the service's request path: nothing in the service depends on this package.
 */
package org.arvdm.report;
