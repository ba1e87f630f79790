package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/**
 * Requests that Reactor Netty refuses before any handler runs, sent over a raw socket: each answer
 * is the service's problem+json, naming what was wrong, and the connection is closed.
 */
@TinyBundleServiceTest
class NettyProblemsTest {
    @LocalServerPort
    int port;

    record Answer(String statusLine, String head, Map<String, Object> problem) {}

    @SuppressWarnings("unchecked")
    Answer send(String request) throws Exception {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) { // the server closes the connection after the answer
                got.write(buf, 0, n);
            }
            String text = got.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            assertThat(split).as("a complete answer: %s", text).isPositive();
            String head = text.substring(0, split);
            String body = text.substring(split + 4);
            assertThat(body).as("a body: %s", text).isNotEmpty();
            return new Answer(
                    head.lines().findFirst().orElseThrow(),
                    head.toLowerCase(),
                    JsonMapper.builder().build().readValue(body, Map.class));
        }
    }

    static void isProblem(Answer a, int status, String field) {
        assertThat(a.statusLine()).startsWith("HTTP/1.1 " + status);
        assertThat(a.head()).contains("content-type: application/problem+json").contains("connection: close");
        assertThat(a.problem())
                .containsEntry("status", status)
                .containsEntry("field", field)
                .containsKeys("type", "title", "detail");
        assertThat((String) a.problem().get("type")).startsWith("urn:arvdm:");
    }

    @Test
    void aRequestLineOverTheLimitIs414() throws Exception {
        isProblem(send("GET /v1/models?" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n"), 414, "uri");
    }

    @Test
    void headersOverTheLimitAre431() throws Exception {
        isProblem(
                send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"),
                431,
                "headers");
    }

    @Test
    void anUnparsableRequestIs400() throws Exception {
        isProblem(send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nContent-Length: nope\r\n\r\n"), 400, "request");
    }

    @Test
    void aRequestAfterARefusedOneOnAnotherConnectionIsServed() throws Exception {
        send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream()
                    .write("GET /actuator/health/liveness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
            String text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200");
        }
    }
}
