package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.config.store.ConfigStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Dropwizard's admin context behind the API's credentials, no tasks in the embedded server, and no credential in any log line. */
class AdminContextTest {
    static final String PASSWORD = TestApi.PASSWORD;
    static ConfigStore store;
    static AdminServer server;
    static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        TestApi api = TestApi.start("adminctx");
        store = api.store;
        server = api.server;
        http = api.http;
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Map<String, String> auth() {
        return Map.of("Authorization", RawHttp.basic("admin", PASSWORD));
    }

    @Test
    void adminServletNeedsCredentialsExceptHealthAndPing() throws Exception {
        for (String p : List.of(
                "/admin/metrics",
                "/admin/threads",
                "/admin/pprof",
                "/admin/",
                "/admin/metrics?pretty=true",
                "/admin/healthcheck/../metrics",
                "/admin//threads",
                "/admin/%6detrics",
                "/admin;x=1/metrics",
                "/admin/metrics;x=1",
                "/admin/healthcheck;/../threads")) {
            int status = http.send("GET", p, null, Map.of()).status();
            assertThat(status).as(p).isIn(400, 401, 404);
        }
        for (String task : List.of(
                "/admin/tasks/gc", "/admin/tasks/log-level?logger=ROOT&level=DEBUG", "/admin/tasks/log-level;x=1")) {
            assertThat(http.send("POST", task, null, Map.of()).status())
                    .as(task)
                    .isIn(400, 401);
        }
        assertThat(http.send("GET", "/admin/healthcheck", null, Map.of()).status())
                .isEqualTo(200);
        assertThat(http.send("GET", "/admin/ping", null, Map.of()).status()).isEqualTo(200);
        assertThat(http.send("GET", "/admin/metrics", null, auth()).status()).isEqualTo(200);
        assertThat(http.send("GET", "/admin/threads", null, auth()).status()).isEqualTo(200);
    }

    @Test
    void embeddedServerHasNoTasks() throws Exception {
        RawHttp.Answer gc = http.send("POST", "/admin/tasks/gc", null, auth());
        assertThat(gc.status()).isEqualTo(404);
        // a known level first: a Dropwizard app stopped earlier in this JVM resets logback, which leaves ROOT at DEBUG
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        root.setLevel(Level.WARN);
        try {
            RawHttp.Answer level = http.send("POST", "/admin/tasks/log-level?logger=ROOT&level=DEBUG", null, auth());
            assertThat(level.status()).isEqualTo(404);
            assertThat(root.getLevel()).isEqualTo(Level.WARN);
        } finally {
            root.setLevel(before);
        }
    }

    @Test
    void crossSiteFormPostIsRefusedEvenWithCredentials() throws Exception {
        Map<String, String> h = new HashMap<>(auth());
        h.put("Origin", "http://evil.example");
        assertThat(http.send("POST", "/admin/tasks/gc", null, h).status()).isEqualTo(403);
        h.remove("Origin");
        h.put("Sec-Fetch-Site", "cross-site");
        assertThat(http.send("POST", "/admin/tasks/gc", null, h).status()).isEqualTo(403);
    }

    /** Everything at DEBUG, as an operator chasing a problem would set it: no password, its Base64 or a CHAP secret. */
    @Test
    void noCredentialIsLoggedAtDebug() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Map<Logger, Level> saved = new HashMap<>();
        List<Appender<ILoggingEvent>> detached = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            detached.add(it.next());
        }
        detached.forEach(root::detachAppender); // keep the console quiet; the list sees everything
        ListAppender<ILoggingEvent> list = new ListAppender<>();
        list.setContext(ctx);
        list.start();
        root.addAppender(list);
        for (Logger l : ctx.getLoggerList()) {
            saved.put(l, l.getLevel());
            if (!l.getName().startsWith("org.apache.zookeeper") && !l.getName().startsWith("org.apache.curator")) {
                l.setLevel(Level.DEBUG);
            }
        }
        root.setLevel(Level.DEBUG);
        String chapSecret = "logsecret1234";
        try {
            String t = "iqn.2003-01.org.example:logs";
            http.send("POST", "/api/targets", "{\"iqn\":\"" + t + "\"}", auth());
            http.send(
                    "POST",
                    "/api/targets/" + t + "/clients",
                    "{\"initiator\":\"iqn.1994-05.com.redhat:l1\","
                            + "\"auth\":{\"chap\":{\"user\":\"logs1user\",\"secret\":\"" + chapSecret + "\"}}}",
                    auth());
            http.send(
                    "PUT",
                    "/api/discovery-auth",
                    "{\"chap\":{\"user\":\"logs1user\",\"secret\":\"" + chapSecret + "\",\"x\":1}}",
                    auth());
            http.send(
                    "PUT",
                    "/api/discovery-auth",
                    "{\"chap\":{\"user\":\"logs1user\",\"secret\":\"" + chapSecret + "\"",
                    auth());
            http.send("GET", "/admin/metrics", null, auth());
            http.send("GET", "/api/targets", null, Map.of("Authorization", RawHttp.basic("admin", PASSWORD + "x")));
        } finally {
            saved.forEach(Logger::setLevel);
            root.detachAppender(list);
            detached.forEach(root::addAppender);
        }
        String b64 = Base64.getEncoder().encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        StringBuilder all = new StringBuilder();
        for (ILoggingEvent e : list.list) {
            all.append(e.getLoggerName())
                    .append(' ')
                    .append(e.getFormattedMessage())
                    .append('\n');
            if (e.getThrowableProxy() != null) {
                all.append(e.getThrowableProxy().getMessage()).append('\n');
            }
        }
        assertThat(all.toString())
                .doesNotContain(PASSWORD)
                .doesNotContain(b64)
                .doesNotContain(b64.substring(0, 20))
                .doesNotContain(chapSecret);
    }
}
