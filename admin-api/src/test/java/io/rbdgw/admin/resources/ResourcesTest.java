package io.rbdgw.admin.resources;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.rbdgw.admin.AdminApi;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.admin.core.DiskImages;
import io.rbdgw.admin.core.Jobs;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.store.ConfigStore;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every endpoint against a real ConfigStore on an in-process ZooKeeper (no mocks), through Jersey in memory. */
@ExtendWith(DropwizardExtensionsSupport.class)
class ResourcesTest {
    static final String T = "iqn.2003-01.org.example:t1";
    static final String I1 = "iqn.1994-05.com.redhat:host1";
    static final String I2 = "iqn.1994-05.com.redhat:host2";
    static final ConfigStore STORE = TestZk.newStore();
    static final Path DATA;

    static {
        try {
            DATA = Files.createTempDirectory("admin-res");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static final Jobs JOBS = startedJobs();

    private static Jobs startedJobs() {
        Jobs jobs = new Jobs(STORE.client(), STORE.layout());
        try {
            jobs.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return jobs;
    }

    static final ResourceExtension RESOURCES = build();

    private static ResourceExtension build() {
        ConfigService config = new ConfigService(STORE);
        ClusterState cluster = new ClusterState(STORE);
        ResourceExtension.Builder b = ResourceExtension.builder()
                .addResource(new ClusterResource(config, cluster, OpenApiDocument.endpoints(AdminApi.RESOURCES)))
                .addResource(new TargetsResource(config))
                .addResource(new ClientsResource(config))
                .addResource(new HostGroupsResource(config))
                .addResource(new DisksResource(config, new DiskImages(CephAccess.none(), DATA), JOBS))
                .addResource(new JobsResource(JOBS))
                .addResource(new GatewaysResource(config, cluster))
                .addResource(new AluaResource(config, cluster))
                .addResource(new SysinfoResource(config, cluster, "9.8.7-test"))
                .addResource(new ConfigTransferResource(config, new DiskImages(CephAccess.none(), DATA), "9.8.7-test"))
                .addResource(new OpenApiResource(OpenApiDocument.build(AdminApi.RESOURCES, "test")));
        for (Object m : ErrorMappers.all()) {
            b.addProvider(m);
        }
        return b.build();
    }

    @BeforeEach
    void reset() throws java.io.IOException {
        TestZk.reset(STORE);
        try (var files = Files.walk(DATA)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .filter(p -> !p.equals(DATA))
                    .forEach(p -> p.toFile().delete());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    static Invocation.Builder at(String path) {
        return RESOURCES.target(path).request();
    }

    /** A request with {@code ?force=true}. */
    static Invocation.Builder forced(String path) {
        return RESOURCES.target(path).queryParam("force", "true").request();
    }

    static JsonNode json(Response r) {
        return r.readEntity(JsonNode.class);
    }

    static Response post(String path, Object body) {
        return at(path).post(Entity.json(body));
    }

    static Response put(String path, Object body) {
        return at(path).put(Entity.json(body));
    }

    static void expect(Response r, int status, String messagePart) {
        String body = r.readEntity(String.class);
        assertThat(r.getStatus()).as(body).isEqualTo(status);
        if (messagePart != null) {
            assertThat(body).contains(messagePart);
        }
    }

    static void ok(Response r, int status) {
        expect(r, status, null);
    }

    void targetWithDisk() {
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        ok(post("/api/disks", Map.of("pool", "local", "image", "d1", "size", "1M", "backstore", "file")), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d1")), 201);
    }

    // ---- targets ----------------------------------------------------------------------------------------

    @Test
    void targetLifecycleWithEtagsAndEpochs() {
        Response created = post("/api/targets", Map.of("iqn", T, "alias", "first"));
        assertThat(created.getStatus()).isEqualTo(201);
        assertThat(created.getLocation().getPath()).isEqualTo("/api/targets/" + T);
        JsonNode body = json(created);
        long epoch = body.get("epoch").asLong();
        assertThat(created.getEntityTag().getValue()).isEqualTo(Long.toString(epoch));
        assertThat(body.at("/value/iqn").asText()).isEqualTo(T);
        assertThat(body.at("/value/acl").asBoolean()).isTrue();

        Response list = at("/api/targets").get();
        assertThat(list.getEntityTag().getValue()).isEqualTo(Long.toString(epoch));
        assertThat(json(list).findValuesAsText("iqn")).containsExactly(T);

        JsonNode updated = json(put(
                "/api/targets/" + T,
                Map.of("alias", "renamed", "acl", false, "parameters", Map.of("maxburstlength", "1048576"))));
        assertThat(updated.get("epoch").asLong()).isEqualTo(epoch + 1);
        assertThat(updated.at("/value/alias").asText()).isEqualTo("renamed");
        assertThat(updated.at("/value/acl").asBoolean()).isFalse();
        assertThat(updated.at("/value/parameters/MaxBurstLength").asText()).isEqualTo("1048576");

        ok(at("/api/targets/" + T).delete(), 200);
        expect(at("/api/targets/" + T).get(), 404, "no target " + T);
    }

    @Test
    void targetErrors() {
        expect(post("/api/targets", Map.of("iqn", "iqn.bad")), 400, "not a valid iSCSI name");
        expect(post("/api/targets", Map.of("alias", "x")), 400, "iqn is missing");
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        expect(post("/api/targets", Map.of("iqn", T)), 409, "already exists");
        expect(put("/api/targets/" + T, Map.of("parameters", Map.of("MaxBurstLength", "1"))), 400, "out of range");
        expect(put("/api/targets/" + T, Map.of("parameters", Map.of("NoSuchKey", "1"))), 400, "unknown setting");
        expect(
                put("/api/targets/" + T, Map.of("parameters", Map.of("ErrorRecoveryLevel", "1"))),
                400,
                "not implemented");
        expect(
                post("/api/targets", Map.of("iqn", T + "x", "parameters", Map.of("errorrecoverylevel", "2"))),
                400,
                "not implemented");
        expect(put("/api/targets/iqn.2003-01.org.example:none", Map.of("alias", "x")), 404, "no target");
        expect(at("/api/targets/iqn.2003-01.org.example:none").delete(), 404, "no target");
        expect(at("/api/targets").post(Entity.entity("{not json", "application/json")), 400, null);
    }

    @Test
    void ifMatchStaleIs412AndCurrentSucceeds() {
        Response created = post("/api/targets", Map.of("iqn", T));
        String etag = created.getEntityTag().getValue();
        ok(created, 201);
        ok(put("/api/targets/" + T, Map.of("alias", "a")), 200); // moves the epoch on
        expect(
                at("/api/targets/" + T).header("If-Match", "\"" + etag + "\"").put(Entity.json(Map.of("alias", "b"))),
                412,
                "re-read");
        expect(at("/api/targets/" + T).header("If-Match", "\"nonsense\"").delete(), 412, "not a configuration epoch");
        String current = at("/api/targets/" + T).get().getEntityTag().getValue();
        Response r = at("/api/targets/" + T)
                .header("If-Match", "\"" + current + "\"")
                .put(Entity.json(Map.of("alias", "b")));
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(json(r).get("epoch").asLong()).isEqualTo(Long.parseLong(current) + 1);
        expect(
                at("/api/disks")
                        .header("If-Match", "\"" + etag + "\"")
                        .post(Entity.json(Map.of("pool", "local", "image", "x", "size", "1M", "backstore", "file"))),
                412,
                "re-read");
        assertThat(Files.exists(DATA.resolve("local/x.img")))
                .as("no file created for a stale request")
                .isFalse();
    }

    @Test
    void targetChapSecretsAreWriteOnly() {
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        Response r = put(
                "/api/targets/" + T + "/auth",
                Map.of(
                        "chap",
                        Map.of("user", "targetuser", "secret", "secretsecret12"),
                        "mutualChap",
                        Map.of("user", "mutualuser", "secret", "othersecret123")));
        String body = r.readEntity(String.class);
        assertThat(r.getStatus()).as(body).isEqualTo(200);
        assertThat(body)
                .contains("\"user\":\"targetuser\"", "\"secretSet\":true")
                .doesNotContain("secretsecret12", "othersecret123");
        String get = at("/api/targets/" + T).get().readEntity(String.class);
        assertThat(get).contains("mutualuser").doesNotContain("secretsecret12", "othersecret123");
        String whole = at("/api/config").get().readEntity(String.class);
        assertThat(whole).doesNotContain("secretsecret12", "othersecret123");
        expect(
                put("/api/targets/" + T + "/auth", Map.of("chap", Map.of("user", "short", "secret", "secretsecret12"))),
                400,
                "CHAP user 'short' is invalid");
        Response bad =
                put("/api/targets/" + T + "/auth", Map.of("chap", Map.of("user", "targetuser", "secret", "tiny")));
        assertThat(bad.getStatus()).isEqualTo(400);
        assertThat(bad.readEntity(String.class)).contains("secret").doesNotContain("tiny");
        expect(
                put(
                        "/api/targets/" + T + "/auth",
                        Map.of("mutualChap", Map.of("user", "mutualuser", "secret", "othersecret123"))),
                400,
                "mutual CHAP needs CHAP");
        JsonNode cleared = json(at("/api/targets/" + T + "/auth").delete());
        assertThat(cleared.at("/value/chap").isNull()
                        || cleared.at("/value/chap").isMissingNode())
                .isTrue();
    }

    // ---- LUNs -------------------------------------------------------------------------------------------

    @Test
    void lunsMapAndUnmap() {
        targetWithDisk();
        JsonNode luns = json(at("/api/targets/" + T + "/luns").get());
        assertThat(luns.get(0).get("lun").asInt()).isZero();
        assertThat(luns.get(0).get("disk").asText()).isEqualTo("local/d1");
        ok(post("/api/disks", Map.of("pool", "local", "image", "d2", "size", "1M", "backstore", "file")), 201);
        expect(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d1")), 409, "already LUN 0");
        expect(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2", "lun", 0)), 409, "already has LUN 0");
        expect(post("/api/targets/" + T + "/luns", Map.of("disk", "local/nope")), 404, "no disk local/nope");
        expect(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2", "lun", 99999)), 400, "out of range");
        JsonNode added = json(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2", "lun", 7)));
        assertThat(added.at("/value/lun").asInt()).isEqualTo(7);
        assertThat(json(at("/api/targets/" + T + "/luns/7").get()).get("disk").asText())
                .isEqualTo("local/d2");
        expect(at("/api/targets/" + T + "/luns/8").get(), 404, "no LUN 8");
        expect(at("/api/disks/local/d2").delete(), 409, "remove the LUN first");
        ok(at("/api/targets/" + T + "/luns/7").delete(), 200);
        expect(at("/api/targets/" + T + "/luns/7").delete(), 404, "no LUN 7");
        ok(at("/api/disks/local/d2").delete(), 200);
    }

    // ---- clients ----------------------------------------------------------------------------------------

    @Test
    void clientsWithChapAndLunMasking() {
        targetWithDisk();
        Response created = post(
                "/api/targets/" + T + "/clients",
                Map.of(
                        "initiator",
                        I1,
                        "allLuns",
                        true,
                        "auth",
                        Map.of(
                                "chap",
                                Map.of("user", "host1user", "secret", "host1secret12"),
                                "mutualChap",
                                Map.of("user", "targetuser", "secret", "targetsecret12"))));
        String body = created.readEntity(String.class);
        assertThat(created.getStatus()).as(body).isEqualTo(201);
        assertThat(body)
                .contains("host1user", "\"allLuns\":true", "\"visibleLuns\":[0]")
                .doesNotContain("host1secret12", "targetsecret12");
        expect(post("/api/targets/" + T + "/clients", Map.of("initiator", I1)), 409, "already exists");
        expect(post("/api/targets/" + T + "/clients", Map.of("initiator", "bogus")), 400, "initiator 'bogus'");
        expect(post("/api/targets/iqn.2003-01.org.example:none/clients", Map.of("initiator", I2)), 404, "no target");
        expect(
                post("/api/targets/" + T + "/clients", Map.of("initiator", I2, "luns", List.of(5))),
                404,
                "has no LUN 5");

        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I2, "luns", List.of())), 201);
        assertThat(json(at("/api/targets/" + T + "/clients/" + I2).get()).get("visibleLuns"))
                .isEmpty();
        JsonNode mapped =
                json(at("/api/targets/" + T + "/clients/" + I2 + "/luns/0").put(Entity.json(Map.of())));
        assertThat(mapped.at("/value/luns").toString()).isEqualTo("[0]");
        assertThat(mapped.at("/value/allLuns").asBoolean()).isFalse();
        expect(at("/api/targets/" + T + "/clients/" + I2 + "/luns/3").put(Entity.json(Map.of())), 404, "has no LUN 3");
        expect(at("/api/targets/" + T + "/luns/0").delete(), 409, "mapped to client " + I2);
        ok(at("/api/targets/" + T + "/clients/" + I2 + "/luns/0").delete(), 200);
        expect(at("/api/targets/" + T + "/clients/" + I2 + "/luns/0").delete(), 404, "does not map LUN 0");
        expect(at("/api/targets/" + T + "/clients/" + I1 + "/luns/0").delete(), 409, "sees all LUNs");

        JsonNode auth = json(put(
                "/api/targets/" + T + "/clients/" + I2 + "/auth",
                Map.of("chap", Map.of("user", "host2user", "secret", "host2secret12"))));
        assertThat(auth.at("/value/auth/chap/user").asText()).isEqualTo("host2user");
        assertThat(auth.toString()).doesNotContain("host2secret12");
        assertThat(json(at("/api/targets/" + T + "/clients/" + I2 + "/auth").get())
                        .at("/chap/secretSet")
                        .asBoolean())
                .isTrue();
        ok(at("/api/targets/" + T + "/clients/" + I2 + "/auth").delete(), 200);
        assertThat(json(at("/api/targets/" + T + "/clients/" + I2 + "/auth").get())
                        .at("/chap")
                        .isNull())
                .isTrue();
        expect(
                put(
                        "/api/targets/" + T + "/clients/" + I2 + "/auth",
                        Map.of(
                                "chap",
                                Map.of("user", "host2user", "secret", "host2user1234"),
                                "mutualChap",
                                Map.of("user", "targetuser", "secret", "host2user1234"))),
                400,
                "must differ");

        assertThat(json(at("/api/targets/" + T + "/clients").get()).findValuesAsText("initiator"))
                .containsExactly(I1, I2);
        ok(at("/api/targets/" + T + "/clients/" + I2).delete(), 200);
        expect(at("/api/targets/" + T + "/clients/" + I2).get(), 404, "no client");
    }

    // ---- host groups ------------------------------------------------------------------------------------

    @Test
    void aClientSeesItsOwnLunsAndItsHostGroupsDisksAndAllLunsOnlyWhenAskedFor() {
        targetWithTwoLuns();
        String c2 = "/api/targets/" + T + "/clients/" + I2;
        // created without LUNs: it sees nothing until it joins a group (it used to see every LUN, even in a group)
        JsonNode created = json(post("/api/targets/" + T + "/clients", Map.of("initiator", I2)));
        assertThat(created.at("/value/allLuns").asBoolean()).isFalse();
        assertThat(created.at("/value/effectiveLuns").toString()).isEqualTo("[]");
        ok(
                post(
                        "/api/targets/" + T + "/hostgroups",
                        Map.of("name", "esx", "members", List.of(I2), "disks", List.of("local/d2"))),
                201);
        JsonNode inGroup = json(at(c2).get());
        assertThat(inGroup.get("hostGroup").asText()).isEqualTo("esx");
        assertThat(inGroup.get("effectiveLuns").toString()).isEqualTo("[1]");
        // its own LUNs add to the group's
        ok(at(c2 + "/luns/0").put(Entity.json(Map.of())), 200);
        assertThat(json(at(c2).get()).get("effectiveLuns").toString()).isEqualTo("[0,1]");
        assertThat(json(at("/api/targets/" + T + "/clients").get())
                        .get(0)
                        .get("effectiveLuns")
                        .toString())
                .isEqualTo("[0,1]");

        // all LUNs is explicit; such a client cannot silently join a group whose disks would limit nothing
        JsonNode all = json(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "allLuns", true)));
        assertThat(all.at("/value/effectiveLuns").toString()).isEqualTo("[0,1]");
        expect(at("/api/targets/" + T + "/hostgroups/esx/members/" + I1).put(Entity.json(Map.of())), 409, "allLuns");
        expect(put("/api/targets/" + T + "/hostgroups/esx", Map.of("members", List.of(I1, I2))), 409, "allLuns");
        ok(put("/api/targets/" + T + "/clients/" + I1, Map.of("allLuns", false)), 200);
        ok(at("/api/targets/" + T + "/hostgroups/esx/members/" + I1).put(Entity.json(Map.of())), 200);
        assertThat(json(at("/api/targets/" + T + "/clients/" + I1).get())
                        .get("effectiveLuns")
                        .toString())
                .isEqualTo("[1]");
    }

    @Test
    void hostGroups() {
        targetWithDisk();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "luns", List.of())), 201);
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I2, "luns", List.of())), 201);
        expect(
                post(
                        "/api/targets/" + T + "/hostgroups",
                        Map.of("name", "esx", "members", List.of("iqn.1994-05.com.redhat:nobody"))),
                404,
                "not a client");
        expect(post("/api/targets/" + T + "/hostgroups", Map.of("name", "bad name")), 400, "host group name");
        JsonNode g = json(post(
                "/api/targets/" + T + "/hostgroups",
                Map.of("name", "esx", "members", List.of(I1), "disks", List.of("local/d1"))));
        assertThat(g.at("/value/members").toString()).isEqualTo("[\"" + I1 + "\"]");
        assertThat(json(at("/api/targets/" + T + "/clients/" + I1).get())
                        .get("visibleLuns")
                        .toString())
                .isEqualTo("[0]");
        expect(post("/api/targets/" + T + "/hostgroups", Map.of("name", "esx")), 409, "already exists");
        expect(
                post("/api/targets/" + T + "/hostgroups", Map.of("name", "other", "members", List.of(I1))),
                409,
                "already in host group esx");

