package io.rbdgw.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.config.store.ConfigStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A disk delete job of a large sparse RBD image on the dev Ceph cluster (RBDGW_CEPH_CONF): its progress goes 0..100. */
class DiskDeleteJobIT {
    static final String PASSWORD = "correct horse battery";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static Path conf() {
        String conf = System.getProperty("ceph.conf");
        if (conf == null || conf.isBlank() || conf.startsWith("${") || !Files.isReadable(Path.of(conf))) {
            throw new AssertionError(
                    "no Ceph cluster: set RBDGW_CEPH_CONF=DIR/ceph.conf (scripts/ceph-dev-cluster.sh up DIR)");
        }
        return Path.of(conf);
    }

    static HttpResponse<String> call(AdminServer server, String method, String path, String body, boolean async)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        if (async) {
            b.header("Prefer", "respond-async");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Writes a few objects as client.admin (the image stays sparse). */
    static void writeSome(String image) throws Exception {
        Process p = new ProcessBuilder(
                        "rbd",
                        "-c",
                        conf().toString(),
                        "--id",
                        "admin",
                        "bench",
                        "--io-type",
                        "write",
                        "--io-size",
                        "4M",
                        "--io-total",
                        "16M",
                        "--io-pattern",
                        "rand",
                        "rbd/" + image)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("rbd bench finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void deletingALargeSparseImageAsAJobShowsItsProgress() throws Exception {
        ConfigStore store = TestZk.newStore();
        String image = "jobdel-" + UUID.randomUUID().toString().substring(0, 8);
        try (RbdCluster cluster = RbdCluster.connect("iscsi", conf());
                AdminServer server =
                        AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                                .withListen("127.0.0.1", 0)
                                .withCeph(CephAccess.of(cluster)))) {
            // 256 GiB: 65536 objects for librbd to walk, a few seconds on the dev cluster
            HttpResponse<String> created = call(
                    server,
                    "POST",
                    "/api/disks",
                    "{\"pool\":\"rbd\",\"image\":\"" + image + "\",\"size\":\"256G\"}",
                    false);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            writeSome(image);

            HttpResponse<String> accepted = call(server, "DELETE", "/api/disks/rbd/" + image, null, true);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String location = accepted.headers().firstValue("Location").orElseThrow();
            List<Integer> runningProgress = new ArrayList<>();
            JsonNode[] job = new JsonNode[1];
            Awaitility.await()
                    .atMost(Duration.ofMinutes(4))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        job[0] = JSON.readTree(
                                call(server, "GET", location, null, false).body());
                        if (job[0].get("state").asText().equals("RUNNING")) {
                            runningProgress.add(job[0].get("progress").asInt());
                        }
                        return job[0].get("finishedAt").isTextual();
                    });
            assertThat(job[0].get("state").asText()).as(job[0].toString()).isEqualTo("SUCCEEDED");
            assertThat(job[0].get("progress").asInt()).isEqualTo(100);
            assertThat(runningProgress).as("progress seen while it ran").anyMatch(p -> p > 0 && p < 100);
            assertThat(runningProgress).isSortedAccordingTo(Integer::compare);
            assertThat(cluster.images("rbd").exists(image)).isFalse();
            System.out.println("progress seen while running: "
                    + runningProgress.stream().distinct().toList());
        }
    }

    /** {@code rbd export} of the whole image (as client.admin), hashed. */
    static String exportHash(String image) throws Exception {
        Process p = new ProcessBuilder(
                        "bash",
                        "-c",
                        "rbd -c '" + conf() + "' --id admin export --no-progress rbd/" + image + " - | md5sum")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("rbd export finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.trim();
    }

    /** A snapshot rollback (it rewrites every object) runs as a job with progress and restores the data. */
    @Test
    void rollingBackASnapshotAsAJobRestoresTheDataAndEndsAt100() throws Exception {
        ConfigStore store = TestZk.newStore();
        String image = "jobrb-" + UUID.randomUUID().toString().substring(0, 8);
        try (RbdCluster cluster = RbdCluster.connect("iscsi", conf());
                AdminServer server =
                        AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                                .withListen("127.0.0.1", 0)
                                .withCeph(CephAccess.of(cluster)))) {
            HttpResponse<String> created = call(
                    server,
                    "POST",
                    "/api/disks",
                    "{\"pool\":\"rbd\",\"image\":\"" + image + "\",\"size\":\"1G\"}",
                    false);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            writeSome(image);
            String atSnapshot = exportHash(image);
            HttpResponse<String> snap =
                    call(server, "POST", "/api/disks/rbd/" + image + "/snapshots", "{\"name\":\"s1\"}", false);
            assertThat(snap.statusCode()).as(snap.body()).isEqualTo(201);
            writeSome(image);
            assertThat(exportHash(image))
                    .as("the image changed after the snapshot")
                    .isNotEqualTo(atSnapshot);

            HttpResponse<String> accepted =
                    call(server, "POST", "/api/disks/rbd/" + image + "/snapshots/s1/rollback", null, true);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String location = accepted.headers().firstValue("Location").orElseThrow();
            JsonNode[] job = new JsonNode[1];
            Awaitility.await()
                    .atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        job[0] = JSON.readTree(
                                call(server, "GET", location, null, false).body());
                        return job[0].get("finishedAt").isTextual();
                    });
            assertThat(job[0].get("state").asText()).as(job[0].toString()).isEqualTo("SUCCEEDED");
            assertThat(job[0].get("kind").asText()).isEqualTo("disk.rollback");
            assertThat(job[0].get("progress").asInt()).isEqualTo(100);
            assertThat(exportHash(image)).as("the data is the snapshot's again").isEqualTo(atSnapshot);

            assertThat(call(server, "DELETE", "/api/disks/rbd/" + image + "/snapshots/s1", null, false)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(call(server, "DELETE", "/api/disks/rbd/" + image, null, false)
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    /** The CLI waits for the delete job and prints a line per 10 % step (its stdout is not a terminal here). */
    @Test
    void theCliPrintsTheDeletesProgressInTenPercentSteps() throws Exception {
        ConfigStore store = TestZk.newStore();
        String image = "clidel-" + UUID.randomUUID().toString().substring(0, 8);
        try (RbdCluster cluster = RbdCluster.connect("iscsi", conf());
                AdminServer server =
                        AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                                .withListen("127.0.0.1", 0)
                                .withCeph(CephAccess.of(cluster)))) {
            HttpResponse<String> created = call(
                    server,
                    "POST",
                    "/api/disks",
                    "{\"pool\":\"rbd\",\"image\":\"" + image + "\",\"size\":\"256G\"}",
                    false);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = RbdgwCli.run(
                    new String[] {"--url", server.uri().toString(), "disk", "delete", "rbd/" + image},
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    Map.of("RBDGW_ADMIN_PASSWORD", PASSWORD));
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
            System.out.println(text);
            Pattern step = Pattern.compile("job \\d+: deleting rbd/" + Pattern.quote(image) + " (\\d+)%");
            List<Integer> percents = new ArrayList<>();
            for (String line : text.split("\n")) {
                Matcher m = step.matcher(line);
                if (m.matches()) {
                    percents.add(Integer.parseInt(m.group(1)));
                }
            }
            assertThat(percents).as(text).hasSizeGreaterThan(2).startsWith(0).endsWith(100);
            for (int i = 1; i < percents.size(); i++) {
                assertThat(percents.get(i) / 10)
                        .as("a new 10 %% step each line: %s", percents)
                        .isGreaterThan(percents.get(i - 1) / 10);
            }
            assertThat(text).contains("deleted disk rbd/" + image);
            assertThat(cluster.images("rbd").exists(image)).isFalse();
        }
    }
}
