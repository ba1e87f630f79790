package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.arvdm.generation.GenerationService;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client that closes its socket at any phase of a generation (before the response headers,
 * while queued, while running, between frames) stops its generation: the worker, the admission
 * place, the gauges and the native arrays all return to their baseline, with keep-alive comments
 * far apart so that no keep-alive write is what notices. Raw sockets, so the close is the
 * client's and nothing else.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.workers=1",
            "arvdm.batching.max-batch-size=1",
            "arvdm.admission.max-queued=4",
            "arvdm.limits.max-frames=64",
            "arvdm.keep-alive=10m"
        })
@org.springframework.context.annotation.Import(org.arvdm.ResponseContract.Recorder.class)
@org.junit.jupiter.api.extension.ExtendWith(org.arvdm.ResponseContract.Check.class)
class DisconnectTest {
    /** Fire-and-close clients per phase. */
    static final int CLIENTS = 4;

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    GenerationService service;

    @Autowired
    MeterRegistry meters;

    @Autowired
    JsonMapper json;

    int arraysBaseline;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.ready()).as(registry.problem()).isTrue();
        awaitBaseline("before the test");
        arraysBaseline = liveArrays();
    }

    /**
     * A generation that would run for a minute or more if nobody stopped it (64 frames x 1000
     * calls: on a fast idle machine a shorter one can end on its own inside a test, and its end
     * then frees the place the test expects a close to free).
     */
    private byte[] slowRequest(String accept) {
        Map<String, Object> r = new HashMap<>(GenerationApiTest.request("tiny-frames", 2, 64, 3));
        r.put("schedule", Map.of("arSteps", 1000));
        byte[] body = json.writeValueAsBytes(r);
        String head = "POST /v1/generations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Accept: " + accept + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private Socket send(String accept) throws Exception {
        Socket s = new Socket("localhost", port);
        OutputStream out = s.getOutputStream();
        out.write(slowRequest(accept));
        out.flush();
        return s;
    }

    /** Reads until {@code marker} has arrived {@code times} times. */
    private static void readUntil(Socket s, String marker, int times) throws Exception {
        s.setSoTimeout(60_000);
        InputStream in = s.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[8192];
        while (count(seen, marker) < times) {
            int n = in.read(buf);
            assertThat(n)
                    .as("stream ended before %d x %s: %s", times, marker, seen)
                    .isPositive();
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            if (seen.length() > 64_000) {
                seen.delete(0, seen.length() - 1000);
            }
        }
    }

    private static int count(CharSequence s, String marker) {
        int n = 0;
        for (int i = s.toString().indexOf(marker); i >= 0; i = s.toString().indexOf(marker, i + 1)) {
            n++;
        }
        return n;
    }

    private int liveArrays() {
        return registry.get("tiny-frames").orElseThrow().networks().liveArrays();
    }

    private double gauge(String name) {
        return meters.find(name).tag("model", "tiny-frames").gauges().stream()
                .mapToDouble(g -> g.value())
                .sum();
    }

    private double active() {
        var t = meters.find("arvdm.generation.active")
                .tag("model", "tiny-frames")
                .longTaskTimer();
        return t == null ? 0 : t.activeTasks();
    }

    private static void await(String what, BooleanSupplier condition, Duration within) throws Exception {
        org.arvdm.Await.until(within, condition, what);
    }

    /** No place taken, nothing queued or running, no memory held, no native array left. */
    private void awaitBaseline(String when) throws Exception {
        await("admission places free " + when, () -> service.admission().inFlight() == 0, Duration.ofSeconds(5));
        assertThat(gauge("arvdm.generation.queue")).as("queue gauge " + when).isZero();
        assertThat(active()).as("active generations " + when).isZero();
        assertThat(gauge("arvdm.memory.used")).as("memory slots " + when).isZero();
        assertThat(gauge("arvdm.memory.bytes")).as("memory bytes " + when).isZero();
        if (arraysBaseline > 0 || when.startsWith("after")) {
            assertThat(liveArrays()).as("live NDArrays " + when).isEqualTo(arraysBaseline);
        }
    }

    @Test
    void closingBeforeTheResponseHeadersStopsTheGeneration() throws Exception {
        for (String accept : new String[] {"application/json", "text/event-stream"}) {
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = send(accept);
                await("generation running", () -> active() == 1, Duration.ofSeconds(10));
                s.close();
                awaitBaseline("after a close before the headers (" + accept + ")");
            }
        }
    }

    @Test
    void closingWhileQueuedFreesThePlace() throws Exception {
        try (Socket running = send("text/event-stream")) {
            readUntil(running, "event:frame", 1);
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = send("text/event-stream");
                readUntil(s, "event:queued", 1);
                assertThat(service.admission().inFlight()).isEqualTo(2);
                s.close();
                await("queued place freed", () -> service.admission().inFlight() == 1, Duration.ofSeconds(2));
                assertThat(gauge("arvdm.generation.queue")).as("queue gauge").isZero();
            }
        }
        awaitBaseline("after closes while queued");
    }

    @Test
    void closingWhileRunningOrBetweenFramesStopsTheGeneration() throws Exception {
        for (int frames : new int[] {0, 1, 3}) {
            for (int i = 0; i < CLIENTS / 2; i++) {
                Socket s = send("text/event-stream");
                readUntil(s, frames == 0 ? "event:started" : "event:frame", Math.max(1, frames));
                s.close();
                awaitBaseline("after a close after " + frames + " frames");
            }
        }
    }
}
