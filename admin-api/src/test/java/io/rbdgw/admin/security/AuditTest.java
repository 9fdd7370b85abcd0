package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.api.AuditEntry;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.admin.core.AuditLog;
import io.rbdgw.admin.resources.AuditTrail;
import io.rbdgw.config.store.ConfigStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every accepted change lands in /api/audit with who, from where, what and the epoch, and never a secret. */
class AuditTest {
    static final String PASSWORD = TestApi.PASSWORD;
    static final String T = "iqn.2003-01.org.example:audit";
    static final String I = "iqn.1994-05.com.redhat:audit1";
    static final ObjectMapper JSON = new ObjectMapper();
    static ConfigStore store;
    static AdminServer server;
    static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        TestApi api = TestApi.start("audit");
        store = api.store;
        server = api.server;
        http = api.http;
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static RawHttp.Answer call(String method, String path, String body) throws Exception {
        return http.send(method, path, body, Map.of("Authorization", RawHttp.basic("admin", PASSWORD)));
    }

    static long epoch(RawHttp.Answer a) {
        return Long.parseLong(a.header("ETag").replace("\"", ""));
    }

    @Test
    void changesAreRecordedWithoutSecrets() throws Exception {
        Logger trailLog = (Logger) LoggerFactory.getLogger(AuditTrail.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        trailLog.addAppender(lines);
        Level saved = trailLog.getLevel();
        trailLog.setLevel(Level.INFO);
        RawHttp.Answer target;
        RawHttp.Answer client;
        RawHttp.Answer discovery;
        try {
            target = call("POST", "/api/targets", "{\"iqn\":\"" + T + "\"}");
            client = call(
                    "POST",
                    "/api/targets/" + T + "/clients",
                    "{\"initiator\":\"" + I + "\","
                            + "\"auth\":{\"chap\":{\"user\":\"audit1user\",\"secret\":\"auditsecret12\"},"
                            + "\"mutualChap\":{\"user\":\"audit2user\",\"secret\":\"mutualsecret34\"}}}");
            // refused and read-only requests are not changes
            assertThat(call("POST", "/api/targets", "{\"iqn\":\"not-an-iqn\"}").status())
                    .isEqualTo(400);
            assertThat(call("GET", "/api/targets", null).status()).isEqualTo(200);
            assertThat(http.send("DELETE", "/api/targets/" + T, null, Map.of()).status())
                    .isEqualTo(401);
            discovery = call(
                    "PUT", "/api/discovery-auth", "{\"chap\":{\"user\":\"disc1user\",\"secret\":\"discsecret56\"}}");
        } finally {
            trailLog.detachAppender(lines);
            trailLog.setLevel(saved);
        }
        assertThat(List.of(target.status(), client.status(), discovery.status()))
                .containsExactly(201, 201, 200);

        RawHttp.Answer a = call("GET", "/api/audit", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body()).doesNotContain("auditsecret12", "mutualsecret34", "discsecret56");
        JsonNode list = JSON.readTree(a.body());
        assertThat(list).hasSize(3);
        JsonNode newest = list.get(0);
        assertThat(newest.get("method").asText()).isEqualTo("PUT");
        assertThat(newest.get("path").asText()).isEqualTo("/api/discovery-auth");
        assertThat(newest.get("epoch").asLong()).isEqualTo(epoch(discovery));
        assertThat(newest.get("body").asText()).contains("disc1user", "\"secret\":\"***\"");
        JsonNode second = list.get(1);
        assertThat(second.get("method").asText()).isEqualTo("POST");
        assertThat(second.get("path").asText()).isEqualTo("/api/targets/" + T + "/clients");
        assertThat(second.get("epoch").asLong()).isEqualTo(epoch(client));
        assertThat(second.get("body").asText())
                .contains(I, "audit1user", "audit2user")
                .doesNotContain("secret1", "secret3");
        for (JsonNode e : list) {
            assertThat(e.get("user").asText()).isEqualTo("admin");
            assertThat(e.get("address").asText()).isEqualTo("127.0.0.1");
            assertThat(e.get("time").asText()).endsWith("Z");
        }
        assertThat(list.get(2).get("epoch").asLong()).isEqualTo(epoch(target));
        assertThat(list.get(0).get("sequence").asLong())
                .isGreaterThan(list.get(1).get("sequence").asLong());

        assertThat(JSON.readTree(call("GET", "/api/audit?limit=1", null).body()))
                .hasSize(1);
        assertThat(call("GET", "/api/audit?limit=0", null).status()).isEqualTo(400);
        assertThat(http.send("GET", "/api/audit", null, Map.of()).status()).isEqualTo(401);

        // one INFO line per change, without secrets
        assertThat(lines.list).hasSize(3);
        assertThat(lines.list).allSatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.INFO);
            assertThat(e.getFormattedMessage())
                    .contains("by admin from 127.0.0.1")
                    .doesNotContain("secret12", "secret34", "secret56");
        });

        // the CLI shows it
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = RbdgwCli.run(
                new String[] {"--url", server.uri().toString(), "audit", "--limit", "2"},
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()),
                Map.of("RBDGW_ADMIN_PASSWORD", PASSWORD));
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("TIME", "USER", "ADDRESS", "/api/discovery-auth", "admin", "127.0.0.1");
    }

    @Test
    void historyIsBounded() throws Exception {
        AuditLog log = new AuditLog(TestZk.client(), "/audit-bound-test", 5);
        List<Long> epochs = new ArrayList<>();
        for (long i = 1; i <= 12; i++) {
            log.append(new AuditEntry(0, "t" + i, "admin", "127.0.0.1", "POST", "/api/targets", null, 201, i));
            epochs.add(i);
        }
        List<AuditEntry> recent = log.recent(100);
        assertThat(recent).extracting(AuditEntry::epoch).containsExactly(12L, 11L, 10L, 9L, 8L);
        assertThat(TestZk.client().getChildren().forPath("/audit-bound-test/audit"))
                .hasSize(5);
    }
}
