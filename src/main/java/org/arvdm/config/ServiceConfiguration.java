package org.arvdm.config;

import java.time.Duration;
import java.util.Map;
import org.arvdm.diagnostics.EvaluationPlanner;
import org.arvdm.diagnostics.EvaluationService;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.generation.Admission;
import org.arvdm.generation.BatchingGateway;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.generation.GenerationService;
import org.arvdm.memory.MemoryModule;
import org.arvdm.metrics.ArvdmMetrics;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.arvdm.model.TorchNetworks;
import org.arvdm.session.SessionService;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the plain-Java engine, registry and metrics into the Spring context. */
@Configuration(proxyBeanMethods = false)
class ServiceConfiguration {

    /** A MeterBinder: Spring Boot binds it to the registry at start, which registers its meters. */
    @Bean
    ArvdmMetrics arvdmMetrics(ArvdmProperties props) {
        return new ArvdmMetrics(props.batching().maxBatchSize());
    }

    /**
     * Keeps the Prometheus output clean for {@code promtool check metrics}: JVM/process meters whose
     * names carry abbreviated units or a misleading {@code _count} suffix are dropped (none is
     * charted), and every meter without a description gets one (HELP text).
     */
    @Bean
    io.micrometer.core.instrument.config.MeterFilter promtoolCleanMetrics() {
        java.util.Set<String> dropped =
                java.util.Set.of("jvm.compilation.time", "process.cpu.time", "system.cpu.count");
        return new io.micrometer.core.instrument.config.MeterFilter() {
            @Override
            public io.micrometer.core.instrument.config.MeterFilterReply accept(
                    io.micrometer.core.instrument.Meter.Id id) {
                return dropped.contains(id.getName())
                        ? io.micrometer.core.instrument.config.MeterFilterReply.DENY
                        : io.micrometer.core.instrument.config.MeterFilterReply.NEUTRAL;
            }

            @Override
            public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                // promtool wants snake_case names: the unit dB would end a name in _dB
                String unit = "dB".equals(id.getBaseUnit()) ? "decibels" : id.getBaseUnit();
                if (id.getDescription() != null && java.util.Objects.equals(unit, id.getBaseUnit())) {
                    return id;
                }
                String description = id.getDescription() != null
                        ? id.getDescription()
                        : id.getName().startsWith("http.server.requests") ? "HTTP requests served" : id.getName();
                return new io.micrometer.core.instrument.Meter.Id(
                        id.getName(),
                        io.micrometer.core.instrument.Tags.of(id.getTagsAsIterable()),
                        unit,
                        description,
                        id.getType());
            }
        };
    }

    /**
     * Resident set size ({@code process_resident_memory_bytes}, which the Grafana dashboard charts and
     * Micrometer does not publish on its own), read from /proc/self/statm; NaN where there is none.
     */
    @Bean
    io.micrometer.core.instrument.binder.MeterBinder processResidentMemory() {
        java.nio.file.Path statm = java.nio.file.Path.of("/proc/self/statm");
        return registry -> io.micrometer.core.instrument.Gauge.builder("process.resident.memory", () -> {
                    try {
                        String[] f =
                                java.nio.file.Files.readString(statm).trim().split("\\s+");
                        return Long.parseLong(f[1]) * 4096.0;
                    } catch (java.io.IOException | RuntimeException e) {
                        return Double.NaN;
                    }
                })
                .baseUnit("bytes")
                .description("Resident set size of the process")
                .register(registry);
    }

    @Bean(destroyMethod = "close")
    ModelRegistry modelRegistry(ArvdmProperties props, ArvdmMetrics metrics) {
        ModelRegistry registry = new ModelRegistry(
                props.modelDir(),
                props.device(),
                props.defaultModel(),
                networks -> gateway(networks, props.batching(), metrics),
                model -> registerMeters(model, metrics),
                props.batching().maxBatchSize());
        registry.startLoading();
        return registry;
    }

    /** The model's gauges, with its full memory budget; the unit tag stays frames or tokens (0 frames for none). */
    private static void registerMeters(LoadedModel model, ArvdmMetrics metrics) {
        MemoryModule memory = GenerationPlanner.memory(model.manifest(), null);
        metrics.registerModel(model.id(), memory.budget(), memory.unit().equals("tokens") ? "tokens" : "frames");
        metrics.registerNativeArrays(model.id(), model.networks()::liveArrays);
    }

    /** Batches a model's calls across its generations; {@code max-batch-size: 1} runs every call alone. */
    static CallGateway gateway(TorchNetworks networks, ArvdmProperties.Batching batching, ArvdmMetrics metrics) {
        if (batching.maxBatchSize() <= 1) {
            return CallGateway.direct(networks);
        }
        String model = networks.manifest().id();
        return new BatchingGateway(
                model,
                networks,
                batching.maxBatchSize(),
                batching.maxDelay(),
                (network, size, waitNanos) -> metrics.batched(model, network, size, waitNanos));
    }

    /** The one planner of generations and sessions, bounded by arvdm.limits.*. */
    @Bean
    GenerationPlanner generationPlanner(ArvdmProperties props) {
        ArvdmProperties.Limits l = props.limits();
        return new GenerationPlanner(new GenerationPlanner.Limits(
                l.maxFrames(), l.maxContextFrames(), l.maxSteps(), l.maxGenerationSeconds()));
    }

    /** Plans evaluations on top of the generation planner, bounded by arvdm.limits.* and arvdm.evaluation.max-seconds. */
    @Bean
    EvaluationPlanner evaluationPlanner(GenerationPlanner generations, EvaluationSets sets, ArvdmProperties props) {
        ArvdmProperties.Limits l = props.limits();
        return new EvaluationPlanner(
                generations,
                sets::get,
                new EvaluationPlanner.Limits(
                        l.maxTrajectories(),
                        l.maxUploadedFrames(),
                        props.evaluation().maxSeconds()));
    }

    @Bean
    GenerationService generationService(ArvdmProperties props, ArvdmMetrics metrics) {
        Admission admission = new Admission(
                props.workers(),
                props.admission().maxQueued(),
                props.admission().retryAfter(),
                metrics::queue);
        return new GenerationService(props.workers(), admission, metrics);
    }

    /** Lets running generations finish (bounded by their own time limit) when the context closes. */
    @Bean
    AutoCloseable generationShutdown(GenerationService service, ArvdmProperties props) {
        return () -> service.shutdown(Duration.ofSeconds(props.limits().maxGenerationSeconds()));
    }

    @Bean
    SessionService sessionService(ArvdmProperties props, GenerationService runner, ArvdmMetrics metrics) {
        ArvdmProperties.Sessions s = props.sessions();
        return new SessionService(
                new SessionService.Config(
                        s.maxSessions(),
                        s.idleTimeout(),
                        s.maxQueuedActions(),
                        s.replayFrames(),
                        s.maxRecordingFrames(),
                        s.defaultFps(),
                        s.maxFps()),
                runner,
                metrics,
                metrics);
    }

    /**
     * Ends every session with an error event naming the shutdown before the runner stops (beans
     * close in reverse order of creation, and this one depends on the runner's shutdown bean).
     */
    @Bean
    AutoCloseable sessionShutdown(
            SessionService sessions,
            @org.springframework.beans.factory.annotation.Qualifier("generationShutdown")
                    AutoCloseable generationShutdown) {
        return sessions::shutdown;
    }

    @Bean
    EvaluationSets evaluationSets(ArvdmProperties props) {
        return new EvaluationSets(props.evaluation().setDir());
    }

    @Bean
    EvaluationService evaluationService(ArvdmProperties props, ArvdmMetrics metrics) {
        ArvdmProperties.Evaluation e = props.evaluation();
        Admission admission =
                new Admission(e.workers(), e.maxQueued(), props.admission().retryAfter(), metrics::evaluationQueue);
        return new EvaluationService(e.workers(), admission, metrics::evaluationReported);
    }

    /** Evaluations are batch work: on shutdown they get a short grace, then end with an error event. */
    @Bean
    AutoCloseable evaluationShutdown(EvaluationService service) {
        return () -> service.shutdown(Duration.ofSeconds(5));
    }

    /** The {@code models} health contributor: part of readiness, down until every bundle is loaded and warm. */
    @Bean
    HealthIndicator modelsHealthIndicator(ModelRegistry registry) {
        return () -> {
            Map<String, Object> details = Map.of(
                    "loaded", registry.models().stream().map(m -> m.id()).toList(),
                    "failed", registry.failures());
            if (registry.ready()) {
                return Health.up().withDetails(details).build();
            }
            return Health.outOfService()
                    .withDetail("reason", String.valueOf(registry.problem()))
                    .withDetails(details)
                    .build();
        };
    }
}
