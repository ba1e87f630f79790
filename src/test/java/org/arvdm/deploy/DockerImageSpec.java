package org.arvdm.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * What the repository's {@code Dockerfile} says about the image it builds, read from the file:
 * stages, the runtime stage's ENV, USER, EXPOSE, HEALTHCHECK and ENTRYPOINT, and the exact java
 * command line the entrypoint runs. A test that starts the jar "the way the image does" takes its
 * command and environment from here:
 *
 * <pre>{@code
 * DockerImageSpec image = DockerImageSpec.load();
 * Map<String, String> env = new HashMap<>(image.environment());   // ARVDM_MODEL_DIR, DJL_CACHE_DIR, JAVA_OPTS, ...
 * env.put("ARVDM_MODEL_DIR", localModels); env.put("DJL_CACHE_DIR", tmp); env.put("ENGINE_CACHE_DIR", tmp);
 * List<String> cmd = image.javaCommand(env);                     // [java, -XX:MaxRAMPercentage=40, ..., -Dai.djl.offline=true, -jar, /app/app.jar]
 * cmd = DockerImageSpec.replaceJar(cmd, Path.of("target/arvdm-serving-0.1.0-SNAPSHOT.jar"));
 * }</pre>
 */
public final class DockerImageSpec {

    /** One line of the Dockerfile after joining continuations: keyword (upper case) and the rest. */
    public record Instruction(String keyword, String arguments) {}

    /** A build stage: FROM image, optional AS name, and its instructions after FROM. */
    public record Stage(String from, String name, List<Instruction> instructions) {
        public List<String> all(String keyword) {
            return instructions.stream()
                    .filter(i -> i.keyword().equals(keyword))
                    .map(Instruction::arguments)
                    .toList();
        }
    }

    private final List<Instruction> globalArgs;
    private final List<Stage> stages;

    private DockerImageSpec(List<Instruction> globalArgs, List<Stage> stages) {
        this.globalArgs = globalArgs;
        this.stages = stages;
    }

    /** The repository's Dockerfile. */
    public static DockerImageSpec load() {
        return parse(RenderedManifests.read("Dockerfile"));
    }

    public static DockerImageSpec parse(String dockerfile) {
        List<Instruction> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : dockerfile.split("\n", -1)) {
            String line = raw.strip();
            if (current.length() == 0 && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (current.length() > 0 && line.startsWith("#")) {
                continue; // comment inside a continued instruction
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            String joined = current.toString().strip();
            current.setLength(0);
            if (joined.isEmpty()) {
                continue;
            }
            int sp = joined.indexOf(' ');
            lines.add(
                    sp < 0
                            ? new Instruction(joined.toUpperCase(), "")
                            : new Instruction(
                                    joined.substring(0, sp).toUpperCase(),
                                    joined.substring(sp + 1).strip()));
        }
        List<Instruction> global = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        List<Instruction> body = null;
        for (Instruction i : lines) {
            if (i.keyword().equals("FROM")) {
                String[] parts = i.arguments().split("\\s+");
                List<String> words = new ArrayList<>();
                for (String p : parts) {
                    if (!p.startsWith("--")) {
                        words.add(p);
                    }
                }
                String name = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS") ? words.get(2) : null;
                body = new ArrayList<>();
                stages.add(new Stage(words.get(0), name, body));
            } else if (body == null) {
                global.add(i);
            } else {
                body.add(i);
            }
        }
        return new DockerImageSpec(List.copyOf(global), List.copyOf(stages));
    }

    public List<Stage> stages() {
        return stages;
    }

    public Optional<Stage> stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst();
    }

    /** The last stage: what {@code docker build} produces without --target. */
    public Stage runtime() {
        return stages.get(stages.size() - 1);
    }

    /** Default of a global build ARG (declared before the first FROM), if any. */
    public Optional<String> globalArg(String name) {
        for (Instruction i : globalArgs) {
            if (i.keyword().equals("ARG")) {
                String[] kv = i.arguments().split("=", 2);
                if (kv[0].strip().equals(name)) {
                    return Optional.ofNullable(kv.length == 2 ? unquote(kv[1].strip()) : null);
                }
            }
        }
        return Optional.empty();
    }

