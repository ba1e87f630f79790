package org.arvdm.diagnostics;

/** What an evaluation stream carries, before the API layer turns it into SSE or JSON. */
public sealed interface EvaluationEvent {

    record Started(String id, Evaluation evaluation) implements EvaluationEvent {}

    /** One trajectory finished; {@code progress.generated()} is left out (empty) on the stream. */
    record Progressed(Evaluator.Progress progress) implements EvaluationEvent {}

    record Reported(EvaluationReport report) implements EvaluationEvent {}

    /** Always the last event when it occurs: why the evaluation did not finish (never {@code CANCELLED}). */
    record Failed(org.arvdm.generation.EngineFailure failure) implements EvaluationEvent {}
}
