/**
 * The service's Micrometer meters (per-step latency, batch sizes, memory budgets, queues,
 * sessions, evaluation gauges) in one {@code MeterBinder}, registered with their descriptions and
 * units when it is bound at start (a model's when it loads); the engine and the sessions reach
 * it only through their observer ports, {@code EngineObserver} and {@code SessionObserver}.
 */
package org.arvdm.metrics;
