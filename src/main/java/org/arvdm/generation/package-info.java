/**
 * The engine: the Meta-ARVDM auto-regressive loop ({@code ArLoop}, {@code ArGenerator}) with its
 * validated schedules ({@code ArSchedule}) and DDIM sampler, the plan a request becomes
 * ({@code GenerationPlan}), the gateway that batches network calls across generations
 * ({@code BatchingGateway}), admission and the job runner ({@code GenerationService}), the typed
 * failures it reports and the observer through which metrics see it. No Spring, no HTTP, no DJL:
 * networks are reached through the {@code Networks} port.
 */
package org.arvdm.generation;