        ok(at("/api/targets/" + T + "/hostgroups/esx/members/" + I2).put(Entity.json(Map.of())), 200);
        assertThat(json(at("/api/targets/" + T + "/hostgroups/esx").get()).get("members"))
                .hasSize(2);
        expect(at("/api/targets/" + T + "/clients/" + I2).delete(), 409, "member of host group esx");
        expect(at("/api/targets/" + T + "/luns/0").delete(), 409, "host group esx");
        ok(at("/api/targets/" + T + "/hostgroups/esx/members/" + I2).delete(), 200);
        ok(at("/api/targets/" + T + "/hostgroups/esx/disks/local/d1").delete(), 200);
        expect(at("/api/targets/" + T + "/hostgroups/esx/disks/local/d1").delete(), 404, "does not list disk");
        expect(at("/api/targets/" + T + "/hostgroups/esx/disks/local/zz").put(Entity.json(Map.of())), 404, "not a LUN");
        ok(at("/api/targets/" + T + "/hostgroups/esx/disks/local/d1").put(Entity.json(Map.of())), 200);
        JsonNode replaced = json(put("/api/targets/" + T + "/hostgroups/esx", Map.of("members", List.of(I2))));
        assertThat(replaced.at("/value/members").toString()).isEqualTo("[\"" + I2 + "\"]");
        assertThat(replaced.at("/value/disks").toString()).isEqualTo("[\"local/d1\"]");
        assertThat(json(at("/api/targets/" + T + "/hostgroups").get())).hasSize(1);
        ok(at("/api/targets/" + T + "/hostgroups/esx").delete(), 200);
        expect(at("/api/targets/" + T + "/hostgroups/esx").get(), 404, "no host group esx");
    }

    // ---- disks ------------------------------------------------------------------------------------------

    @Test
    void fileDisksCreateImportResizeDelete() throws Exception {
        JsonNode d =
                json(post("/api/disks", Map.of("pool", "local", "image", "d1", "size", "2M", "backstore", "file")));
        assertThat(d.at("/value/size").asLong()).isEqualTo(2 << 20);
        Path file = DATA.resolve("local/d1.img");
        assertThat(Files.size(file)).isEqualTo(2 << 20);
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "d1", "size", "2M", "backstore", "file")),
                409,
                "already exists");
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "d3", "size", "1000", "backstore", "file")),
                400,
                "multiple of 512");
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "d3", "size", "lots", "backstore", "file")),
                400,
                "size 'lots' is invalid");
        expect(post("/api/disks", Map.of("pool", "local", "image", "d3", "backstore", "file")), 400, "size is missing");
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "d3", "size", "1M", "backstore", "tape")),
                400,
                "backstore 'tape'");
        expect(
                post("/api/disks", Map.of("pool", "lo/cal", "image", "d3", "size", "1M", "backstore", "file")),
                400,
                "pool 'lo/cal' is invalid");
        expect(post("/api/disks", Map.of("pool", "rbd", "image", "d3", "size", "1M")), 400, "Ceph is not configured");

        JsonNode resized = json(put("/api/disks/local/d1/size", Map.of("size", "4M")));
        assertThat(resized.at("/value/size").asLong()).isEqualTo(4 << 20);
        assertThat(Files.size(file)).isEqualTo(4 << 20);
        expect(put("/api/disks/local/d1/size", Map.of("size", "1M")), 400, "shrinking");
        // more than the file system holds in one file (ext4, where the tests run: 16 TiB): 400, the file unchanged
        expect(put("/api/disks/local/d1/size", Map.of("size", "1P")), 400, "EFBIG");
        assertThat(Files.size(file)).isEqualTo(4 << 20);
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "big", "size", "1P", "backstore", "file")),
                400,
                "EFBIG");
        assertThat(DATA.resolve("local/big.img")).doesNotExist();
        expect(put("/api/disks/local/none/size", Map.of("size", "8M")), 404, "no disk local/none");
        // a memory disk cannot grow in place (its LUN would keep the old size): refused, nothing changes
        json(post("/api/disks", Map.of("pool", "mem", "image", "m1", "size", "1M", "backstore", "memory")));
        expect(put("/api/disks/mem/m1/size", Map.of("size", "2M")), 400, "memory disk mem/m1 cannot be resized");
        assertThat(json(at("/api/disks/mem/m1").get()).toString()).contains("\"size\":" + (1 << 20));
        ok(at("/api/disks/mem/m1").delete(), 200);

        expect(at("/api/disks/local/d1/snapshots").get(), 400, "snapshots need an RBD disk");

        ok(
                RESOURCES
                        .target("/api/disks/local/d1")
                        .queryParam("preserveImage", "true")
                        .request()
                        .delete(),
                200);
        assertThat(Files.exists(file)).isTrue();
        expect(
                post(
                        "/api/disks",
                        Map.of("pool", "local", "image", "d1", "size", "2M", "backstore", "file", "create", false)),
                400,
                "has 4194304 bytes");
        JsonNode imported = json(post(
                "/api/disks",
                Map.of("pool", "local", "image", "d1", "backstore", "file", "create", false, "wwnSeed", "seed-1")));
        assertThat(imported.at("/value/size").asLong()).isEqualTo(4 << 20);
        assertThat(imported.at("/value/wwnSeed").asText()).isEqualTo("seed-1");
        expect(
                post("/api/disks", Map.of("pool", "local", "image", "ghost", "backstore", "file", "create", false)),
                404,
                "does not exist");
        assertThat(json(at("/api/disks").get()).findValuesAsText("id")).containsExactly("local/d1");
        ok(at("/api/disks/local/d1").delete(), 200);
        assertThat(Files.exists(file)).isFalse();
        expect(at("/api/disks/local/d1").get(), 404, "no disk");
        expect(at("/api/disks/local/d1").delete(), 404, "no disk");
    }

    /** A file disk written into ZooKeeper by someone else, pointing outside the data directory: never touched. */
    @Test
    void fileDisksOutsideTheDataDirectoryAreRefused() throws Exception {
        Path outside = Files.createTempDirectory("admin-outside");
        Path victim = Files.writeString(outside.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        java.nio.file.attribute.FileTime mtime = java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(victim, mtime);
        Files.createDirectories(DATA.resolve("local"));
        Files.createSymbolicLink(DATA.resolve("local/link.img"), victim);
        Files.createSymbolicLink(DATA.resolve("local/dir"), outside);
        try {
            String[][] cases = {
                {"abs", victim.toString(), "not under a file disk root"},
                {"dotdot", DATA + "/local/../../" + outside.getFileName() + "/passwd", "'..'"},
                {"link", DATA.resolve("local/link.img").toString(), "symbolic link"},
                {"linkdir", DATA.resolve("local/dir/passwd").toString(), "leads out of"}
            };
            for (String[] k : cases) {
                STORE.update(
                        c -> List.of(new io.rbdgw.config.model.ConfigChange.PutDisk(
                                io.rbdgw.config.model.Disk.file("local", k[0], 1 << 20, k[1]))),
                        3);
                expect(put("/api/disks/local/" + k[0] + "/size", Map.of("size", "64M")), 400, k[2]);
                expect(at("/api/disks/local/" + k[0]).delete(), 400, k[2]);
                assertThat(STORE.read().disk("local/" + k[0])).as(k[0]).isPresent();
                assertThat(Files.readString(victim)).isEqualTo("root:x:0:0::/root:/bin/sh\n");
                assertThat(Files.getLastModifiedTime(victim)).isEqualTo(mtime);
            }
        } finally {
            Files.deleteIfExists(victim);
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void aCreatedDiskGetsARandomIdentityThatIsStored() {
        JsonNode d1 =
                json(post("/api/disks", Map.of("pool", "local", "image", "d1", "size", "1M", "backstore", "file")));
        JsonNode d2 =
                json(post("/api/disks", Map.of("pool", "local", "image", "d2", "size", "1M", "backstore", "file")));
        String seed = d1.at("/value/wwnSeed").asText();
        assertThat(seed)
                .matches("[0-9a-f]{32}")
                .isNotEqualTo(d2.at("/value/wwnSeed").asText());
        // stored with the disk: a fresh store on the same ZooKeeper (a restarted admin API or gateway) reads it back
        ConfigStore restarted = new ConfigStore(TestZk.client(), STORE.layout().root());
        assertThat(restarted.read().disk("local/d1").orElseThrow().wwnSeed()).isEqualTo(seed);
        assertThat(json(at("/api/disks/local/d1").get()).at("/wwnSeed").asText())
                .isEqualTo(seed);
        // a seed given is kept
        JsonNode given = json(post(
                "/api/disks",
                Map.of("pool", "local", "image", "d3", "size", "1M", "backstore", "file", "wwnSeed", "mine")));
        assertThat(given.at("/value/wwnSeed").asText()).isEqualTo("mine");
    }

    // ---- gateways, epoch, sessions ----------------------------------------------------------------------

    @Test
    void gatewaysWithMembershipEpochAndSessions() throws Exception {
        JsonNode a =
                json(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.1", "[fd00::1]:3261"))));
        assertThat(a.at("/value/targetPortGroup").asInt()).isEqualTo(1);
        assertThat(a.at("/value/portals").toString()).isEqualTo("[\"10.0.0.1:3260\",\"[fd00::1]:3261\"]");
        ok(post("/api/gateways", Map.of("name", "gw-b", "portals", List.of("10.0.0.2"))), 201);
        expect(
                post("/api/gateways", Map.of("name", "gw-c", "portals", List.of("10.0.0.3"), "targetPortGroup", 2)),
                409,
                "gw-b");
        expect(
                post("/api/gateways", Map.of("name", "gw-c", "portals", List.of("10.0.0.1"))),
                400,
                "declared by gateways");
        expect(post("/api/gateways", Map.of("name", "gw-c")), 400, "portals are missing");
        expect(
                post("/api/gateways", Map.of("name", "gw-c", "portals", List.of("10.0.0.3:99999"))),
                400,
                "out of range");
        expect(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.9"))), 409, "already exists");
        expect(at("/api/gateways/nope").get(), 404, "no gateway nope");

        long epoch = STORE.epoch();
        try (GatewayMembership m = new GatewayMembership(
                STORE.client(),
                STORE.layout(),
                new MemberInfo(
                        "gw-a",
                        List.of(new Portal("10.0.0.1", 3260)),
                        "10.0.0.1:0/123",
                        "1.2.3",
                        System.currentTimeMillis() - 90_000))) {
            m.start();
            assertThat(m.awaitRegistered(Duration.ofSeconds(5))).isTrue();
            m.reportStatus(epoch, GatewayStatus.Health.OK, "fine");
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());

            JsonNode gw = json(at("/api/gateways/gw-a").get());
            assertThat(gw.get("alive").asBoolean()).isTrue();
            assertThat(gw.get("appliedEpoch").asLong()).isEqualTo(epoch);
            assertThat(gw.get("version").asText()).isEqualTo("1.2.3");
            JsonNode e = json(at("/api/config/epoch").get());
            assertThat(e.get("epoch").asLong()).isEqualTo(epoch);
            assertThat(e.get("gateways").get(0).get("name").asText()).isEqualTo("gw-a");
            assertThat(e.get("gateways").get(0).get("upToDate").asBoolean()).isTrue();

            ok(put("/api/gateways/gw-a", Map.of("portals", List.of("10.0.0.5"))), 200);
            JsonNode later = json(at("/api/config/epoch").get());
            assertThat(later.get("epoch").asLong()).isEqualTo(epoch + 1);
            assertThat(later.get("gateways").get(0).get("upToDate").asBoolean()).isFalse();
        }

        // a gateway's published sessions (the contract of SessionInfo)
        String status = "{\"name\":\"gw-b\",\"appliedEpoch\":1,\"health\":\"OK\",\"updatedAtMillis\":1,\"sessions\":["
                + "{\"target\":\"" + T + "\",\"initiator\":\"" + I1 + "\",\"isid\":\"23d000000001\",\"tsih\":5,"
                + "\"connections\":[\"10.0.0.2:3260 <- 10.1.0.1:50000\"],\"loginAtMillis\":1000}]}";
        STORE.client()
                .create()
                .creatingParentsIfNeeded()
                .forPath(STORE.layout().status("gw-b"), status.getBytes(StandardCharsets.UTF_8));
        try {
            JsonNode s = json(at("/api/gateways/gw-b/sessions").get());
            assertThat(s).hasSize(1);
            assertThat(s.get(0).get("gateway").asText()).isEqualTo("gw-b");
            assertThat(s.get(0).get("tsih").asInt()).isEqualTo(5);
            assertThat(json(RESOURCES
                            .target("/api/sessions")
                            .queryParam("target", T)
                            .request()
                            .get()))
                    .hasSize(1);
            assertThat(json(RESOURCES
                            .target("/api/sessions")
                            .queryParam("initiator", I2)
                            .request()
                            .get()))
                    .isEmpty();
            assertThat(json(at("/api/gateways/gw-a/sessions").get())).isEmpty();
        } finally {
            STORE.client().delete().forPath(STORE.layout().status("gw-b"));
            STORE.client().delete().forPath(STORE.layout().status("gw-a"));
        }
        ok(at("/api/gateways/gw-b").delete(), 200);
        expect(at("/api/gateways/gw-b").delete(), 404, "no gateway");
        assertThat(json(at("/api/gateways").get()).findValuesAsText("name")).containsExactly("gw-a");
    }

    @Test
    void aGatewayWithThousandsOfSessionsListsSomeAndCountsAll() throws Exception {
        ok(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.1"))), 201);
        List<GatewayStatus.Session> many = new java.util.ArrayList<>();
        for (int i = 0; i < 3200; i++) {
            many.add(new GatewayStatus.Session(
                    T,
                    I1,
                    String.format("%012x", i),
                    i + 1,
                    List.of("10.0.0.1:3260 <- 10.1.0.1:" + (10000 + i)),
                    1000L + i));
        }
        try (GatewayMembership m = new GatewayMembership(
                STORE.client(),
                STORE.layout(),
                new MemberInfo(
                        "gw-a",
                        List.of(new Portal("10.0.0.1", 3260)),
                        "10.0.0.1:0/123",
                        "1.2.3",
                        System.currentTimeMillis() - 90_000))) {
            m.start();
            assertThat(m.awaitRegistered(Duration.ofSeconds(5))).isTrue();
            m.reportSessions(many);
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());
            byte[] doc = STORE.client().getData().forPath(STORE.layout().status("gw-a"));
            assertThat(doc.length).as("status document bytes").isLessThan(100 << 10);

            for (String path : List.of("/api/gateways/gw-a/sessions", "/api/sessions")) {
                Response r = at(path).get();
                assertThat(r.getHeaderString("X-Sessions-Total")).as(path).isEqualTo("3200");
                assertThat(r.getHeaderString("X-Sessions-Truncated")).as(path).isEqualTo("true");
                assertThat(json(r)).as(path).hasSize(GatewayStatus.MAX_LISTED_SESSIONS);
            }
            m.reportSessions(many.subList(0, 2));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());
            Response r = at("/api/sessions").get();
            assertThat(r.getHeaderString("X-Sessions-Total")).isEqualTo("2");
            assertThat(r.getHeaderString("X-Sessions-Truncated")).isEqualTo("false");
            assertThat(json(r)).hasSize(2);
        } finally {
            STORE.client().delete().forPath(STORE.layout().status("gw-a"));
        }
    }

    // ---- changes that would take LUNs from logged-in hosts ----------------------------------------------------

    static final String T2 = "iqn.2003-01.org.example:t2";

    /** A live gateway gw-a publishing {@code sessions} through the real membership code; close it when done. */
    static GatewayMembership gatewayWith(List<GatewayStatus.Session> sessions) throws Exception {
        GatewayMembership m = new GatewayMembership(
                STORE.client(),
                STORE.layout(),
                new MemberInfo("gw-a", List.of(new Portal("10.0.0.1", 3260)), "10.0.0.1:0/123", "1.2.3", 0));
        m.start();
        assertThat(m.awaitRegistered(Duration.ofSeconds(5))).isTrue();
        m.reportSessions(sessions);
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> m.unpublishedStatus().isEmpty());
        return m;
    }

    static GatewayStatus.Session session(String target, String initiator, int n) {
        return new GatewayStatus.Session(
                target,
                initiator,
                String.format("%012x", n),
                n + 1,
                List.of("10.0.0.1:3260 <- 10.1.0.1:" + (10000 + n)),
                1000L);
    }

    /** The 409 names exactly this session and these LUNs. */
    static void refusedFor(Response r, String initiator, String target, Integer... luns) {
        String text = r.readEntity(String.class);
        assertThat(r.getStatus()).as(text).isEqualTo(409);
        JsonNode body;
        try {
            body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(text, e);
        }
        assertThat(body.get("message").asText()).contains("force=true");
        JsonNode s = body.get("sessions");
        assertThat(s).as(text).hasSize(1);
        assertThat(s.get(0).get("gateway").asText()).isEqualTo("gw-a");
        if (initiator == null) {
            assertThat(s.get(0).get("initiator").isNull()).as(text).isTrue();
        } else {
            assertThat(s.get(0).get("initiator").asText()).isEqualTo(initiator);
        }
        assertThat(s.get(0).get("target").asText()).isEqualTo(target);
        List<Integer> got = new java.util.ArrayList<>();
        s.get(0).get("luns").forEach(n -> got.add(n.asInt()));
        assertThat(got).containsExactly(luns);
    }

    /** Target T (ACL on) with LUN 0 = local/d1 and LUN 1 = local/d2. */
    void targetWithTwoLuns() {
        targetWithDisk();
        ok(post("/api/disks", Map.of("pool", "local", "image", "d2", "size", "1M", "backstore", "file")), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2")), 201);
    }

    static void deleteStatus() throws Exception {
        STORE.client().delete().forPath(STORE.layout().status("gw-a"));
    }

    @Test
    void removingALunOrTheTargetUnderALoggedInHostIsRefusedUnlessForced() throws Exception {
        targetWithTwoLuns();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "allLuns", true)), 201);
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I2, "luns", List.of(0))), 201);
        try (GatewayMembership m = gatewayWith(List.of(session(T, I1, 1)))) {
            refusedFor(at("/api/targets/" + T + "/luns/1").delete(), I1, T, 1);
            assertThat(json(at("/api/targets/" + T + "/luns").get())).hasSize(2); // nothing changed
            ok(forced("/api/targets/" + T + "/luns/1").delete(), 200);
            assertThat(json(at("/api/targets/" + T + "/luns").get())).hasSize(1);

            refusedFor(at("/api/targets/" + T).delete(), I1, T, 0);
            // I2 has no session: losing everything does not concern anyone logged in
            m.reportSessions(List.of(session(T, I2, 2)));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());
            ok(at("/api/targets/" + T + "/clients/" + I1).delete(), 200);
            refusedFor(at("/api/targets/" + T).delete(), I2, T, 0);
            ok(forced("/api/targets/" + T).delete(), 200);
        } finally {
            deleteStatus();
        }
        // the gateway gone: its last status no longer protects anything (the disks outlived the target)
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d1")), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2")), 201);
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "allLuns", true)), 201);
        gatewayWith(List.of(session(T, I1, 1))).close();
        try {
            ok(at("/api/targets/" + T + "/luns/1").delete(), 200);
        } finally {
            deleteStatus();
        }
    }

    @Test
    void deletingAClientOrHidingALunFromItWhileLoggedInIsRefusedUnlessForced() throws Exception {
        targetWithTwoLuns();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "luns", List.of(0, 1))), 201);
        try (GatewayMembership m = gatewayWith(List.of(session(T, I1, 1)))) {
            refusedFor(at("/api/targets/" + T + "/clients/" + I1 + "/luns/1").delete(), I1, T, 1);
            refusedFor(put("/api/targets/" + T + "/clients/" + I1, Map.of("luns", List.of(1))), I1, T, 0);
            refusedFor(at("/api/targets/" + T + "/clients/" + I1).delete(), I1, T, 0, 1);
            ok(put("/api/targets/" + T + "/clients/" + I1, Map.of("luns", List.of(0, 1))), 200); // loses nothing
            ok(forced("/api/targets/" + T + "/clients/" + I1 + "/luns/1").delete(), 200);
            ok(forced("/api/targets/" + T + "/clients/" + I1).delete(), 200);
            expect(at("/api/targets/" + T + "/clients/" + I1).get(), 404, null);
        } finally {
            deleteStatus();
        }
    }

    @Test
    void hostGroupAndAclChangesThatHideALunFromALoggedInHostAreRefusedUnlessForced() throws Exception {
        targetWithTwoLuns();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I2, "luns", List.of())), 201);
        ok(
                post(
                        "/api/targets/" + T + "/hostgroups",
                        Map.of("name", "esx", "members", List.of(I2), "disks", List.of("local/d1", "local/d2"))),
                201);
        String g = "/api/targets/" + T + "/hostgroups/esx";
        try (GatewayMembership m = gatewayWith(List.of(session(T, I2, 1)))) {
            refusedFor(at(g + "/disks/local/d2").delete(), I2, T, 1);
            refusedFor(put(g, Map.of("disks", List.of("local/d1"))), I2, T, 1);
            refusedFor(at(g + "/members/" + I2).delete(), I2, T, 0, 1);
            refusedFor(at(g).delete(), I2, T, 0, 1);
            ok(forced(g + "/disks/local/d2").delete(), 200);
            ok(forced(g).delete(), 200);

            // ACL off: any initiator sees every LUN; turning it on hides them from a host that is not a client
            ok(post("/api/targets", Map.of("iqn", T2, "acl", false)), 201);
            ok(post("/api/targets/" + T2 + "/luns", Map.of("disk", "local/d1")), 201);
            m.reportSessions(List.of(session(T2, "iqn.1993-08.org.debian:anyone", 3)));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());
            refusedFor(put("/api/targets/" + T2, Map.of("acl", true)), "iqn.1993-08.org.debian:anyone", T2, 0);
            ok(put("/api/targets/" + T2, Map.of("alias", "same LUNs")), 200);
            ok(forced("/api/targets/" + T2).put(Entity.json(Map.of("acl", true))), 200);
        } finally {
            deleteStatus();
        }
    }

    @Test
    void aGatewayListingOnlySomeSessionsProtectsEveryTarget() throws Exception {
        targetWithTwoLuns();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "allLuns", true)), 201);
        // its listed sessions are all on another target, but it has more than it lists
        List<GatewayStatus.Session> many = new java.util.ArrayList<>();
        for (int i = 0; i < GatewayStatus.MAX_LISTED_SESSIONS + 10; i++) {
            many.add(session(T2, I2, i));
        }
        try (GatewayMembership m = gatewayWith(many)) {
            refusedFor(at("/api/targets/" + T + "/luns/1").delete(), null, T, 1);
            m.reportSessions(many.subList(0, 5)); // all listed now: nobody on T
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());
            ok(at("/api/targets/" + T + "/luns/1").delete(), 200);
        } finally {
            deleteStatus();
        }
    }

    // ---- ALUA, drain, failover history ---------------------------------------------------------------------

    @Test
    void aluaStatesDrainAndFailoverHistoryWithARealCoordinator() throws Exception {
        ok(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.1"))), 201);
        ok(post("/api/gateways", Map.of("name", "gw-b", "portals", List.of("10.0.0.2"))), 201);
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        for (String d : List.of("d1", "d2")) {
            ok(post("/api/disks", Map.of("pool", "local", "image", d, "size", "1M", "backstore", "file")), 201);
            ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/" + d)), 201);
        }
        expect(post("/api/gateways/nope/drain", Map.of()), 404, "no gateway nope");
        expect(at("/api/gateways/nope/drain").delete(), 404, "no gateway nope");
        expect(at("/api/gateways/nope/drain").get(), 404, "no gateway nope");
        expect(post("/api/gateways/bad!name/drain", Map.of()), 400, "gateway name");
        expect(at("/api/gateways/gw-a/drain").delete(), 409, "gateway gw-a is not draining");
        // nobody alive to take over: refused
        expect(post("/api/gateways/gw-a/drain", Map.of()), 409, "no other live gateway");
        expect(
                RESOURCES
                        .target("/api/alua")
                        .queryParam("disk", "local/nope")
                        .request()
                        .get(),
                404,
                "no disk local/nope");
        expect(
                RESOURCES
                        .target("/api/alua")
                        .queryParam("gateway", "nope")
                        .request()
                        .get(),
                404,
                "no gateway nope");
        expect(
                RESOURCES
                        .target("/api/alua/failovers")
                        .queryParam("limit", 0)
                        .request()
                        .get(),
                400,
                "limit must be at least 1");
        expect(
                RESOURCES
                        .target("/api/alua/failovers")
                        .queryParam("reason", "boredom")
                        .request()
                        .get(),
                400,
                "unknown reason 'boredom'");
        // before any coordinator: disks without owner, every port group unavailable
        JsonNode none = json(at("/api/alua").get());
        assertThat(none.findValuesAsText("disk")).containsExactly("local/d1", "local/d2");
        assertThat(none.get(0).get("owner").isNull()).isTrue();
        assertThat(none.get(0).findValuesAsText("state")).containsOnly("UNAVAILABLE");

        var layout = STORE.layout();
        GatewayMembership a =
                new GatewayMembership(STORE.client(), layout, new MemberInfo("gw-a", List.of(), null, "t", 1));
        GatewayMembership b =
                new GatewayMembership(STORE.client(), layout, new MemberInfo("gw-b", List.of(), null, "t", 2));
        io.rbdgw.config.alua.AluaCoordinator coordinator = new io.rbdgw.config.alua.AluaCoordinator(
                STORE.client(),
                layout,
                "gw-a",
                io.rbdgw.config.alua.Fencer.none(),
                Duration.ZERO,
                Duration.ofMillis(100));
        var await = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15));
        try {
            a.start();
            b.start();
            coordinator.start();
            await.untilAsserted(() -> assertThat(json(at("/api/alua").get()).findValuesAsText("owner"))
                    .containsExactlyInAnyOrder("gw-a", "gw-b"));
            JsonNode d1 = json(RESOURCES
                            .target("/api/alua")
                            .queryParam("disk", "local/d1")
                            .request()
                            .get())
                    .get(0);
            String owner1 = d1.get("owner").asText();
            assertThat(d1.get("luns").get(0).asText()).isEqualTo(T + "/0");
            assertThat(d1.get("ownerAlive").asBoolean()).isTrue();
            for (JsonNode port : d1.get("ports")) {
                assertThat(port.get("state").asText())
                        .isEqualTo(
                                port.get("gateway").asText().equals(owner1)
                                        ? "ACTIVE_OPTIMIZED"
                                        : "ACTIVE_NON_OPTIMIZED");
            }
            assertThat(json(RESOURCES
                                    .target("/api/alua")
                                    .queryParam("gateway", "gw-b")
                                    .request()
                                    .get())
                            .findValuesAsText("owner"))
                    .containsExactly("gw-b");
            // what each gateway reports it applied (the gateways publish a summary in their status): gw-a has
            // applied the current ownership of every disk, gw-b has reported nothing
            long e1 = d1.get("epoch").asLong();
            List<LunOwnership> now = new ArrayList<>();
            for (JsonNode d : json(at("/api/alua").get())) {
                now.add(new LunOwnership(
                        d.get("disk").asText(),
                        d.get("owner").asText(),
                        d.get("epoch").asLong(),
                        null));
            }
            a.reportAlua(GatewayStatus.AluaSummary.of(now, "gw-a", 4242));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> a.unpublishedStatus().isEmpty());
            JsonNode reported = json(RESOURCES
                            .target("/api/alua")
                            .queryParam("disk", "local/d1")
                            .request()
                            .get())
                    .get(0);
            assertThat(reported.get("ports").get(0).get("appliedEpoch").asLong())
                    .isEqualTo(e1);
            assertThat(reported.get("ports").get(0).get("appliedAtMillis").asLong())
                    .isEqualTo(4242);
            assertThat(reported.get("ports").get(1).get("appliedEpoch").isNull())
                    .isTrue();

            // drain gw-b: its disk moves to gw-a; the drain completes
            JsonNode started = json(post("/api/gateways/gw-b/drain", Map.of()));
            assertThat(started.get("draining").asBoolean()).isTrue();
            assertThat(started.get("alive").asBoolean()).isTrue();
            ok(post("/api/gateways/gw-b/drain", Map.of()), 200); // again: no harm
            // gw-a is now the only gateway not draining: it cannot be drained as well
            expect(post("/api/gateways/gw-a/drain", Map.of()), 409, "cannot drain gateway gw-a");
            await.untilAsserted(() -> {
                JsonNode st = json(at("/api/gateways/gw-b/drain").get());
                assertThat(st.get("complete").asBoolean()).isTrue();
                assertThat(st.get("ownedDisks")).isEmpty();
            });
            // gw-b's disk moved: what gw-a reported is no longer the current ownership of every disk
            assertThat(json(RESOURCES
                                    .target("/api/alua")
                                    .queryParam("disk", "local/d1")
                                    .request()
                                    .get())
                            .get(0)
                            .get("ports")
                            .get(0)
                            .get("appliedEpoch")
                            .isNull())
                    .isTrue();
            JsonNode gwB = json(at("/api/gateways/gw-b").get());
            assertThat(gwB.get("draining").asBoolean()).isTrue();
            assertThat(gwB.get("drained").asBoolean()).isTrue();
            assertThat(json(at("/api/gateways/gw-a").get()).get("ownedDisks").toString())
                    .isEqualTo("[\"local/d1\",\"local/d2\"]");
            JsonNode states = json(at("/api/alua").get());
            assertThat(states.findValuesAsText("owner")).containsOnly("gw-a");
            assertThat(states.get(0).get("ports").get(1).get("draining").asBoolean())
                    .isTrue();
            JsonNode drained = json(RESOURCES
                    .target("/api/alua/failovers")
                    .queryParam("reason", "drained")
                    .request()
                    .get());
            assertThat(drained).hasSize(1);
            assertThat(drained.get(0).get("from").asText()).isEqualTo("gw-b");
            assertThat(drained.get(0).get("to").asText()).isEqualTo("gw-a");

            // undrain: gw-b gets one back
            JsonNode ended = json(at("/api/gateways/gw-b/drain").delete());
            assertThat(ended.get("draining").asBoolean()).isFalse();
            await.untilAsserted(
                    () -> assertThat(json(at("/api/gateways/gw-b").get()).get("ownedDisks"))
                            .hasSize(1));

            // gw-b goes away: unavailable, its disk fails over, recorded with its timings
            b.close();
            await.untilAsserted(() -> assertThat(json(at("/api/alua").get()).findValuesAsText("owner"))
                    .containsOnly("gw-a"));
            JsonNode after = json(at("/api/alua").get()).get(0);
            assertThat(after.get("ports").get(1).get("state").asText()).isEqualTo("UNAVAILABLE");
            JsonNode history = json(at("/api/alua/failovers").get());
            JsonNode lost = history.get(0); // newest first
            assertThat(lost.get("reason").asText()).isEqualTo("GATEWAY_LOST");
            assertThat(lost.get("from").asText()).isEqualTo("gw-b");
            assertThat(lost.get("durationMillis").asLong())
                    .isEqualTo(lost.get("writtenAtMillis").asLong()
                            - lost.get("lostSeenAtMillis").asLong());
            assertThat(history.findValuesAsText("reason")).contains("ASSIGNED", "DRAINED", "REBALANCE", "GATEWAY_LOST");
            assertThat(json(RESOURCES
                            .target("/api/alua/failovers")
                            .queryParam("limit", 2)
                            .request()
                            .get()))
                    .hasSize(2);
            assertThat(json(RESOURCES
                            .target("/api/alua/failovers")
                            .queryParam("disk", "local/nope")
                            .request()
                            .get()))
                    .isEmpty();
        } finally {
            coordinator.close();
            a.close();
            b.close();
            for (String path : List.of(layout.alua(), layout.drains(), layout.failovers(), layout.statuses())) {
                if (STORE.client().checkExists().forPath(path) != null) {
                    STORE.client().delete().deletingChildrenIfNeeded().forPath(path);
                }
            }
        }
    }

    // ---- discovery auth, settings, config, index ---------------------------------------------------------

    @Test
    void discoveryAuthAndSettings() {
        JsonNode d = json(
                put("/api/discovery-auth", Map.of("chap", Map.of("user", "discovery", "secret", "discoverysecret"))));
        assertThat(d.at("/value/chap/user").asText()).isEqualTo("discovery");
        assertThat(d.toString()).doesNotContain("discoverysecret");
        assertThat(json(at("/api/discovery-auth").get()).at("/chap/secretSet").asBoolean())
                .isTrue();
        ok(at("/api/discovery-auth").delete(), 200);
        assertThat(json(at("/api/discovery-auth").get()).at("/chap").isNull()).isTrue();

        JsonNode all = json(at("/api/settings").get());
        assertThat(all.findValuesAsText("key")).contains("MaxBurstLength", "cmdsnDepth");
        JsonNode set = json(put("/api/settings/cmdsndepth", Map.of("value", "256")));
        assertThat(set.at("/value/value").asText()).isEqualTo("256");
        assertThat(set.at("/value/overridden").asBoolean()).isTrue();
        expect(put("/api/settings/cmdsnDepth", Map.of("value", "0")), 400, "out of range");
        expect(put("/api/settings/ImmediateData", Map.of("value", "maybe")), 400, "invalid");
        expect(at("/api/settings/NoSuchSetting").get(), 404, "unknown setting");
        expect(put("/api/settings/ErrorRecoveryLevel", Map.of("value", "1")), 400, "not implemented");
        assertThat(json(put("/api/settings/ErrorRecoveryLevel", Map.of("value", "0")))
                        .at("/value/value")
                        .asText())
                .isEqualTo("0");
        // the defaults advertised are what the gateway negotiates (docs/running.md)
        assertThat(json(at("/api/settings/MaxBurstLength").get())
                        .at("/defaultValue")
                        .asText())
                .isEqualTo("1048576");
        assertThat(json(at("/api/settings/InitialR2T").get())
                        .at("/defaultValue")
                        .asText())
                .isEqualTo("No");
        assertThat(json(at("/api/settings/MaxOutstandingR2T").get())
                        .at("/defaultValue")
                        .asText())
                .isEqualTo("16");
        JsonNode reset = json(at("/api/settings/cmdsnDepth").delete());
        assertThat(reset.at("/value/value").asText()).isEqualTo("128");
        assertThat(reset.at("/value/overridden").asBoolean()).isFalse();
    }

    @Test
    void wholeConfigAndIndex() {
        targetWithDisk();
        JsonNode c = json(at("/api/config").get());
        assertThat(c.get("targets").get(0).get("iqn").asText()).isEqualTo(T);
        assertThat(c.get("disks").get(0).get("luns").get(0).get("lun").asInt()).isZero();
        JsonNode index = json(at("/api/").get());
        assertThat(index.get("endpoints").toString())
                .contains(
                        "POST /api/targets",
                        "DELETE /api/disks/{pool}/{image}",
                        "GET /api/config/epoch",
                        "PUT /api/targets/{target}/clients/{initiator}/luns/{lun}");
    }

    @Test
    void sysinfoTellsVersionsZooKeeperEpochGatewaysAndCounts() throws Exception {
        targetWithDisk();
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "luns", List.of(0))), 201);
        ok(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.1"))), 201);
        ok(post("/api/gateways", Map.of("name", "gw-b", "portals", List.of("10.0.0.2"))), 201);
        long epoch = STORE.epoch();
        try (GatewayMembership m = new GatewayMembership(
                STORE.client(),
                STORE.layout(),
                new MemberInfo(
                        "gw-a",
                        List.of(new Portal("10.0.0.1", 3260)),
                        "10.0.0.1:0/123",
                        "1.2.3",
                        System.currentTimeMillis() - 90_000))) {
            m.start();
            assertThat(m.awaitRegistered(Duration.ofSeconds(5))).isTrue();
            m.reportStatus(epoch, GatewayStatus.Health.OK, "fine");
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> m.unpublishedStatus().isEmpty());

            Response r = at("/api/sysinfo").get();
            assertThat(r.getEntityTag().getValue()).isEqualTo(Long.toString(epoch));
            JsonNode s = json(r);
            assertThat(s.get("version").asText()).isEqualTo("9.8.7-test");
            assertThat(s.get("schemaVersion").asText()).isEqualTo("1.0");
            assertThat(s.at("/zookeeper/connectString").asText())
                    .isEqualTo(STORE.client().getZookeeperClient().getCurrentConnectionString())
                    .contains("127.0.0.1:");
            assertThat(s.at("/zookeeper/root").asText())
                    .isEqualTo(STORE.layout().root());
            assertThat(s.at("/zookeeper/connected").asBoolean()).isTrue();
            assertThat(s.get("epoch").asLong()).isEqualTo(epoch);
            assertThat(s.get("counts"))
                    .isEqualTo(
                            RESOURCES
                                    .getObjectMapper()
                                    .readTree(
                                            "{\"targets\":1,\"disks\":1,\"luns\":1,\"clients\":1,\"hostGroups\":0,\"gateways\":2}"));
            JsonNode a = s.get("gateways").get(0);
            assertThat(a.get("name").asText()).isEqualTo("gw-a");
            assertThat(a.get("alive").asBoolean()).isTrue();
            assertThat(a.get("health").asText()).isEqualTo("OK");
            assertThat(a.get("appliedEpoch").asLong()).isEqualTo(epoch);
            assertThat(a.get("upToDate").asBoolean()).isTrue();
            assertThat(a.get("version").asText()).isEqualTo("1.2.3");
            assertThat(a.get("portals")).hasSize(1);
            assertThat(a.get("portals").get(0).asText()).isEqualTo("10.0.0.1:3260");
            assertThat(a.get("uptimeSeconds").asLong()).isBetween(90L, 120L);
            assertThat(a.get("cephConnected").asBoolean()).isTrue();
            JsonNode b = s.get("gateways").get(1);
            assertThat(b.get("name").asText()).isEqualTo("gw-b");
            assertThat(b.get("alive").asBoolean()).isFalse();
            assertThat(b.get("appliedEpoch").isNull()).isTrue();
            assertThat(b.get("upToDate").asBoolean()).isFalse();
            assertThat(b.get("uptimeSeconds").isNull()).isTrue();
            assertThat(b.get("cephConnected").isNull()).isTrue();
        } finally {
            STORE.client().delete().forPath(STORE.layout().status("gw-a"));
        }
    }

    // ---- export / import --------------------------------------------------------------------------------

    /** Every kind of thing the configuration holds, with CHAP everywhere it can be. */
    void richConfiguration() {
        targetWithDisk();
        ok(post("/api/disks", Map.of("pool", "local", "image", "d2", "size", "2M", "backstore", "file")), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/d2", "lun", 5)), 201);
        ok(put("/api/targets/" + T, Map.of("alias", "rich", "parameters", Map.of("MaxBurstLength", "262144"))), 200);
        ok(
                put(
                        "/api/targets/" + T + "/auth",
                        Map.of(
                                "chap",
                                Map.of("user", "targetuser1", "secret", "targetsecret12"),
                                "mutualChap",
                                Map.of("user", "mutualuser1", "secret", "mutualsecret12"))),
                200);
        ok(
                post(
                        "/api/targets/" + T + "/clients",
                        Map.of(
                                "initiator",
                                I1,
                                "luns",
                                List.of(0),
                                "auth",
                                Map.of("chap", Map.of("user", "host1user", "secret", "host1secret123")))),
                201);
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I2)), 201);
        ok(
                post(
                        "/api/targets/" + T + "/hostgroups",
                        Map.of("name", "grp", "members", List.of(I2), "disks", List.of("local/d2"))),
                201);
        ok(post("/api/targets", Map.of("iqn", "iqn.2003-01.org.example:t2", "acl", false)), 201);
        ok(post("/api/gateways", Map.of("name", "gw-a", "portals", List.of("10.0.0.1", "10.0.1.1:3261"))), 201);
        ok(post("/api/gateways", Map.of("name", "gw-b", "portals", List.of("10.0.0.2"), "targetPortGroup", 7)), 201);
        ok(put("/api/discovery-auth", Map.of("chap", Map.of("user", "discovery1", "secret", "discoverysecret1"))), 200);
        ok(put("/api/settings/cmdsnDepth", Map.of("value", "64")), 200);
    }

    /** The configuration without its epoch, to compare two epochs' contents. */
    static io.rbdgw.config.model.ClusterConfig content() {
        io.rbdgw.config.model.ClusterConfig c = STORE.read();
        return new io.rbdgw.config.model.ClusterConfig(
                0,
                c.schema(),
                c.targets(),
                c.disks(),
                c.gateways(),
                c.luns(),
                c.clients(),
                c.hostGroups(),
                c.discoveryAuth(),
                c.settings());
    }

    @Test
    void exportWithSecretsWipeImportGivesTheSameConfiguration() {
        richConfiguration();
        io.rbdgw.config.model.ClusterConfig before = content();
        Response exported = RESOURCES
                .target("/api/config/export")
                .queryParam("withSecrets", "true")
                .request()
                .get();
        assertThat(exported.getHeaderString("Cache-Control")).isEqualTo("no-store");
        JsonNode doc = json(exported);
        assertThat(doc.get("format").asText()).isEqualTo("rbdgw-config");
        assertThat(doc.get("secrets").asText()).isEqualTo("plaintext"); // this store has no key file
        assertThat(doc.toString()).contains("host1secret123", "targetsecret12", "mutualsecret12", "discoverysecret1");

        TestZk.reset(STORE);
        assertThat(STORE.read().targets()).isEmpty();
        Response imported = post("/api/config/import", doc);
        String text = imported.readEntity(String.class);
        assertThat(imported.getStatus()).as(text).isEqualTo(200);
        assertThat(content()).isEqualTo(before);
        assertThat(text).contains("\"dryRun\":false", "\"target " + T + "\"", "\"client " + T + "/" + I1 + "\"");

        // importing the same document again changes nothing, not even the epoch
        long epoch = STORE.epoch();
        JsonNode again = json(post("/api/config/import", doc));
        assertThat(again.get("epoch").asLong()).isEqualTo(epoch);
        assertThat(again.get("added")).isEmpty();
        assertThat(again.get("removed")).isEmpty();
        assertThat(again.get("changed")).isEmpty();
        assertThat(STORE.epoch()).isEqualTo(epoch);
    }

    @Test
    void plainExportHasNoSecretsAndAnImportKeepsTheClustersSecrets() {
        richConfiguration();
        io.rbdgw.config.model.ClusterConfig before = content();
        Response exported = at("/api/config/export").get();
        assertThat(exported.getHeaderString("Cache-Control")).isNull();
        JsonNode doc = json(exported);
        assertThat(doc.get("secrets").asText()).isEqualTo("omitted");
        assertThat(doc.toString())
                .doesNotContain("host1secret123", "targetsecret12", "mutualsecret12", "discoverysecret1")
                .contains("host1user", "targetuser1", "mutualuser1", "discovery1");
        assertThat(doc.findValues("secret"))
                .isNotEmpty()
                .allSatisfy(v -> assertThat(v.isNull()).isTrue());

        // onto the cluster it came from: every secret is kept, nothing changes
        long epoch = STORE.epoch();
        JsonNode r = json(post("/api/config/import", doc));
        assertThat(r.get("changed")).isEmpty();
        assertThat(STORE.epoch()).isEqualTo(epoch);
        assertThat(content()).isEqualTo(before);

        // onto an empty cluster: the secrets are nowhere, so it is refused and nothing is written
        TestZk.reset(STORE);
        long wiped = STORE.epoch();
        expect(post("/api/config/import", doc), 400, "has no secret in the document and none in the cluster");
        assertThat(STORE.epoch()).isEqualTo(wiped);
    }

    @Test
    void dryRunShowsTheDifferenceAndChangesNothing() {
        richConfiguration();
        com.fasterxml.jackson.databind.node.ObjectNode doc =
                (com.fasterxml.jackson.databind.node.ObjectNode) json(RESOURCES
                        .target("/api/config/export")
                        .queryParam("withSecrets", "true")
                        .request()
                        .get());
        // drop LUN 5 and the host group that holds its disk, add a gateway, change a setting
        com.fasterxml.jackson.databind.node.ArrayNode luns =
                (com.fasterxml.jackson.databind.node.ArrayNode) doc.get("luns");
        for (int i = luns.size() - 1; i >= 0; i--) {
            if (luns.get(i).get("lun").asInt() == 5) {
                luns.remove(i);
            }
        }
        doc.putArray("hostGroups");
        ((com.fasterxml.jackson.databind.node.ArrayNode) doc.get("gateways"))
                .addObject()
                .put("name", "gw-c")
                .put("targetPortGroup", 9)
                .putArray("portals")
                .add("10.0.0.3");
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("settings")).put("cmdsnDepth", "32");
        io.rbdgw.config.model.ClusterConfig before = content();
        long epoch = STORE.epoch();

        Response dry = RESOURCES
                .target("/api/config/import")
                .queryParam("dryRun", "true")
                .request()
                .post(Entity.json(doc));
        JsonNode r = json(dry);
        assertThat(r.get("dryRun").asBoolean()).isTrue();
        assertThat(r.get("epoch").asLong()).isEqualTo(epoch);
        assertThat(r.get("added")).extracting(JsonNode::asText).containsExactly("gateway gw-c");
        assertThat(r.get("removed"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("lun " + T + "/5", "hostGroup " + T + "/grp");
        assertThat(r.get("changed")).extracting(JsonNode::asText).containsExactly("setting cmdsnDepth");
        assertThat(r.get("refusal").isNull()).isTrue();
        assertThat(STORE.epoch()).isEqualTo(epoch);
        assertThat(content()).isEqualTo(before);

        // the real import does exactly that, in one epoch
        JsonNode done = json(post("/api/config/import", doc));
        assertThat(done.get("epoch").asLong()).isEqualTo(epoch + 1);
        assertThat(done.get("removed"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("lun " + T + "/5", "hostGroup " + T + "/grp");
        assertThat(STORE.read().luns(T))
                .extracting(io.rbdgw.config.model.Lun::number)
                .containsExactly(0);
        assertThat(STORE.read().gateway("gw-c")).isPresent();
        assertThat(STORE.read().disk("local/d2")).isPresent(); // disks stay unless the document drops them
    }

    @Test
    void importThatTakesLunsFromLoggedInHostsIsRefusedUnlessForced() throws Exception {
        richConfiguration();
        JsonNode doc = json(RESOURCES
                .target("/api/config/export")
                .queryParam("withSecrets", "true")
                .request()
                .get());
        TestZk.reset(STORE);
        ok(post("/api/targets", Map.of("iqn", T)), 201);
        ok(post("/api/disks", Map.of("pool", "local", "image", "other", "size", "1M", "backstore", "file")), 201);
        ok(post("/api/targets/" + T + "/luns", Map.of("disk", "local/other", "lun", 3)), 201);
        ok(post("/api/targets/" + T + "/clients", Map.of("initiator", I1, "luns", List.of(3))), 201);
        long epoch = STORE.epoch();
        try (GatewayMembership m = gatewayWith(List.of(session(T, I1, 1)))) {
            refusedFor(post("/api/config/import", doc), I1, T, 3);
            assertThat(STORE.epoch()).isEqualTo(epoch);
            JsonNode dry = json(RESOURCES
                    .target("/api/config/import")
                    .queryParam("dryRun", "true")
                    .request()
                    .post(Entity.json(doc)));
            assertThat(dry.get("refusal").asText()).contains("logged-in session", I1);
            assertThat(STORE.epoch()).isEqualTo(epoch);
            JsonNode forced = json(RESOURCES
                    .target("/api/config/import")
                    .queryParam("force", "true")
                    .request()
                    .post(Entity.json(doc)));
            assertThat(forced.get("epoch").asLong()).isEqualTo(epoch + 1);
            assertThat(STORE.read().disk("local/other")).isEmpty();
        } finally {
            STORE.client().delete().forPath(STORE.layout().status("gw-a"));
        }
    }

    @Test
    void importRefusesDocumentsThatAreNotAConfiguration() {
        targetWithDisk();
        long epoch = STORE.epoch();
        JsonNode doc = json(at("/api/config/export").get());
        expect(post("/api/config/import", Map.of("format", "something")), 400, "format must be");
        com.fasterxml.jackson.databind.node.ObjectNode v2 = doc.deepCopy();
        v2.put("formatVersion", 2);
        expect(post("/api/config/import", v2), 400, "formatVersion 2 is not supported");
        com.fasterxml.jackson.databind.node.ObjectNode noLuns = doc.deepCopy();
        noLuns.remove("luns");
        expect(post("/api/config/import", noLuns), 400, "luns is missing");
        com.fasterxml.jackson.databind.node.ObjectNode dangling = doc.deepCopy();
        dangling.putArray("disks");
        expect(post("/api/config/import", dangling), 400, "unknown disk local/d1");
        com.fasterxml.jackson.databind.node.ObjectNode escape = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) escape.get("disks").get(0)).put("path", "/etc/passwd");
        expect(post("/api/config/import", escape), 400, "disk local/d1: ");
        com.fasterxml.jackson.databind.node.ObjectNode sealed = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) sealed.get("discoveryAuth"))
                .putObject("chap")
                .put("user", "discovery1")
                .put("secret", "enc:v1:k1:AAAA");
        expect(post("/api/config/import", sealed), 400, "no secretKeyFile");
        com.fasterxml.jackson.databind.node.ObjectNode badSetting = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) badSetting.get("settings")).put("ErrorRecoveryLevel", "1");
        expect(post("/api/config/import", badSetting), 400, "not implemented");
        assertThat(STORE.epoch()).isEqualTo(epoch);
    }

    // ---- jobs -------------------------------------------------------------------------------------------

    static Invocation.Builder async(String path) {
        return RESOURCES.target(path).request().header("Prefer", "respond-async");
    }

    static JsonNode awaitJob(Response accepted) {
        String body = accepted.readEntity(String.class);
        assertThat(accepted.getStatus()).as(body).isEqualTo(202);
        assertThat(accepted.getHeaderString("Preference-Applied")).isEqualTo("respond-async");
        String location = accepted.getLocation().getPath();
        assertThat(location).startsWith("/api/jobs/");
        JsonNode[] job = new JsonNode[1];
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    job[0] = json(at(location).get());
                    return job[0].get("finishedAt").isTextual();
                });
        return job[0];
    }

    @Test
    void diskCreateResizeDeleteRunAsJobsWhenAskedTo() throws Exception {
        JsonNode created = awaitJob(async("/api/disks")
                .post(Entity.json(Map.of("pool", "local", "image", "j1", "size", "1M", "backstore", "file"))));
        assertThat(created.get("kind").asText()).isEqualTo("disk.create");
        assertThat(created.get("subject").asText()).isEqualTo("local/j1");
        assertThat(created.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(created.get("progress").asInt()).isEqualTo(100);
        assertThat(created.get("status").asInt()).isEqualTo(201);
        assertThat(created.at("/result/value/id").asText()).isEqualTo("local/j1");
        assertThat(created.at("/result/epoch").asLong()).isEqualTo(STORE.epoch());
        assertThat(Files.size(DATA.resolve("local/j1.img"))).isEqualTo(1 << 20);

        JsonNode resized = awaitJob(async("/api/disks/local/j1/size").put(Entity.json(Map.of("size", "2M"))));
        assertThat(resized.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(resized.at("/result/value/size").asLong()).isEqualTo(2 << 20);
        assertThat(Files.size(DATA.resolve("local/j1.img"))).isEqualTo(2 << 20);

        // bad input is refused before any job starts
        expect(
                async("/api/disks").post(Entity.json(Map.of("pool", "local", "image", "j2", "backstore", "file"))),
                400,
                "size is missing");
        expect(async("/api/disks/local/j1/size").put(Entity.json(Map.of("size", "1M"))), 400, "shrinking");
        expect(async("/api/disks/local/none").delete(), 404, null);

        // a failure inside the job: the file is there already (the disk left the configuration, its file stayed)
        ok(
                RESOURCES
                        .target("/api/disks/local/j1")
                        .queryParam("preserveImage", "true")
                        .request()
                        .delete(),
                200);
        JsonNode failed = awaitJob(async("/api/disks")
                .post(Entity.json(Map.of("pool", "local", "image", "j1", "size", "1M", "backstore", "file"))));
        assertThat(failed.get("state").asText()).isEqualTo("FAILED");
        assertThat(failed.get("status").asInt()).isEqualTo(409);
        assertThat(failed.get("error").asText()).contains("exists");
        assertThat(failed.get("result").isNull()).isTrue();
        assertThat(STORE.read().disk("local/j1")).isEmpty();

        ok(post("/api/disks", Map.of("pool", "local", "image", "j3", "size", "1M", "backstore", "file")), 201);
        JsonNode deleted = awaitJob(async("/api/disks/local/j3").delete());
        assertThat(deleted.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(Files.exists(DATA.resolve("local/j3.img"))).isFalse();

        JsonNode list = json(at("/api/jobs").get());
        assertThat(list.get(0).get("id").asText()).isEqualTo(deleted.get("id").asText()); // newest first
        expect(at("/api/jobs/nope").get(), 404, "no job nope");
        // without the preference the answer is the synchronous one, as before
        ok(post("/api/disks", Map.of("pool", "local", "image", "j4", "size", "1M", "backstore", "file")), 201);
    }
}
