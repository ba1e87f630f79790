package org.arvdm.diagnostics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundled evaluation sets: every sub-folder of the set directory that holds a
 * {@code manifest.json}, read once at construction. A broken set is recorded with its reason
 * and the others still load; a missing directory means no sets. Immutable and thread-safe.
 */
public final class EvaluationSets {
    private static final Logger log = LoggerFactory.getLogger(EvaluationSets.class);

    private final Path dir;
    private final Map<String, EvaluationSet> sets = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();

    public EvaluationSets(Path dir) {
        this.dir = dir;
        if (!Files.isDirectory(dir)) {
            log.warn("Evaluation set directory {} does not exist; no bundled sets", dir.toAbsolutePath());
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path sub : s.filter(p -> Files.isRegularFile(p.resolve("manifest.json")))
                    .sorted()
                    .toList()) {
                String folder = sub.getFileName().toString();
                try {
                    EvaluationSet set = EvaluationSet.read(sub);
                    sets.put(set.name(), set);
                    log.info(
                            "Evaluation set {}: {} trajectories ({})",
                            set.name(),
                            set.trajectories().size(),
                            set.kind());
                } catch (IOException | RuntimeException e) {
                    failures.put(folder, e.getMessage());
                    log.error("Evaluation set {} rejected: {}", folder, e.getMessage());
                }
            }
        } catch (IOException e) {
            failures.put(dir.toString(), e.getMessage());
        }
    }

    public Path dir() {
        return dir;
    }

    public Optional<EvaluationSet> get(String name) {
        return Optional.ofNullable(sets.get(name));
    }

    public List<EvaluationSet> all() {
        return List.copyOf(sets.values());
    }

    public Map<String, String> failures() {
        return Collections.unmodifiableMap(failures);
    }
}
