package org.arvdm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sections of a document that a benchmark owns, between {@code <!-- bench:NAME -->} and
 * {@code <!-- /bench:NAME -->}: a benchmark rewrites its own section and leaves the rest of the
 * file as it is, and a benchmark that writes a whole file keeps the sections other benchmarks own.
 */
final class BenchDocs {
    private static final Pattern SECTION =
            Pattern.compile("<!-- bench:([\\w-]+) -->\\n.*?<!-- /bench:\\1 -->\\n?", Pattern.DOTALL);

    private BenchDocs() {}

    static String begin(String name) {
        return "<!-- bench:" + name + " -->\n";
    }

    static String end(String name) {
        return "<!-- /bench:" + name + " -->\n";
    }

    /** Replaces section {@code name} of {@code file} with {@code body}, or appends it where there is none. */
    static void writeSection(Path file, String name, String body) throws IOException {
        String doc = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        String section = begin(name) + body + (body.endsWith("\n") ? "" : "\n") + end(name);
        Matcher m = Pattern.compile(Pattern.quote(begin(name)) + ".*?" + Pattern.quote(end(name)), Pattern.DOTALL)
                .matcher(doc);
        String out = m.find()
                ? doc.substring(0, m.start()) + section + doc.substring(m.end())
                : doc + (doc.isEmpty() || doc.endsWith("\n\n") ? "" : doc.endsWith("\n") ? "\n" : "\n\n") + section;
        Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    /** {@code report} followed by every benchmark section {@code file} now holds (the report replaces the rest). */
    static String keepSections(Path file, String report) throws IOException {
        if (!Files.isRegularFile(file)) {
            return report;
        }
        StringBuilder kept = new StringBuilder(report);
        Matcher m = SECTION.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
            if (!report.contains(begin(m.group(1)))) {
                kept.append(kept.toString().endsWith("\n\n") ? "" : "\n").append(m.group());
            }
        }
        return kept.toString();
    }
}
