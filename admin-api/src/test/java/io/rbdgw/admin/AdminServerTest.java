package io.rbdgw.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.admin.resources.OpenApiDocument;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.store.ConfigStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The whole service in-process (AdminServer on a TestingServer) over real HTTP, and the CLI against it. */
class AdminServerTest {
    static final String PASSWORD = "correct horse battery";
    static final String T = "iqn.2003-01.org.example:app";
    static final String I = "iqn.1991-05.com.microsoft:win1";
    static ConfigStore store;
    static AdminServer server;
    static Path data;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        store = TestZk.newStore();
        data = Files.createTempDirectory("admin-app");
        String hash = PasswordHash.hash(PASSWORD.toCharArray(), 1000);
        server = AdminServer.start(
                AdminServer.Options.of(store, hash).withListen("127.0.0.1", 0).withDataDir(data));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> call(String method, String path, String body, String password, String ifMatch)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (password != null) {
            b.header(
                    "Authorization",
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, PASSWORD, null);
    }

    @Test
    void refusesToStartWithoutPasswordHash() {
        assertThatThrownBy(() -> AdminServer.Options.of(store, null)).hasMessageContaining("no admin password hash");
        assertThatThrownBy(() -> AdminServer.Options.of(store, "plaintext"))
                .hasMessageContaining("pbkdf2-sha256")
                .hasMessageNotContaining("plaintext");
    }

    @Test
    void authenticationIsRequired() throws Exception {
        HttpResponse<String> none = call("GET", "/api/targets", null, null, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm="));
        assertThat(call("GET", "/api/targets", null, "wrong password", null).statusCode())
                .isEqualTo(401);
        assertThat(call("DELETE", "/api/targets/" + T, null, "wrong password", null)
                        .statusCode())
                .isEqualTo(401);
        assertThat(call("GET", "/api/targets", null).statusCode()).isEqualTo(200);
    }

    @Test
    void endToEndTargetFileDiskLunAndChapClient() throws Exception {
        HttpResponse<String> t = call("POST", "/api/targets", "{\"iqn\":\"" + T + "\"}");
        assertThat(t.statusCode()).as(t.body()).isEqualTo(201);
        HttpResponse<String> d = call(
                "POST", "/api/disks", "{\"pool\":\"local\",\"image\":\"app\",\"size\":\"8M\",\"backstore\":\"file\"}");
        assertThat(d.statusCode()).as(d.body()).isEqualTo(201);
        assertThat(Files.size(data.resolve("local/app.img"))).isEqualTo(8 << 20);
        HttpResponse<String> l = call("POST", "/api/targets/" + T + "/luns", "{\"disk\":\"local/app\"}");
        assertThat(l.statusCode()).as(l.body()).isEqualTo(201);
        HttpResponse<String> c = call(
                "POST",
                "/api/targets/" + T + "/clients",
                "{\"initiator\":\"" + I + "\",\"luns\":[0],"
                        + "\"auth\":{\"chap\":{\"user\":\"win1user\",\"secret\":\"win1secret12\"}}}");
        assertThat(c.statusCode()).as(c.body()).isEqualTo(201);
        assertThat(c.body()).doesNotContain("win1secret12");
        long epoch = JSON.readTree(c.body()).get("epoch").asLong();
        assertThat(c.headers().firstValue("ETag")).hasValue("\"" + epoch + "\"");

        // the stored configuration is what a gateway will read
        var config = store.read();
        assertThat(config.epoch()).isEqualTo(epoch);
        assertThat(config.client(T, I).orElseThrow().auth().chap().secret()).isEqualTo("win1secret12");
        assertThat(config.visibleLuns(T, I)).containsExactly(0);

        // If-Match: stale -> 412, current -> 200
        HttpResponse<String> stale =
                call("PUT", "/api/targets/" + T, "{\"alias\":\"x\"}", PASSWORD, "\"" + (epoch - 1) + "\"");
        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(JSON.readTree(stale.body()).get("message").asText()).contains("epoch " + epoch);
        HttpResponse<String> fresh =
                call("PUT", "/api/targets/" + T, "{\"alias\":\"x\"}", PASSWORD, "\"" + epoch + "\"");
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(fresh.body()).get("epoch").asLong()).isEqualTo(epoch + 1);

        JsonNode e = JSON.readTree(call("GET", "/api/config/epoch", null).body());
        assertThat(e.get("epoch").asLong()).isEqualTo(epoch + 1);
    }

