package org.arvdm.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's warm-up of its own request path ({@code arvdm.warmup}, the {@code warmup} part of
 * readiness). Loading already ran every network at every batch size ({@link ModelRegistry}); what
 * is left cold is the JVM's side: the first request would load and interpret the classes of the
 * HTTP stack, JSON binding, image decoding, planning, the loop, frame encoding and SSE writing,
 * and took twice the steady state's time to its first frame. So once the server is up and every
 * bundle is loaded, this posts real generations to the service itself over loopback HTTP (through
 * every filter, with the first API key when keys are on), and readiness stays down until they are
 * done or the warm-up's time limit has passed. The warm-up's generations are ordinary ones: they
 * show in the metrics and the log like any other.
 */
@Component("warmup")
public class Warmup implements HealthIndicator {
    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ModelRegistry registry;
    private final ArvdmProperties props;
    private final Environment env;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String state = "waiting for the server and the models";

    Warmup(ModelRegistry registry, ArvdmProperties props, Environment env) {
        this.registry = registry;
        this.props = props;
        this.env = env;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        Thread t = new Thread(this::run, "warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** True once the warm-up has ended (done, off, failed or out of time). */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Health health() {
        return done.getCount() == 0
                ? Health.up().build()
                : Health.outOfService().withDetail("reason", state).build();
    }

    private void run() {
        long t0 = System.nanoTime();
        int count = 0;
        try {
            ArvdmProperties.Warmup w = props.warmup();
            if (w.generations() == 0) {
                state = "off";
                return;
            }
            // loading has no limit of its own here (many bundles on a slow device take long); the warm-up's
            // limit starts once it is over
            while (!registry.awaitLoaded(Duration.ofSeconds(5))) {
                state = "waiting for the models to load";
            }
            if (!registry.ready()) {
                return; // readiness stays down on the models part, which says why
            }
            long deadline = System.nanoTime() + w.timeout().toNanos();
            String base = "http://localhost:" + env.getProperty("local.server.port", "8080");
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            LoadedModel first = registry.defaultModel().orElseThrow();
            List<Map<String, Object>> requests = new ArrayList<>();
            for (int i = 0; i < w.generations(); i++) {
                requests.add(request(first, w.frames(), i));
            }
            for (LoadedModel m : registry.models()) {
                if (!m.id().equals(first.id())) {
                    requests.add(request(m, Math.max(4, m.manifest().window().frames()), 0));
                }
            }
            requests.add(request(first, 4, w.generations()));
            for (int i = 0; i < requests.size(); i++) {
                if (System.nanoTime() > deadline) {
                    log.warn(
                            "Warm-up stopped after {} of {} generations: arvdm.warmup.timeout ({}) passed",
                            count,
                            requests.size(),
                            w.timeout());
                    return;
                }
                boolean json = i == requests.size() - 1;
                state = "generation " + (i + 1) + " of " + requests.size();
                HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                        .timeout(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
                        .header("Content-Type", "application/json")
                        .header("Accept", json ? "application/json" : "text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(requests.get(i))));
                props.security().keys().stream()
                        .findFirst()
                        .ifPresent(k -> req.header("Authorization", "Bearer " + k.secret()));
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200 || (!json && !r.body().contains("event:done"))) {
                    log.warn(
                            "Warm-up generation {} of {} ({}) did not complete: {} {}",
                            i + 1,
                            requests.size(),
                            requests.get(i).get("model"),
                            r.statusCode(),
                            abbreviate(r.body()));
                    continue;
                }
                count++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Warm-up failed after {} generations; the service goes ready without it", count, e);
        } finally {
            if (!"off".equals(state)) {
                log.info(
                        "Warm-up: {} generations against the service in {} ms",
                        count,
                        Math.round((System.nanoTime() - t0) / 1e6));
            }
            done.countDown();
        }
    }

    /** A generation of {@code frames} frames on a synthetic context clip (noise images of the model's frame shape). */
    static Map<String, Object> request(LoadedModel model, int frames, long seed) {
        ModelManifest m = model.manifest();
        ModelManifest.Frame shape = m.frame();
        SplittableRandom random = new SplittableRandom(seed);
        List<String> context = new ArrayList<>();
        int contextFrames = Math.max(4, m.window().frames());
        for (int f = 0; f < contextFrames; f++) {
            float[] px = new float[shape.size()];
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) (random.nextDouble() * 2 - 1);
            }
            context.add(ImageCodec.encode(px, shape, "png", 0, 1));
        }
        List<Object> actions = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            if (m.actions().discrete()) {
                List<String> names = m.actions().names();
                actions.add(names.get(i % names.size()));
            } else {
                List<Double> v = new ArrayList<>();
                for (int d = 0; d < m.actions().vectorSize(); d++) {
                    v.add(random.nextDouble() * 2 - 1);
                }
                actions.add(v);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", m.id());
        body.put("context", Map.of("frames", context));
        body.put("actions", actions);
        body.put("seed", seed);
        return body;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
