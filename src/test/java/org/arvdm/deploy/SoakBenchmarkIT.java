package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The soak and disconnect-storm benchmark against the packaged jar (started as the image starts
 * it, over the tiny test bundles), left out of {@code mvn verify}. One command:
 * <pre>
 *   mvn -q verify -Psoak                          # 10-minute soak
 *   mvn -q verify -Psoak -Darvdm.soak.minutes=1   # a short one
 * </pre>
 * Properties ({@code -Darvdm.soak.X=...}): {@code minutes} (10), {@code clients} (24: more than the
 * 8 workers and 8 queue places, so some requests get 429), {@code frames} (16 per generation),
 * {@code storm} (100 fire-and-close requests per phase), {@code out} (docs/reliability.md),
 * {@code note} (a line on the run's circumstances, written into the report).
 * <p>
 * Soak: the clients loop SSE and JSON generations (with a seed, every fourth
 * {@code deterministic}); a 429 is answered by waiting its Retry-After. Every 5 s it reads
 * /actuator/prometheus (RSS, live threads, live native arrays, running generations); at the
 * start, every minute and at the end it runs a full GC in the service ({@code jcmd GC.run}) and
 * reads the heap used after it. Threads are counted by pool ({@code jcmd Thread.print}) after the
 * warm-up, after the soak and after the storm, each time once the service has been idle long
 * enough for the elastic pools to let their idle threads go. Storm: for each phase (closed before the response headers, while
 * queued, while running, between frames) 100 raw sockets send a slow generation and close; then
 * it measures how long after the last close the service is idle (nothing running, nothing queued)
 * and how many generations are still running 1 s after it (orphans). It writes the figures, with
 * the bars, to {@code out}.
 */
@Tag("soak")
class SoakBenchmarkIT {
    static final JsonMapper JSON = JsonMapper.builder().build();

    static String prop(String key, String def) {
        String v = System.getProperty("arvdm.soak." + key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    final double minutes = Double.parseDouble(prop("minutes", "10"));
    final int clients = Integer.parseInt(prop("clients", "24"));
    final int frames = Integer.parseInt(prop("frames", "16"));
    final int storm = Integer.parseInt(prop("storm", "100"));
    final Path out = Path.of(prop("out", "docs/reliability.md"));
    /** A line on the run's circumstances, written under the run line (why a shorter soak, say). */
    final String note = prop("note", "");

    PackagedJar jar;
    HttpClient http;

    /** One reading of the metrics. */
    record Sample(double atSeconds, double rss, double threads, double nativeArrays, double active, double queued) {}

    record Heap(double atSeconds, double bytes) {}

    /** The sum of a Prometheus series' values over all its label sets (NaN where absent). */
    static double metric(String text, String name) {
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? ([^ ]+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
            found = true;
        }
        return found ? sum : Double.NaN;
    }

    static double metric(String text, String name, String label) {
        Pattern p = Pattern.compile(
                "^" + Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(label) + "[^}]*} ([^ ]+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    String prometheus() throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(jar.base + "/actuator/prometheus"))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    Sample sample(long t0) throws Exception {
        String m = prometheus();
        return new Sample(
                (System.nanoTime() - t0) / 1e9,
                metric(m, "process_resident_memory_bytes"),
                metric(m, "jvm_threads_live_threads"),
                metric(m, "arvdm_native_arrays"),
                metric(m, "arvdm_generation_active_seconds_count"),
                metric(m, "arvdm_generation_queue"));
    }

    /**
     * The service's threads by pool (the name with its digits as N), read with {@code jcmd
     * Thread.print} once the service has been idle for longer than the elastic pools' time to live
     * (Reactor's boundedElastic keeps an idle thread 60 s and evicts every 60 s; the actuator's
     * blocking endpoints and the context decoding run on such pools), so that a count that differs is a thread that stayed, not one that was about to go.
     */
    Map<String, Integer> settledThreads(long t0) throws Exception {
        awaitIdle(t0);
        Thread.sleep(125_000); // the point: outlive boundedElastic's 60 s TTL and its evictor's period
        Process p = new ProcessBuilder("jcmd", Long.toString(jar.process.pid()), "Thread.print")
                .redirectErrorStream(true)
                .start();
        String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("jcmd Thread.print").isTrue();
        Map<String, Integer> byPool = new TreeMap<>();
        Matcher m = Pattern.compile("^\"([^\"]*)\" #\\d+", Pattern.MULTILINE).matcher(dump);
        while (m.find()) {
            byPool.merge(m.group(1).replaceAll("\\d+", "N"), 1, Integer::sum);
        }
        return byPool;
    }

    static int total(Map<String, Integer> byPool) {
        return byPool.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The pools whose counts differ between two readings, as "name a → b". */
    static String changed(Map<String, Integer> a, Map<String, Integer> b) {
        java.util.Set<String> names = new java.util.TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        StringBuilder r = new StringBuilder();
        for (String n : names) {
            int x = a.getOrDefault(n, 0);
            int y = b.getOrDefault(n, 0);
            if (x != y) {
                r.append(r.isEmpty() ? "" : ", ")
                        .append('`')
                        .append(n)
                        .append("` ")
                        .append(x)
                        .append(" → ")
                        .append(y);
            }
        }
        return r.isEmpty() ? "none" : r.toString();
    }

    /** Heap used right after a full GC in the service. */
    double heapAfterGc() throws Exception {
        Process gc = new ProcessBuilder("jcmd", Long.toString(jar.process.pid()), "GC.run")
                .redirectErrorStream(true)
                .start();
        gc.getInputStream().readAllBytes();
        assertThat(gc.waitFor(60, TimeUnit.SECONDS)).as("jcmd GC.run").isTrue();
        return metric(prometheus(), "jvm_memory_used_bytes", "area=\"heap\"");
    }

    String body(long seed, boolean deterministic, int arSteps, int n) throws Exception {
        Map<String, Object> b = new java.util.HashMap<>();
        b.put("context", Map.of("frames", List.of(PackagedJar.png(), PackagedJar.png())));
        b.put("frames", n);
        b.put("seed", seed);
        if (deterministic) {
            b.put("deterministic", true);
        }
        if (arSteps > 0) {
            b.put("schedule", Map.of("arSteps", arSteps));
        }
        return JSON.writeValueAsString(b);
    }

    @Test
    void soakAndStorm() throws Exception {
        jar = PackagedJar.start(Map.of());
        try {
            http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            jar.awaitReady(http);
            String report = run();
            System.out.println(report);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report, StandardCharsets.UTF_8);
            System.out.println("written to " + out.toAbsolutePath());
        } finally {
            jar.close();
        }
    }

    String run() throws Exception {
        // warm-up: a few generations each way, so the first soak samples are not the JIT's
        for (int i = 0; i < 8; i++) {
            generate(i, i % 2 == 0, i % 4 == 0);
        }
        // and one burst of every client at once, so that the pools that grow on demand up to a
        // bound (Netty's event loops, the decoding pool) have met the soak's load before the first
        // thread reading
        ExecutorService burst = Executors.newFixedThreadPool(clients);
        List<Future<?>> warm = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long seed = 100 + c;
            warm.add(burst.submit(() -> {
                http.send(
                        post(body(seed, false, 0, frames), "text/event-stream"), HttpResponse.BodyHandlers.ofString());
                return null;
            }));
        }
        for (Future<?> f : warm) {
            f.get(5, TimeUnit.MINUTES);
        }
        burst.shutdown();
        long t0 = System.nanoTime();
        List<Sample> samples = new CopyOnWriteArrayList<>();
        List<Heap> heaps = new ArrayList<>();
        Sample idleBefore = awaitIdle(t0);
        assertThat(List.of(
                        idleBefore.rss(),
                        idleBefore.threads(),
                        idleBefore.nativeArrays(),
                        idleBefore.active(),
                        idleBefore.queued()))
                .as("the metrics read (RSS, threads, native arrays, active, queued): %s", prometheus())
                .noneMatch(v -> Double.isNaN(v));
        heaps.add(new Heap(0, heapAfterGc()));
        Map<String, Integer> threadsBefore = settledThreads(t0);
        t0 = System.nanoTime();
        final long soakStart = t0;

        // ---- soak
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder framesReceived = new LongAdder();
        List<String> failures = new CopyOnWriteArrayList<>();
        LongAdder streamsWithoutEnd = new LongAdder();
        List<Double> tooManyMs = new CopyOnWriteArrayList<>();
        AtomicInteger tooManyWithoutRetryAfter = new AtomicInteger();
        AtomicInteger tooManyNotProblem = new AtomicInteger();
        long end = soakStart + (long) (minutes * 60e9);
        AtomicLong seeds = new AtomicLong(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            running.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    long seed = seeds.getAndIncrement();
                    boolean sse = seed % 2 == 0;
                    long start = System.nanoTime();
                    HttpResponse<String> r;
                    try {
                        r = http.send(
                                post(
                                        body(seed, seed % 4 == 1, 0, frames),
                                        sse ? "text/event-stream" : "application/json"),
                                HttpResponse.BodyHandlers.ofString());
                    } catch (java.io.IOException e) {
                        failures.add(e.toString());
                        continue;
                    }
                    statuses.computeIfAbsent(r.statusCode(), k -> new LongAdder())
                            .increment();
                    if (r.statusCode() == 429) {
                        tooManyMs.add((System.nanoTime() - start) / 1e6);
                        String ct = r.headers().firstValue("Content-Type").orElse("");
                        if (!ct.startsWith("application/problem+json")) {
                            tooManyNotProblem.incrementAndGet();
                        }
                        long wait = r.headers()
                                .firstValue("Retry-After")
                                .map(Long::parseLong)
                                .orElse(-1L);
                        if (wait < 0) {
                            tooManyWithoutRetryAfter.incrementAndGet();
                            wait = 1;
                        }
                        Thread.sleep(Math.min(wait, 5) * 1000); // the client honours Retry-After
                    } else if (r.statusCode() == 200) {
                        String b = r.body();
                        if (sse) {
                            framesReceived.add(count(b, "event:frame"));
                            if (!b.contains("event:done")) {
                                streamsWithoutEnd.increment();
                            }
                        } else {
                            framesReceived.add(JSON.readTree(b).get("frames").size());
                        }
                    }
                }
                return null;
            }));
        }
        int missed = 0;
        while (System.nanoTime() < end) {
            try {
                samples.add(sample(t0));
            } catch (java.io.IOException e) {
                missed++; // the scrape timed out under load: counted in the report, not fatal
            }
            long now = System.nanoTime();
            if (now - t0 >= (long) (heaps.size() * 60e9) && now + 30e9 < end) {
                heaps.add(new Heap((now - t0) / 1e9, heapAfterGc()));
            }
            Thread.sleep(5000);
        }
        for (Future<?> f : running) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        double soakSeconds = (System.nanoTime() - t0) / 1e9;
        Sample idleAfterSoak = awaitIdle(t0);
        heaps.add(new Heap(soakSeconds, heapAfterGc()));
        Map<String, Integer> threadsAfterSoak = settledThreads(t0);

        // ---- storm
        List<String[]> stormRows = new ArrayList<>();
        for (String phase : List.of("before the headers", "while queued", "while running", "between frames")) {
            awaitIdle(t0); // at most 60 s
            stormRows.add(storm(phase, t0));
        }
        Sample idleAfterStorm = awaitIdle(t0); // at most 60 s: what is still running then shows in the table
        double heapAfterStorm = heapAfterGc();
        Map<String, Integer> threadsAfterStorm = settledThreads(t0);
        return report(
                samples,
                heaps,
                List.of(threadsBefore, threadsAfterSoak, threadsAfterStorm),
                idleBefore,
                idleAfterSoak,
                idleAfterStorm,
                heapAfterStorm,
                statuses,
                framesReceived.sum(),
                streamsWithoutEnd.sum(),
                failures,
                tooManyMs,
                tooManyWithoutRetryAfter.get(),
                tooManyNotProblem.get(),
                soakSeconds,
                stormRows,
                missed);
    }

    void generate(long seed, boolean sse, boolean deterministic) throws Exception {
        HttpResponse<String> r = http.send(
                post(body(seed, deterministic, 0, frames), sse ? "text/event-stream" : "application/json"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    HttpRequest post(String body, String accept) {
        return HttpRequest.newBuilder(URI.create(jar.base + "/v1/generations"))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** Waits until nothing runs or waits (at most 60 s), then reads the metrics. */
    Sample awaitIdle(long t0) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        Sample s = sample(t0);
        while ((s.active() > 0 || s.queued() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            s = sample(t0);
        }
        return s;
    }

    Socket send(String body, String accept) throws Exception {
        Socket s =
                new Socket(URI.create(jar.base).getHost(), URI.create(jar.base).getPort());
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/generations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Accept: " + accept + "\r\nContent-Length: " + b.length + "\r\n\r\n";
        OutputStream o = s.getOutputStream();
        o.write(head.getBytes(StandardCharsets.US_ASCII));
        o.write(b);
        o.flush();
        return s;
    }

    static void readUntil(Socket s, String marker, int times) throws Exception {
        s.setSoTimeout(20_000);
        InputStream in = s.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[8192];
        while (count(seen.toString(), marker) < times) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IllegalStateException("stream ended before " + times + " x " + marker + ": " + seen);
            }
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
    }

    static int count(String s, String marker) {
        int n = 0;
        for (int i = s.indexOf(marker); i >= 0; i = s.indexOf(marker, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * {@code storm} fire-and-close requests of one phase, in waves that fit the workers (8) and the
     * queue (8); a slow generation each (64 frames of 1000 steps: minutes if nobody stopped it).
     * Row: phase, requests, closed, 429s, running 1 s after the last close, ms from the last close to idle.
     */
    String[] storm(String phase, long t0) throws Exception {
        String slow = body(7, false, 1000, 64);
        int closed = 0;
        int refused = 0;
        int unanswered = 0;
        List<Socket> holders = new ArrayList<>();
        if (phase.equals("while queued")) {
            for (int i = 0; i < 8; i++) {
                Socket h = send(slow, "text/event-stream");
                try {
                    readUntil(h, "event:started", 1);
                } catch (java.io.IOException e) {
                    unanswered++; // every worker still busy (with what an earlier phase left running)
                }
                holders.add(h);
            }
        }
        int wave = phase.equals("while queued") ? 8 : phase.equals("before the headers") ? 1 : 8;
        for (int done = 0; done < storm; done += wave) {
            List<Socket> sockets = new ArrayList<>();
            for (int i = 0; i < Math.min(wave, storm - done); i++) {
                sockets.add(send(
                        slow,
                        phase.equals("before the headers") && i % 2 == 1 ? "application/json" : "text/event-stream"));
            }
            for (Socket s : sockets) {
                try {
                    switch (phase) {
                        case "while queued" -> readUntil(s, "event:queued", 1);
                        case "while running" -> readUntil(s, "event:started", 1);
                        case "between frames" -> readUntil(s, "event:frame", 2);
                        default -> {}
                    }
                } catch (IllegalStateException e) {
                    if (e.getMessage().contains(" 429 ")) {
                        refused++;
                    } else {
                        throw e;
                    }
                } catch (java.io.IOException e) {
                    unanswered++; // no event in 20 s
                }
            }
            for (Socket s : sockets) {
                s.close();
                closed++;
            }
            if (unanswered > 0) {
                break; // the places are held by something else: the rest of this phase would only wait
            }
            if (!phase.equals("before the headers")) {
                // the next wave needs the places back; a place not freed shows up as a 429 above
                long deadline = System.nanoTime() + 10_000_000_000L;
                double target = holders.size();
                Sample s = sample(t0);
                while (s.active() + s.queued() > target && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                    s = sample(t0);
                }
            }
        }
        for (Socket h : holders) {
            h.close();
            closed++;
        }
        long lastClose = System.nanoTime();
        Sample s = sample(t0);
        double idleMs = Double.NaN;
        double runningAfter1s = Double.NaN;
        while (System.nanoTime() - lastClose < 60_000_000_000L) {
            double since = (System.nanoTime() - lastClose) / 1e6;
            if (Double.isNaN(idleMs) && s.active() == 0 && s.queued() == 0) {
                idleMs = since;
            }
            if (since >= 1000 && Double.isNaN(runningAfter1s)) {
                runningAfter1s = s.active() + s.queued();
            }
            if (!Double.isNaN(idleMs) && !Double.isNaN(runningAfter1s)) {
                break;
            }
            Thread.sleep(10);
            s = sample(t0);
        }
        return new String[] {
            phase,
            Integer.toString(closed),
            Integer.toString(refused),
            Integer.toString(unanswered),
            fmt(runningAfter1s, 0),
            fmt(idleMs, 0)
        };
    }

    static String fmt(double v, int decimals) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String mib(double bytes) {
        return fmt(bytes / (1 << 20), 1) + " MiB";
    }

    String report(
            List<Sample> samples,
            List<Heap> heaps,
            List<Map<String, Integer>> threads,
            Sample idleBefore,
            Sample idleAfterSoak,
            Sample idleAfterStorm,
            double heapAfterStorm,
            Map<Integer, LongAdder> statuses,
            long framesReceived,
            long streamsWithoutEnd,
            List<String> failures,
            List<Double> tooManyMs,
            int noRetryAfter,
            int notProblem,
            double soakSeconds,
            List<String[]> stormRows,
            int missed) {
        // RSS after the first minute (the heap and the native allocator settle in it)
        List<Sample> settled = samples.stream()
                .filter(s -> s.atSeconds() >= Math.min(60, soakSeconds / 4))
                .toList();
        double rssMin = settled.stream().mapToDouble(Sample::rss).min().orElse(Double.NaN);
        double rssMax = settled.stream().mapToDouble(Sample::rss).max().orElse(Double.NaN);
        double rssAllMin = samples.stream().mapToDouble(Sample::rss).min().orElse(Double.NaN);
        double rssAllMax = samples.stream().mapToDouble(Sample::rss).max().orElse(Double.NaN);
        double rssSpread = (rssMax - rssMin) / rssMin * 100;
        double heapFirst = heaps.get(0).bytes();
        double heapLast = heaps.get(heaps.size() - 1).bytes();
        double heapMax = heaps.stream().mapToDouble(Heap::bytes).max().orElse(Double.NaN);
        long total = statuses.values().stream().mapToLong(LongAdder::sum).sum();
        List<Double> sorted = tooManyMs.stream().sorted().toList();
        StringBuilder r = new StringBuilder();
        r.append("# Reliability: soak and disconnect storm\n\n");
        r.append("Measured by `SoakBenchmarkIT` against the packaged jar, started as the Docker image starts it,\n"
                + "over the tiny test bundles (`src/test/resources/bundles`, default model `tiny-frames`, 8 workers,\n"
                + "8 queue places). Command: `mvn -q verify -Psoak` (default 10-minute soak;\n"
                + "`-Darvdm.soak.minutes=N` for another length). Generated by that command; numbers are what it\n"
                + "measured, nothing else.\n\n");
        r.append(String.format(
                Locale.ROOT,
                "Run: %s, %d cores, soak %.1f min, %d clients, %d frames per generation.%n%n",
                Instant.now(),
                Runtime.getRuntime().availableProcessors(),
                soakSeconds / 60,
                clients,
                frames));
        if (!note.isEmpty()) {
            r.append(note).append("\n\n");
        }
        r.append("## Soak\n\nThe clients loop generations (SSE and JSON alternately, every fourth `deterministic`), "
                + "each a seed of its own; a 429 is answered by waiting its `Retry-After`.\n\n");
        r.append(
                "| requests | by status | frames received | SSE streams without `done` |\n| --- | --- | --- | --- |\n");
        StringBuilder by = new StringBuilder();
        new TreeMap<>(statuses)
                .forEach((k, v) -> by.append(by.isEmpty() ? "" : ", ")
                        .append(k)
                        .append(": ")
                        .append(v.sum()));
        r.append(String.format(Locale.ROOT, "| %d | %s | %d | %d |%n%n", total, by, framesReceived, streamsWithoutEnd));
        r.append("Requests that got no answer (I/O errors): ")
                .append(failures.size())
                .append(failures.isEmpty() ? "" : " (first: " + failures.get(0) + ")")
                .append(".\n\n");
        r.append("429 behaviour: ").append(sorted.size()).append(" answers 429");
        if (!sorted.isEmpty()) {
            r.append(String.format(
                    Locale.ROOT,
                    ", answered in p50 %.1f ms / p99 %.1f ms / max %.1f ms",
                    sorted.get(sorted.size() / 2),
                    sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))),
                    sorted.get(sorted.size() - 1)));
        }
        r.append(String.format(
                Locale.ROOT, "; without `Retry-After`: %d; not problem+json: %d.%n%n", noRetryAfter, notProblem));
        r.append(
                "| leak check | start (idle, after warm-up) | end of soak (idle) | after the storm (idle) | bar | met |\n"
                        + "| --- | --- | --- | --- | --- | --- |\n");
        r.append(String.format(
                Locale.ROOT,
                "| live threads (as soon as idle) | %s | %s | %s | | |%n",
                fmt(idleBefore.threads(), 0),
                fmt(idleAfterSoak.threads(), 0),
                fmt(idleAfterStorm.threads(), 0)));
        r.append(String.format(
                Locale.ROOT,
                "| threads, 125 s idle (all, `jcmd Thread.print`) | %d | %d | %d | constant | %s |%n",
                total(threads.get(0)),
                total(threads.get(1)),
                total(threads.get(2)),
                threads.get(0).equals(threads.get(1)) && threads.get(1).equals(threads.get(2)) ? "yes" : "no"));
        r.append(String.format(
                Locale.ROOT,
                "| heap after full GC | %s | %s | %s | flat | see below |%n",
                mib(heapFirst),
                mib(heapLast),
                mib(heapAfterStorm)));
        r.append(String.format(
                Locale.ROOT,
                "| live native arrays | %s | %s | %s | constant | %s |%n",
                fmt(idleBefore.nativeArrays(), 0),
                fmt(idleAfterSoak.nativeArrays(), 0),
                fmt(idleAfterStorm.nativeArrays(), 0),
                idleBefore.nativeArrays() == idleAfterSoak.nativeArrays()
                                && idleAfterSoak.nativeArrays() == idleAfterStorm.nativeArrays()
                        ? "yes"
                        : "no"));
        r.append(String.format(
                Locale.ROOT,
                "| RSS | %s | %s | %s | | |%n%n",
                mib(idleBefore.rss()),
                mib(idleAfterSoak.rss()),
                mib(idleAfterStorm.rss())));
        r.append(String.format(
                Locale.ROOT,
                "RSS over the soak (sampled every 5 s, %d samples, %d scrapes timed out"
                        + " after 30 s): min %s, max %s; after "
                        + "the first minute min %s, max %s, spread %.2f %% (bar: within 5 %%: %s).%n%n",
                samples.size(),
                missed,
                mib(rssAllMin),
                mib(rssAllMax),
                mib(rssMin),
                mib(rssMax),
                rssSpread,
                rssSpread <= 5 ? "met" : "not met"));
        r.append(
                        "Threads that differ between the readings after 125 s idle (by pool, digits as N): start → end of soak: ")
                .append(changed(threads.get(0), threads.get(1)))
                .append("; end of soak → after the storm: ")
                .append(changed(threads.get(1), threads.get(2)))
                .append(
                        ". The count read as soon as the service is idle includes Reactor's elastic threads"
                                + " (the actuator's blocking endpoints run there), which end after 60 to 120 s idle. Before the first reading a burst of all clients at once has made the pools that grow on demand up to a bound (Netty's event loops, the decoding pool) meet the soak's load.\n\n");
        r.append("Heap used after a full GC (`jcmd <pid> GC.run`, then `jvm_memory_used_bytes{area=\"heap\"}`):");
        for (Heap h : heaps) {
            r.append(String.format(Locale.ROOT, " %.0f s: %s;", h.atSeconds(), mib(h.bytes())));
        }
        r.append(String.format(
                Locale.ROOT,
                " end − start %+.1f MiB, max %s (bar: flat).%n%n",
                (heapLast - heapFirst) / (1 << 20),
                mib(heapMax)));
        r.append("## Disconnect storm\n\n")
                .append(storm)
                .append(" fire-and-close requests per phase, each a slow "
                        + "generation (64 frames × 1000 steps, minutes if nobody stopped it) over a raw socket closed at that "
                        + "phase, in waves that fit the workers (closed while queued: with 8 streams holding every worker, "
                        + "8 queued at a time, then the holders closed too). Bars: 0 generations left running, idle within "
                        + "1 s of the last close.\n\n");
        r.append("| closed | requests sent and closed | 429 | no event in 20 s (phase stopped there) |"
                + " running or queued 1 s after the last close | last close → idle (ms) | met |\n"
                + "| --- | --- | --- | --- | --- | --- | --- |\n");
        for (String[] row : stormRows) {
            boolean met = row[3].equals("0")
                    && row[4].equals("0")
                    && !row[5].equals("n/a")
                    && Double.parseDouble(row[5]) <= 1000;
            r.append("| ")
                    .append(String.join(" | ", row))
                    .append(" | ")
                    .append(met ? "yes" : "no")
                    .append(" |\n");
        }
        return r.toString();
    }
}
