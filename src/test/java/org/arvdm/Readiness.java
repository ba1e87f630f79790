package org.arvdm;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Waits for a service started as its own process to report ready. */
public final class Readiness {
    private Readiness() {}

    /**
     * Polls {@code base}/actuator/health/readiness every {@code poll} until it answers 200 (true) or
     * {@code limit} passes (false); {@code alive} runs before each poll and throws when the process
     * has exited, naming where its log is.
     */
    public static boolean await(HttpClient http, String base, Duration limit, Duration poll, Runnable alive) {
        return Await.within(
                limit,
                poll,
                () -> {
                    alive.run();
                    try {
                        HttpResponse<String> r = http.send(
                                HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        return r.statusCode() == 200;
                    } catch (java.io.IOException notYet) {
                        return false; // not listening yet
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted awaiting readiness", e);
                    }
                },
                "readiness");
    }
}
