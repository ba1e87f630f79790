package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.arvdm.generation.Admission;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.generation.EngineFailure;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The evaluation stream: event order, failures as the last event, the admission place given back. */
class EvaluationServiceTest {

    static EvaluationService service(List<EvaluationReport> reports) {
        return new EvaluationService(
                1, new Admission(1, 0, Duration.ofSeconds(1), m -> new AtomicInteger()), reports::add);
    }

    @Test
    void streamsStartedProgressPerTrajectoryThenTheReportAndHandsItToTheListener() throws Exception {
        List<EvaluationReport> reports = new ArrayList<>();
        EvaluationService service = service(reports);
        Evaluation e =
                EvaluatorTest.evaluation(EvaluatorTest.set(), new EvaluatorTest.ConstantNetwork(new float[768]), 3);
        StepVerifier.create(service.evaluate(e))
                .assertNext(ev -> assertThat(ev).isInstanceOf(EvaluationEvent.Started.class))
                .assertNext(ev -> assertThat(
                                ((EvaluationEvent.Progressed) ev).progress().generated())
                        .isEmpty())
                .assertNext(ev -> assertThat(
                                ((EvaluationEvent.Progressed) ev).progress().index())
                        .isEqualTo(1))
                .assertNext(ev -> assertThat(
                                ((EvaluationEvent.Reported) ev).report().frames())
                        .isEqualTo(3))
                .verifyComplete();
        assertThat(reports).hasSize(1);
        assertThat(service.admission().inFlight()).isZero();
        service.shutdown(Duration.ofSeconds(1));
    }

    @Test
    void aNetworkFailureEndsTheStreamWithAnErrorEventAndFreesThePlace() throws Exception {
        List<EvaluationReport> reports = new ArrayList<>();
        EvaluationService service = service(reports);
        CallGateway broken = new CallGateway() {
            @Override
            public float[] denoise(DenoiseCall call) {
                throw new IllegalStateException("boom");
            }

            @Override
            public float[] encode(EncodeCall call) {
                throw new IllegalStateException("boom");
            }
        };
        Evaluation e = EvaluatorTest.evaluation(EvaluatorTest.set(), broken, 3);
        StepVerifier.create(service.evaluate(e))
                .assertNext(ev -> assertThat(ev).isInstanceOf(EvaluationEvent.Started.class))
                .assertNext(ev -> {
                    EvaluationEvent.Failed f = (EvaluationEvent.Failed) ev;
                    assertThat(f.failure().kind()).isEqualTo(EngineFailure.Kind.INFERENCE);
                    assertThat(f.failure().getMessage()).isEqualTo("IllegalStateException: boom");
                })
                .verifyComplete();
        assertThat(reports).isEmpty();
        assertThat(service.admission().inFlight()).isZero();
        service.shutdown(Duration.ofSeconds(1));
    }
}
