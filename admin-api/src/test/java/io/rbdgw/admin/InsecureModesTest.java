package io.rbdgw.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.DropwizardTestSupport;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.config.store.ConfigStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The YAML service is closed by default: no ZooKeeper credential, no start unless {@code zookeeper.insecure: true};
 * no secret key, no CHAP secret written unless {@code insecurePlaintextSecrets: true}.
 */
class InsecureModesTest {
    static final String T = "iqn.2003-01.org.example:insecure";
    static final String PASSWORD = "api-password-1";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    TestingServer zk;
    DropwizardTestSupport<AdminConfiguration> app;
    URI base;

    @BeforeEach
    void startZooKeeper() throws Exception {
        zk = TestZk.loopbackServer();
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.after();
        }
        zk.close();
    }

    /** The service's YAML with {@code extra} top-level lines and {@code zkExtra} lines under {@code zookeeper:}. */
    private Path yaml(List<String> extra, List<String> zkExtra) throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "adminPasswordHash: \"" + PasswordHash.hash(PASSWORD.toCharArray(), 1000) + "\"",
                "dataDir: " + dir.resolve("disks")));
        lines.addAll(extra);
        lines.addAll(List.of("zookeeper:", "  connect: \"" + zk.getConnectString() + "\"", "  root: /rbdgw"));
        zkExtra.forEach(l -> lines.add("  " + l));
        lines.addAll(List.of(
                "server:",
                "  applicationConnectors:",
                "    - type: http",
                "      port: 0",
                "      bindHost: 127.0.0.1",
                "  adminConnectors:",
                "    - type: http",
                "      port: 0",
                "      bindHost: 127.0.0.1",
                "logging:",
                "  level: WARN",
                "  appenders:",
                "    - type: file",
                "      currentLogFilename: " + dir.resolve("admin.log"),
                "      archive: false",
                ""));
        Path yaml = dir.resolve("admin.yml");
        Files.writeString(yaml, String.join("\n", lines));
        return yaml;
    }

    private void start(Path yaml) throws Exception {
        app = new DropwizardTestSupport<>(AdminApplication.class, yaml.toString());
        try {
            app.before();
        } catch (Exception e) {
            app = null;
            throw e;
        }
        base = URI.create("http://127.0.0.1:" + app.getLocalPort());
    }

    private HttpResponse<String> call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> chapClient(String initiator, String user, String secret) {
        return Map.of("initiator", initiator, "auth", Map.of("chap", Map.of("user", user, "secret", secret)));
    }

    @Test
    void withoutZooKeeperCredentialsTheServiceRefusesToStartAndNamesTheSettings() throws Exception {
        Path yaml = yaml(List.of("insecurePlaintextSecrets: true"), List.of());
        assertThatThrownBy(() -> start(yaml))
                .hasStackTraceContaining("zookeeper.authFile is not set")
                .hasStackTraceContaining("zookeeper.insecure: true");
        try (CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryNTimes(10, 100))) {
            c.start();
            assertThat(c.checkExists().forPath("/rbdgw"))
                    .as("nothing was created")
                    .isNull();
        }
    }

    @Test
    void insecureZooKeeperStartsAndWarnsButAChapSecretWithoutAKeyIsRefused() throws Exception {
        start(yaml(List.of(), List.of("insecure: true")));
        assertThat(Files.readString(dir.resolve("admin.log")))
                .contains("zookeeper.insecure: the configuration, CHAP secrets included, is open to anyone");
        assertThat(call("POST", "/api/targets", Map.of("iqn", T)).statusCode()).isEqualTo(201);

        HttpResponse<String> refused = call(
                "POST",
                "/api/targets/" + T + "/clients",
                chapClient("iqn.1994-05.com.redhat:a", "useraaa1", "secretA12345"));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("secretKeyFile is not set").contains("insecurePlaintextSecrets");
        HttpResponse<String> discovery = call(
                "PUT", "/api/discovery-auth", Map.of("chap", Map.of("user", "discuser1", "secret", "discsecret12")));
        assertThat(discovery.statusCode()).as(discovery.body()).isEqualTo(400);
        assertThat(discovery.body()).contains("secretKeyFile is not set");
        // a client without CHAP needs no key
        assertThat(call("POST", "/api/targets/" + T + "/clients", Map.of("initiator", "iqn.1994-05.com.redhat:b"))
                        .statusCode())
                .isEqualTo(201);
    }

    @Test
    void insecurePlaintextSecretsStoresThemAsGiven() throws Exception {
        start(yaml(List.of("insecurePlaintextSecrets: true"), List.of("insecure: true")));
        assertThat(call("POST", "/api/targets", Map.of("iqn", T)).statusCode()).isEqualTo(201);
        HttpResponse<String> created = call(
                "POST",
                "/api/targets/" + T + "/clients",
                chapClient("iqn.1994-05.com.redhat:a", "useraaa1", "secretA12345"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(Files.readString(dir.resolve("admin.log")))
                .contains("insecurePlaintextSecrets: CHAP secrets are written");
        try (CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryNTimes(10, 100))) {
            c.start();
            ConfigStore store = new ConfigStore(c, "/rbdgw");
            assertThat(store.read().clients().iterator().next().auth().chap().secret())
                    .isEqualTo("secretA12345");
        }
    }
}
