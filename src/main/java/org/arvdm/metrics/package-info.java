/**
 * The service's Micrometer meters (per-step latency, batch sizes, memory budgets, queues,
 * sessions, evaluation gauges), registered with their descriptions and units; the engine reaches
 * them only through its observer interface.
 */
package org.arvdm.metrics;