    @Test
    void openApiListsEveryResourceMethod() throws Exception {
        HttpResponse<String> r = call("GET", "/openapi.json", null, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode doc = JSON.readTree(r.body());
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        JsonNode paths = doc.get("paths");
        for (OpenApiDocument.Operation op : OpenApiDocument.operations(AdminApi.RESOURCES)) {
            assertThat(paths.has(op.path())).as(op.path()).isTrue();
            assertThat(paths.get(op.path()).has(op.httpMethod().toLowerCase()))
                    .as(op.httpMethod() + " " + op.path())
                    .isTrue();
        }
        assertThat(paths.has("/api/targets/{target}/clients/{initiator}/auth")).isTrue();
        assertThat(doc.at("/paths/~1api~1targets/post/requestBody/content/application~1json/schema/$ref")
                        .asText())
                .isEqualTo("#/components/schemas/TargetRequest");
        assertThat(doc.at("/components/schemas/ClientRequest/properties/auth/$ref")
                        .asText())
                .isEqualTo("#/components/schemas/AuthRequest");
        assertThat(OpenApiDocument.operations(AdminApi.RESOURCES)).hasSizeGreaterThan(50);
    }

    @Test
    void healthChecks() throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(server.uri().resolve("/admin/healthcheck"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode h = JSON.readTree(r.body());
        assertThat(h.at("/zookeeper/healthy").asBoolean()).isTrue();
        assertThat(h.at("/zookeeper/message").asText()).contains("configuration epoch");
        assertThat(h.has("ceph")).isFalse();
    }

    /** The CLI in-process against the running API. */
    @Nested
    class Cli {
        record Run(int code, String out, String err) {}

        Run cli(String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            String[] all = new String[args.length + 2];
            all[0] = "--url";
            all[1] = server.uri().toString();
            System.arraycopy(args, 0, all, 2, args.length);
            int code = RbdgwCli.run(
                    all,
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    Map.of("RBDGW_ADMIN_PASSWORD", PASSWORD));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }

        @Test
        void fullWorkflowWithTablesAndJson() throws Exception {
            String tgt = "iqn.2003-01.org.example:cli";
            String ini = "iqn.1994-05.com.redhat:cli1";
            assertThat(cli("target", "create", tgt, "--alias", "from-cli").out())
                    .contains("created target " + tgt, "(epoch ");
            Run list = cli("target", "list");
            assertThat(list.code()).isZero();
            assertThat(list.out()).contains("IQN", "ALIAS", tgt, "from-cli");
            assertThat(cli("disk", "create", "local/cli1", "--size", "4M", "--backstore", "file")
                            .out())
                    .contains("created disk local/cli1");
            assertThat(cli("disk", "resize", "local/cli1", "--size", "8M").out())
                    .contains("8388608 bytes");
            assertThat(cli("disk", "list").out()).contains("local/cli1", "8388608", "file");
            assertThat(cli("lun", "add", tgt, "local/cli1", "--lun", "3").out()).contains("added LUN 3");
            assertThat(cli("client", "create", tgt, ini, "--lun", "3").code()).isZero();
            Run auth = cli(
                    "client",
                    "auth",
                    tgt,
                    ini,
                    "--chap-user",
                    "cli1user",
                    "--chap-secret",
                    "cli1secret123",
                    "--mutual-user",
                    "targetuser",
                    "--mutual-secret",
                    "mutualsecret1");
            assertThat(auth.code()).as(auth.err()).isZero();
            Run clients = cli("client", "list", tgt);
            assertThat(clients.out())
                    .contains(ini, "chap:cli1user mutual:targetuser")
                    .doesNotContain("cli1secret123");
            Run json = cli("--json", "client", "list", tgt);
            JsonNode parsed = JSON.readTree(json.out());
            assertThat(parsed.get(0).at("/auth/chap/secretSet").asBoolean()).isTrue();
            assertThat(cli("hostgroup", "create", tgt, "grp", "--member", ini, "--disk", "local/cli1")
                            .code())
                    .isZero();
            assertThat(cli("hostgroup", "list", tgt).out()).contains("grp", ini, "local/cli1");
            assertThat(cli("hostgroup", "edit", tgt, "grp", "remove-disk", "local/cli1")
                            .code())
                    .isZero();
            assertThat(cli("discovery-auth", "set", "--chap-user", "discuser1", "--chap-secret", "discsecret123")
                            .code())
                    .isZero();
            assertThat(cli("discovery-auth", "show").out()).contains("chap:discuser1");
            assertThat(cli("gateway", "add", "gw1", "--portal", "192.0.2.1").code())
                    .isZero();
            assertThat(cli("gateway", "list").out()).contains("gw1", "192.0.2.1:3260");
            Run epoch = cli("epoch");
            assertThat(epoch.out()).startsWith("epoch " + store.epoch());
            assertThat(cli("settings", "set", "cmdsnDepth", "64").code()).isZero();
            assertThat(cli("settings").out()).contains("cmdsnDepth", "64");

            // refusals carry the server's message and exit 1
            Run dup = cli("target", "create", tgt);
            assertThat(dup.code()).isEqualTo(1);
            assertThat(dup.err()).contains("already exists", "HTTP 409");
            Run busy = cli("disk", "delete", "local/cli1");
            assertThat(busy.code()).isEqualTo(1);
            assertThat(busy.err()).contains("remove the LUN first");
            Run invalid = cli("target", "create", "not-an-iqn");
            assertThat(invalid.err()).contains("not a valid iSCSI name", "HTTP 400");
            // drain, ALUA and failovers: refusals and empty answers
            Run unknown = cli("gateway", "drain", "nope");
            assertThat(unknown.code()).isEqualTo(1);
            assertThat(unknown.err()).contains("no gateway nope", "HTTP 404");
            Run alone = cli("gateway", "drain", "gw1");
            assertThat(alone.code()).isEqualTo(1);
            assertThat(alone.err()).contains("no other live gateway", "HTTP 409");
            Run notDraining = cli("gateway", "undrain", "gw1");
            assertThat(notDraining.err()).contains("gateway gw1 is not draining", "HTTP 409");
            assertThat(cli("gateway", "drain-status", "gw1").out()).contains("draining: false", "complete: false");
            assertThat(cli("alua").out()).contains("DISK", "OWNER", "local/cli1", "gw1=UNAVAILABLE");
            assertThat(cli("failovers").out()).contains("WRITTEN", "REASON");
            Run badReason = cli("failovers", "--reason", "boredom");
            assertThat(badReason.err()).contains("unknown reason 'boredom'", "HTTP 400");

            // teardown through the CLI
            assertThat(cli("hostgroup", "delete", tgt, "grp").code()).isZero();
            assertThat(cli("client", "delete", tgt, ini).code()).isZero();
            assertThat(cli("lun", "remove", tgt, "3").code()).isZero();
            assertThat(cli("disk", "delete", "local/cli1").code()).isZero();
            assertThat(cli("target", "delete", tgt).code()).isZero();
            assertThat(cli("gateway", "delete", "gw1").code()).isZero();
            assertThat(Files.exists(data.resolve("local/cli1.img"))).isFalse();
        }

        /** ls, info and sysinfo against a configured cluster with one live gateway and one that is down. */
        @Test
        void lsInfoAndSysinfo() throws Exception {
            String tgt = "iqn.2003-01.org.example:tree";
            String ini = "iqn.1998-01.com.vmware:esx-tree";
            String other = "iqn.1998-01.com.vmware:esx-other";
            assertThat(cli("target", "create", tgt, "--alias", "vmware").code()).isZero();
            assertThat(cli("disk", "create", "local/tree1", "--size", "4M", "--backstore", "file")
                            .code())
                    .isZero();
            assertThat(cli("disk", "create", "local/tree2", "--size", "8M", "--backstore", "file")
                            .code())
                    .isZero();
            assertThat(cli("lun", "add", tgt, "local/tree1", "--lun", "0").code())
                    .isZero();
            assertThat(cli("lun", "add", tgt, "local/tree2", "--lun", "1").code())
                    .isZero();
            assertThat(cli("client", "create", tgt, ini, "--lun", "0").code()).isZero();
            assertThat(cli("client", "auth", tgt, ini, "--chap-user", "esxtreeuser", "--chap-secret", "treesecret1234")
                            .code())
                    .isZero();
            assertThat(cli("client", "create", tgt, other).code()).isZero();
            assertThat(cli("hostgroup", "create", tgt, "cluster1", "--member", other, "--disk", "local/tree2")
                            .code())
                    .isZero();
            assertThat(cli("gateway", "add", "gw-tree1", "--portal", "192.0.2.11")
                            .code())
                    .isZero();
            assertThat(cli("gateway", "add", "gw-tree2", "--portal", "192.0.2.12:3261")
                            .code())
                    .isZero();
            long epoch = store.epoch();
            try (GatewayMembership m = new GatewayMembership(
                    store.client(),
                    store.layout(),
                    new MemberInfo(
                            "gw-tree1", List.of(new Portal("192.0.2.11", 3260)), "192.0.2.11:0/1", "0.9.1", 0))) {
                m.start();
                assertThat(m.awaitRegistered(Duration.ofSeconds(5))).isTrue();
                m.reportStatus(epoch, GatewayStatus.Health.OK, "serving");
                Awaitility.await()
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> m.unpublishedStatus().isEmpty());

                Run ls = cli("ls");
                assertThat(ls.code()).as(ls.err()).isZero();
                assertThat(ls.out()).contains("configuration epoch " + epoch + " (1 of 2 gateways up to date)");
                List<String> lines = ls.out().lines().toList();
                // the tree: target -> portals (every gateway), LUNs -> disks, clients with what they see, host groups
                assertThat(lines)
                        .containsSubsequence(
                                "targets",
                                "  " + tgt + "  alias vmware  ACL on  auth none",
                                "    portals",
                                "      gw-tree1  192.0.2.11:3260  tpg 1  alive  health OK  applied epoch " + epoch
                                        + " (up to date)",
                                "      gw-tree2  192.0.2.12:3261  tpg 2  down  health -  applied epoch -",
                                "    LUNs",
                                "      0  local/tree1  file  4M  exported as " + tgt + " LUN 0",
                                "      1  local/tree2  file  8M  exported as " + tgt + " LUN 1",
                                "    clients",
                                "      " + other + "  auth none  host group cluster1  sees 1 (local/tree2)",
                                "      " + ini + "  auth CHAP user esxtreeuser  sees 0 (local/tree1)",
                                "    host groups",
                                "      cluster1  members " + other + "  disks local/tree2",
                                "disks",
                                "gateways",
                                "  gw-tree1  192.0.2.11:3260  tpg 1  alive  health OK  applied epoch " + epoch
                                        + " (up to date)");
                assertThat(lines.get(lines.size() - 1)).startsWith("discovery auth: "); // other tests set it
                assertThat(ls.out()).doesNotContain("treesecret1234");
                // --json is GET /api/config, before or after the command
                JsonNode lsJson = JSON.readTree(cli("ls", "--json").out());
                assertThat(lsJson)
                        .isEqualTo(
                                JSON.readTree(call("GET", "/api/config", null).body()));
                assertThat(JSON.readTree(cli("--json", "ls").out())).isEqualTo(lsJson);

                Run target = cli("info", "target", tgt);
                assertThat(target.out().lines().toList())
                        .startsWith("" + tgt + "  alias vmware  ACL on  auth none", "  portals");
                assertThat(JSON.readTree(cli("info", "target", tgt, "--json").out()))
                        .isEqualTo(JSON.readTree(
                                call("GET", "/api/targets/" + tgt, null).body()));
                Run disk = cli("info", "disk", "local/tree2");
                assertThat(disk.out())
                        .contains("local/tree2  file  8M", "wwn seed: ", "    " + tgt + " LUN 1, seen by " + other);
                assertThat(JSON.readTree(cli("info", "disk", "local/tree2", "--json")
                                        .out())
                                .get("id")
                                .asText())
                        .isEqualTo("local/tree2");
                Run client = cli("info", "client", other);
                assertThat(client.out().lines().toList())
                        .containsExactly(
                                other,
                                "  on " + tgt,
                                "    auth: none",
                                "    own LUNs none, host group cluster1",
                                "    sees 1 (local/tree2)");
                JsonNode clientJson =
                        JSON.readTree(cli("--json", "info", "client", ini).out());
                assertThat(clientJson).hasSize(1);
                assertThat(clientJson.get(0).at("/auth/chap/user").asText()).isEqualTo("esxtreeuser");
                Run gw = cli("info", "gateway", "gw-tree1");
                assertThat(gw.out()).contains("gw-tree1  192.0.2.11:3260  tpg 1  alive", "version: 0.9.1");
                assertThat(JSON.readTree(cli("info", "gateway", "gw-tree2", "--json")
                                        .out())
                                .get("alive")
                                .asBoolean())
                        .isFalse();
                Run missing = cli("info", "client", "iqn.1998-01.com.vmware:nobody");
                assertThat(missing.code()).isEqualTo(1);
                assertThat(missing.err()).contains("no target lists client iqn.1998-01.com.vmware:nobody");
                assertThat(cli("info", "disk", "local/none").err()).contains("HTTP 404");
                assertThat(cli("info", "volume", "x").code()).isEqualTo(2);

                var config = store.read(); // the other tests of this class share the server
                assertThat(config.targets()).hasSizeGreaterThanOrEqualTo(1);
                Run sys = cli("sysinfo");
                assertThat(sys.code()).as(sys.err()).isZero();
                assertThat(sys.out())
                        .contains(
                                "schema version: 1.0",
                                "zookeeper: "
                                        + store.client().getZookeeperClient().getCurrentConnectionString() + " root "
                                        + store.layout().root() + " (connected)",
                                "configuration epoch: " + epoch,
                                "configured: " + config.targets().size() + " targets, "
                                        + config.disks().size() + " disks, "
                                        + config.luns().size() + " LUNs, "
                                        + config.clients().size() + " clients, "
                                        + config.hostGroups().size() + " host groups, 2 gateways",
                                "  gw-tree1  alive  health OK  applied epoch " + epoch + " (up to date)  version 0.9.1",
                                "  gw-tree2  down  health -  applied epoch -  version -");
                JsonNode sysJson = JSON.readTree(cli("sysinfo", "--json").out());
                assertThat(sysJson.get("epoch").asLong()).isEqualTo(epoch);
                assertThat(sysJson.get("version").asText()).isEqualTo(AdminApi.version());
                assertThat(call("GET", "/api/sysinfo", null, null, null).statusCode())
                        .isEqualTo(401);
            } finally {
                store.client().delete().forPath(store.layout().status("gw-tree1"));
            }
            assertThat(cli("target", "delete", tgt).code()).isZero();
            assertThat(cli("disk", "delete", "local/tree1").code()).isZero();
            assertThat(cli("disk", "delete", "local/tree2").code()).isZero();
            assertThat(cli("gateway", "delete", "gw-tree1").code()).isZero();
            assertThat(cli("gateway", "delete", "gw-tree2").code()).isZero();
        }

        /** config export > FILE, wipe, config import FILE: the same configuration; dry runs and bad files change nothing. */
        @Test
        void configExportImportRoundTrip() throws Exception {
            String tgt = "iqn.2003-01.org.example:backup";
            String ini = "iqn.1998-01.com.vmware:esx-backup";
            assertThat(cli("target", "create", tgt).code()).isZero();
            assertThat(cli("disk", "create", "local/backup1", "--size", "4M", "--backstore", "file")
                            .code())
                    .isZero();
            assertThat(cli("lun", "add", tgt, "local/backup1").code()).isZero();
            assertThat(cli("client", "create", tgt, ini, "--lun", "0").code()).isZero();
            assertThat(cli("client", "auth", tgt, ini, "--chap-user", "backupuser", "--chap-secret", "backupsecret12")
                            .code())
                    .isZero();
            ClusterConfig before = store.read();

            Run plain = cli("config", "export");
            assertThat(plain.code()).as(plain.err()).isZero();
            assertThat(plain.out())
                    .contains("\"secrets\" : \"omitted\"", "backupuser")
                    .doesNotContain("backupsecret12");
            Run full = cli("config", "export", "--with-secrets");
            assertThat(full.out()).contains("backupsecret12");
            Path file = Files.createTempFile(data, "export", ".json");
            Files.writeString(file, full.out());

            // a dry run of the export without our client: says so, changes nothing
            com.fasterxml.jackson.databind.node.ObjectNode fewer =
                    (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(full.out());
            com.fasterxml.jackson.databind.node.ArrayNode clients =
                    (com.fasterxml.jackson.databind.node.ArrayNode) fewer.get("clients");
            for (int i = clients.size() - 1; i >= 0; i--) {
                if (clients.get(i).get("initiator").asText().equals(ini)) {
                    clients.remove(i);
                }
            }
            Path fewerFile = Files.createTempFile(data, "fewer", ".json");
            Files.writeString(fewerFile, fewer.toString());
            Run dry = cli("config", "import", fewerFile.toString(), "--dry-run");
            assertThat(dry.code()).as(dry.err()).isZero();
            assertThat(dry.out())
                    .contains(
                            "would remove client " + tgt + "/" + ini,
                            "dry run: nothing changed (epoch " + before.epoch() + ")");
            assertThat(store.epoch()).isEqualTo(before.epoch());

            // unknown fields are refused as everywhere, unreadable files are a usage error
            fewer.put("bogus", 1);
            Files.writeString(fewerFile, fewer.toString());
            Run unknown = cli("config", "import", fewerFile.toString());
            assertThat(unknown.code()).isEqualTo(1);
            assertThat(unknown.err()).contains("unknown field \"bogus\"", "HTTP 400");
            Files.writeString(fewerFile, "{not json");
            assertThat(cli("config", "import", fewerFile.toString()).code()).isEqualTo(2);
            assertThat(store.epoch()).isEqualTo(before.epoch());

            TestZk.reset(store);
            assertThat(store.read().targets()).isEmpty();
            Run imported = cli("config", "import", file.toString());
            assertThat(imported.code()).as(imported.err()).isZero();
            assertThat(imported.out())
                    .contains("add target " + tgt, "add client " + tgt + "/" + ini, "imported (epoch ");
            ClusterConfig after = store.read();
            assertThat(new ClusterConfig(
                            0,
                            after.schema(),
                            after.targets(),
                            after.disks(),
                            after.gateways(),
                            after.luns(),
                            after.clients(),
                            after.hostGroups(),
                            after.discoveryAuth(),
                            after.settings()))
                    .isEqualTo(new ClusterConfig(
                            0,
                            before.schema(),
                            before.targets(),
                            before.disks(),
                            before.gateways(),
                            before.luns(),
                            before.clients(),
                            before.hostGroups(),
                            before.discoveryAuth(),
                            before.settings()));
            assertThat(after.client(tgt, ini).orElseThrow().auth().chap().secret())
                    .isEqualTo("backupsecret12");
            assertThat(cli("config", "import", file.toString()).out()).contains("no difference");

            assertThat(cli("target", "delete", tgt).code()).isZero();
            assertThat(cli("disk", "delete", "local/backup1").code()).isZero();
        }

        /** disk create/resize/delete run as jobs: the CLI waits for them by default, or prints the job with --no-wait. */
        @Test
        void diskOperationsAsJobs() throws Exception {
            Run started = cli("disk", "create", "local/job1", "--size", "4M", "--backstore", "file", "--no-wait");
            assertThat(started.code()).as(started.err()).isZero();
            assertThat(started.out()).startsWith("started job ").contains("(disk.create local/job1): rbdgw job show ");
            String id = started.out().substring("started job ".length()).split(" ")[0];
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> cli("job", "show", id).out().contains("state: SUCCEEDED"));
            Run show = cli("job", "show", id);
            assertThat(show.out()).contains("kind: disk.create", "subject: local/job1", "progress: 100", "status: 201");
            assertThat(cli("job", "list").out()).contains("ID", "STATE", id, "disk.create", "local/job1");
            assertThat(Files.size(data.resolve("local/job1.img"))).isEqualTo(4 << 20);

            // waited for (the default): the same output as a synchronous request
            assertThat(cli("disk", "resize", "local/job1", "--size", "8M").out())
                    .contains("resized disk local/job1 to 8388608 bytes");
            JsonNode json = JSON.readTree(cli("--json", "disk", "resize", "local/job1", "--size", "12M")
                    .out());
            assertThat(json.at("/value/size").asLong()).isEqualTo(12 << 20);
            // a job that fails: exit 1 with its message and status
            assertThat(cli("disk", "delete", "local/job1", "--preserve-image").code())
                    .isZero();
            Run exists = cli("disk", "create", "local/job1", "--size", "4M", "--backstore", "file");
            assertThat(exists.code()).isEqualTo(1);
            assertThat(exists.err()).contains("already exists", "HTTP 409");
            assertThat(cli("disk", "create", "local/job1", "--backstore", "file", "--import")
                            .code())
                    .isZero();
            assertThat(cli("disk", "delete", "local/job1").out()).contains("deleted disk local/job1 (epoch ");
            assertThat(Files.exists(data.resolve("local/job1.img"))).isFalse();
        }

        /** Waiting for a job prints its progress (one line per 10 % step when stdout is not a terminal). */
        @Test
        void waitingForAJobPrintsItsProgress() throws Exception {
            Run created = cli("disk", "create", "local/job2", "--size", "4M", "--backstore", "file");
            assertThat(created.code()).as(created.err()).isZero();
            String[] lines = created.out().split("\n");
            assertThat(lines).hasSize(3);
            assertThat(lines[0]).matches("job \\d+: creating local/job2 0%");
            assertThat(lines[1]).isEqualTo(lines[0].replace(" 0%", " 100%"));
            assertThat(lines[2]).startsWith("created disk local/job2");
            Run deleted = cli("disk", "delete", "local/job2");
            assertThat(deleted.out())
                    .containsPattern("job \\d+: deleting local/job2 100%\n")
                    .contains("deleted disk local/job2");
            // --json: only the answer, no progress lines
            Run json = cli("--json", "disk", "create", "local/job3", "--size", "4M", "--backstore", "file");
            assertThat(JSON.readTree(json.out()).at("/value/id").asText()).isEqualTo("local/job3");
            assertThat(cli("disk", "delete", "local/job3").code()).isZero();
        }

        @Test
        void wrongPasswordAndUnreachable() throws Exception {
            Path pw = Files.createTempFile("pw", "");
            Files.writeString(pw, "nope\n");
            Run bad = cli("--password-file", pw.toString(), "target", "list");
            assertThat(bad.code()).isEqualTo(1);
            assertThat(bad.err()).contains("HTTP 401");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = RbdgwCli.run(
                    new String[] {"--url", "http://127.0.0.1:1", "epoch"},
                    new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    Map.of());
            assertThat(code).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot reach the admin API");
            Run usage = cli("disk", "snapshot", "explode", "a/b");
            assertThat(usage.code()).isEqualTo(2);
        }
    }

    @Test
    void uriIsLoopbackByDefault() {
        assertThat(AdminServer.Options.of(store, PasswordHash.hash("x".repeat(8).toCharArray(), 1000))
                        .bindHost())
                .isEqualTo("127.0.0.1");
        assertThat(AdminServer.Options.of(store, PasswordHash.hash("x".repeat(8).toCharArray(), 1000))
                        .port())
                .isEqualTo(5000);
        assertThat(server.uri()).isEqualTo(URI.create("http://127.0.0.1:" + server.port() + "/"));
    }
}
