package org.arvdm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/performance.md is written by more than one benchmark: {@link ServiceBenchmarkTest} writes the
 * page, and the others each own a section between {@code <!-- begin NAME -->} and
 * {@code <!-- end NAME -->}, which a rerun of any of them replaces and every other run keeps.
 */
final class ReportSections {
    private static final Pattern SECTION = Pattern.compile(
            "<!-- begin ([a-z0-9-]+) -->\\n.*?<!-- end \\1 -->\\n", Pattern.DOTALL);

    private ReportSections() {
    }

    /** Puts {@code markdown} into section {@code name} of {@code file}: in place of its old text, or appended. */
    static void write(Path file, String name, String markdown) throws IOException {
        String block = "<!-- begin " + name + " -->\n" + markdown.strip() + "\n<!-- end " + name + " -->\n";
        String old = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        Matcher m = SECTION.matcher(old);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                Files.writeString(file, old.substring(0, m.start()) + block + old.substring(m.end()),
                        StandardCharsets.UTF_8);
                return;
            }
        }
        Files.writeString(file, old + (old.isEmpty() || old.endsWith("\n\n") ? "" : "\n") + block,
                StandardCharsets.UTF_8);
    }

    /** {@code page} followed by every section {@code file} holds now, so rewriting the page keeps them. */
    static String keepSections(Path file, String page) throws IOException {
        if (!Files.exists(file)) {
            return page;
        }
        StringBuilder b = new StringBuilder(page.endsWith("\n") ? page : page + "\n");
        Matcher m = SECTION.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
            b.append('\n').append(m.group());
        }
        return b.toString();
    }
}
