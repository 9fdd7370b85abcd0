package io.rbdgw.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.DropwizardTestSupport;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.config.zk.ZkCredentials;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API as deployed (YAML, Dropwizard application) with zookeeper.authFile and secretKeyFile: it closes an
 * open tree from an older version, writes only encrypted CHAP secrets, and rotates them (API and CLI).
 */
class ProtectedZooKeeperTest {
    static final String T = "iqn.2003-01.org.example:prot";
    static final String OLD = "iqn.1994-05.com.redhat:old";
    static final String NEW = "iqn.1994-05.com.redhat:new";
    static final String PASSWORD = "api-password-1";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    @TempDir
    Path dir;

    TestingServer zk;
    CuratorFramework open;
    DropwizardTestSupport<AdminConfiguration> app;
    Path keyFile;
    URI base;

    private static Path privateFile(Path file, String content) throws Exception {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @BeforeEach
    void start() throws Exception {
        zk = TestZk.loopbackServer();
        open = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new RetryNTimes(10, 100))
                .build();
        open.start();
        // a tree written by a version without ACLs or encryption
        ConfigStore old = new ConfigStore(open, "/rbdgw");
        old.initialize();
        old.apply(
                0,
                new ConfigChange.PutTarget(Target.of(T)),
                new ConfigChange.PutClient(Client.allLuns(T, OLD)
                        .withAuth(Authentication.chap(new ChapCredentials("olduser1", "oldsecret123")))));

        Path authFile = privateFile(dir.resolve("zk-auth"), "rbdgw:zk-password-1\n");
        keyFile = privateFile(
                dir.resolve("secret.key"), "k1:" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Path yaml = dir.resolve("admin.yml");
        Files.writeString(
                yaml,
                String.join(
                        "\n",
                        "adminPasswordHash: \"" + PasswordHash.hash(PASSWORD.toCharArray(), 1000) + "\"",
                        "secretKeyFile: " + keyFile,
                        "dataDir: " + dir.resolve("disks"),
                        "zookeeper:",
                        "  connect: \"" + zk.getConnectString() + "\"",
                        "  root: /rbdgw",
                        "  authFile: " + authFile,
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
                        ""));
        app = new DropwizardTestSupport<>(AdminApplication.class, yaml.toString());
        app.before();
        base = URI.create("http://127.0.0.1:" + app.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.after();
        }
        open.close();
        zk.close();
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

    private List<String> rawDocuments(CuratorFramework c, String path) throws Exception {
        List<String> out = new ArrayList<>();
        byte[] d = c.getData().forPath(path);
        out.add(d == null ? "" : new String(d, StandardCharsets.UTF_8));
        for (String child : c.getChildren().forPath(path)) {
            out.addAll(rawDocuments(c, path + "/" + child));
        }
        return out;
    }

    private String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--url", base.toString()));
        all.addAll(List.of(args));
        int code = RbdgwCli.run(
                all.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Map.of("RBDGW_ADMIN_PASSWORD", PASSWORD));
        assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void closesTheOpenTreeEncryptsNewSecretsAndRotates() throws Exception {
        ZkLayout layout = new ZkLayout("/rbdgw");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThatThrownBy(() -> open.getData().forPath(layout.client(T, OLD)))
                        .isInstanceOf(KeeperException.NoAuthException.class));
        assertThatThrownBy(() -> open.getChildren().forPath("/rbdgw"))
                .isInstanceOf(KeeperException.NoAuthException.class);

        HttpResponse<String> created = call(
                "POST",
                "/api/targets/" + T + "/clients",
                Map.of("initiator", NEW, "auth", Map.of("chap", Map.of("user", "newuser1", "secret", "newsecret456"))));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> smuggled = call(
                "POST",
                "/api/targets/" + T + "/clients",
                Map.of(
                        "initiator",
                        "iqn.1994-05.com.redhat:x",
                        "auth",
                        Map.of(
                                "chap",
                                Map.of(
                                        "user",
                                        "newuser2",
                                        "secret",
                                        SecretBox.parse(Files.readString(keyFile), "k")
                                                .seal("abcdefghijklm")))));
        assertThat(smuggled.statusCode()).as(smuggled.body()).isEqualTo(400);

        CuratorFramework rightful = new ZkCredentials("rbdgw", "zk-password-1")
                .applyTo(CuratorFrameworkFactory.builder()
                        .connectString(zk.getConnectString())
                        .retryPolicy(new RetryNTimes(10, 100)))
                .build();
        rightful.start();
        try {
            // the write encrypted the new secret and the plaintext one an older version had left
            String dump = String.join("\n", rawDocuments(rightful, "/rbdgw"));
            assertThat(dump)
                    .doesNotContain("newsecret456")
                    .doesNotContain("oldsecret123")
                    .doesNotContain(Base64.getEncoder().encodeToString("oldsecret123".getBytes(StandardCharsets.UTF_8)))
                    .contains("enc:v1:k1:");
            JsonNode rotated =
                    JSON.readTree(call("POST", "/api/secrets/rotate", null).body());
            assertThat(rotated.at("/value/reencrypted").asInt()).isZero();
            assertThat(rotated.at("/value/keyId").asText()).isEqualTo("k1");

            // a new key goes first; after a restart the CLI rotates every secret to it
            app.after();
            privateFile(
                    keyFile,
                    "k2:" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes()) + "\n"
                            + Files.readString(keyFile));
            app.before();
            base = URI.create("http://127.0.0.1:" + app.getLocalPort());
            assertThat(cli("secrets", "rotate")).contains("re-encrypted 2 secret(s) with key k2");
            dump = String.join("\n", rawDocuments(rightful, "/rbdgw"));
            assertThat(dump).contains("enc:v1:k2:").doesNotContain("enc:v1:k1:");

            SecretBox k2Only = SecretBox.parse(
                    Files.readString(keyFile).lines().findFirst().orElseThrow(), "k");
            ConfigStore reader = new ConfigStore(rightful, "/rbdgw");
            assertThat(k2Only.open(reader.read()
                            .client(T, OLD)
                            .orElseThrow()
                            .auth()
                            .chap()
                            .secret()))
                    .isEqualTo("oldsecret123");
            assertThat(k2Only.open(reader.read()
                            .client(T, NEW)
                            .orElseThrow()
                            .auth()
                            .chap()
                            .secret()))
                    .isEqualTo("newsecret456");
        } finally {
            rightful.close();
        }
    }
}