    /** The runtime stage's ENV values, in order (for the default FLAVOR). */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String args : runtime().all("ENV")) {
            env.putAll(parseEnv(args));
        }
        return env;
    }

    /** The runtime stage's USER (e.g. "10001:10001"). */
    public String user() {
        List<String> users = runtime().all("USER");
        if (users.isEmpty()) {
            throw new IllegalStateException("runtime stage has no USER");
        }
        return users.get(users.size() - 1);
    }

    public List<Integer> exposedPorts() {
        List<Integer> ports = new ArrayList<>();
        for (String args : runtime().all("EXPOSE")) {
            for (String p : args.split("\\s+")) {
                ports.add(Integer.parseInt(p.replaceAll("/.*", "")));
            }
        }
        return ports;
    }

    /** The runtime stage's ENTRYPOINT in exec form. */
    public List<String> entrypoint() {
        List<String> eps = runtime().all("ENTRYPOINT");
        if (eps.isEmpty()) {
            throw new IllegalStateException("runtime stage has no ENTRYPOINT");
        }
        return jsonArray(eps.get(eps.size() - 1));
    }

    /** HEALTHCHECK options (--interval=... as a map) and its CMD in exec form. */
    public record Healthcheck(Map<String, String> options, List<String> command) {}

    public Healthcheck healthcheck() {
        List<String> hcs = runtime().all("HEALTHCHECK");
        if (hcs.isEmpty()) {
            throw new IllegalStateException("runtime stage has no HEALTHCHECK");
        }
        String args = hcs.get(hcs.size() - 1);
        Map<String, String> opts = new LinkedHashMap<>();
        Matcher m = Pattern.compile("--([a-z-]+)=(\\S+)").matcher(args);
        int end = 0;
        while (m.find()) {
            opts.put(m.group(1), m.group(2));
            end = m.end();
        }
        String rest = args.substring(end).strip();
        if (!rest.startsWith("CMD")) {
            throw new IllegalStateException("HEALTHCHECK without CMD: " + args);
        }
        return new Healthcheck(opts, jsonArray(rest.substring(3).strip()));
    }

    /**
     * The command the entrypoint runs, with its shell script expanded against {@code env}
     * ({@code $VAR} splits on whitespace as sh does; {@code "$@"} expands to nothing).
     */
    public List<String> javaCommand(Map<String, String> env) {
        List<String> ep = entrypoint();
        String script;
        if (ep.size() >= 3 && ep.get(0).endsWith("sh") && ep.get(1).equals("-c")) {
            script = ep.get(2);
        } else {
            return ep;
        }
        script = script.strip();
        if (script.startsWith("exec ")) {
            script = script.substring(5);
        }
        List<String> out = new ArrayList<>();
        for (String word : shellWords(script)) {
            if (word.equals("\"$@\"") || word.equals("$@")) {
                continue;
            }
            Matcher var = Pattern.compile("^\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?$").matcher(word);
            if (var.matches()) {
                String value = env.getOrDefault(var.group(1), "");
                for (String w : value.strip().split("\\s+")) {
                    if (!w.isEmpty()) {
                        out.add(w);
                    }
                }
            } else {
                out.add(unquote(word));
            }
        }
        return out;
    }

    /** Replaces the argument after {@code -jar} with a local jar. */
    public static List<String> replaceJar(List<String> command, java.nio.file.Path jar) {
        List<String> out = new ArrayList<>(command);
        int i = out.indexOf("-jar");
        if (i < 0 || i + 1 >= out.size()) {
            throw new IllegalArgumentException("no -jar in " + command);
        }
        out.set(i + 1, jar.toAbsolutePath().toString());
        return out;
    }

    // ------------------------------------------------------------------ parsing helpers

    @SuppressWarnings("unchecked")
    private static List<String> jsonArray(String text) {
        Object o = new Yaml().load(text);
        if (!(o instanceof List<?> l)) {
            throw new IllegalStateException("not exec form (JSON array): " + text);
        }
        return ((List<Object>) l).stream().map(String::valueOf).toList();
    }

    static Map<String, String> parseEnv(String args) {
        Map<String, String> env = new LinkedHashMap<>();
        List<String> words = shellWords(args);
        if (!words.isEmpty() && !words.get(0).contains("=")) {
            // legacy form: ENV KEY value with spaces
            env.put(
                    words.get(0),
                    args.substring(args.indexOf(words.get(0)) + words.get(0).length())
                            .strip());
            return env;
        }
        for (String w : words) {
            int eq = w.indexOf('=');
            env.put(w.substring(0, eq), unquote(w.substring(eq + 1)));
        }
        return env;
    }

    /** Splits on whitespace outside double or single quotes; quotes are kept in the words. */
    static List<String> shellWords(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
                continue;
            }
            if (c == '\\' && quote != '\'' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
                continue;
            }
            if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
            cur.append(c);
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    static String unquote(String w) {
        StringBuilder out = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            if (c == '\\' && quote != '\'' && i + 1 < w.length()) {
                out.append(w.charAt(++i));
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
