package org.arvdm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

/**
 * The whole service on a random port over the tiny TorchScript bundles in
 * src/test/resources/bundles (loaded through DJL on the CPU), with the tiny evaluation sets in
 * src/test/resources/eval. Test classes that share it share one application context. Every answer
 * is checked against openapi.yaml ({@link ResponseContract}): a test fails after an answer that breaks it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.limits.max-frames=64",
            "arvdm.limits.max-body-bytes=1000000",
            "arvdm.evaluation.set-dir=src/test/resources/eval",
            "arvdm.keep-alive=200ms",
            "arvdm.sessions.idle-timeout=3s",
            "arvdm.sessions.max-sessions=6",
            "arvdm.sessions.max-queued-actions=8",
            "arvdm.sessions.replay-frames=16"
        })
@Import(ResponseContract.Recorder.class)
@ExtendWith(ResponseContract.Check.class)
public @interface TinyBundleServiceTest {}
