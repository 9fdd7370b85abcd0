package io.rbdgw.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.api.JobView;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.Jobs;
import io.rbdgw.config.store.ConfigStore;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Jobs live in ZooKeeper: they outlive the admin API instance that ran them, or show it was interrupted. */
class JobsRestartTest {
    static final String PASSWORD = "correct horse battery";
    static final String HASH = PasswordHash.hash(PASSWORD.toCharArray(), 1000);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> call(AdminServer server, String method, String path, String body, boolean async)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
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

    static JsonNode job(AdminServer server, String id) throws Exception {
        HttpResponse<String> r = call(server, "GET", "/api/jobs/" + id, null, false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static AdminServer start(ConfigStore store, Path data) throws Exception {
        return AdminServer.start(
                AdminServer.Options.of(store, HASH).withListen("127.0.0.1", 0).withDataDir(data));
    }

    @Test
    void finishedJobsSurviveARestartAndAreSeenByTheNextInstance() throws Exception {
        ConfigStore store = TestZk.newStore();
        Path data = Files.createTempDirectory("jobs-restart");
        String id;
        try (AdminServer first = start(store, data)) {
            HttpResponse<String> accepted = call(
                    first,
                    "POST",
                    "/api/disks",
                    "{\"pool\":\"local\",\"image\":\"r1\",\"size\":\"1M\",\"backstore\":\"file\"}",
                    true);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            id = JSON.readTree(accepted.body()).get("id").asText();
            assertThat(id).matches("\\d+");
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> job(first, id).get("state").asText().equals("SUCCEEDED"));
        }
        try (AdminServer second = start(store, data)) {
            JsonNode after = job(second, id);
            assertThat(after.get("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(after.get("kind").asText()).isEqualTo("disk.create");
            assertThat(after.get("subject").asText()).isEqualTo("local/r1");
            assertThat(after.get("user").asText()).isEqualTo("admin");
            assertThat(after.get("progress").asInt()).isEqualTo(100);
            assertThat(after.get("status").asInt()).isEqualTo(201);
            assertThat(after.at("/result/value/id").asText()).isEqualTo("local/r1");
            JsonNode list =
                    JSON.readTree(call(second, "GET", "/api/jobs", null, false).body());
            assertThat(list.get(0).get("id").asText()).isEqualTo(id);
        }
    }

    /** The first instance dies (its ZooKeeper session ends without a word): the next one reports its job INTERRUPTED. */
    @Test
    void aJobRunningWhenItsInstanceDiesIsReportedInterruptedByTheNextInstance() throws Exception {
        ConfigStore store = TestZk.newStore();
        CountDownLatch release = new CountDownLatch(1);
        CuratorFramework own = CuratorFrameworkFactory.builder()
                .connectString(TestZk.connectString())
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new RetryNTimes(3, 100))
                .build();
        own.start();
        Jobs dying = new Jobs(own, store.layout());
        JobView started;
        try {
            dying.start();
            started = dying.submit("disk.delete", "rbd/big", "alice", progress -> {
                try {
                    while (!release.await(50, TimeUnit.MILLISECONDS)) {
                        progress.percent(40);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Jobs.Outcome.ok(1, null);
            });
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> dying.get(started.id()).progress() == 40);
            assertThat(dying.get(started.id()).state()).isEqualTo("RUNNING");
        } finally {
            own.close(); // the process is gone: no final state written, its ephemeral announcement goes with the
            // session
        }
        Path data = Files.createTempDirectory("jobs-restart");
        try (AdminServer next = start(store, data)) {
            JsonNode after = job(next, started.id());
            assertThat(after.get("state").asText()).isEqualTo("INTERRUPTED");
            assertThat(after.get("progress").asInt()).isEqualTo(40);
            assertThat(after.get("user").asText()).isEqualTo("alice");
            assertThat(after.get("instance").asText()).isEqualTo(dying.instance());
            assertThat(after.get("finishedAt").isTextual()).isTrue();
            assertThat(after.get("error").asText())
                    .contains("interrupted at 40%", dying.instance(), "stopped before it ended", "rbd/big");
            // recorded, not only shown: the znode says so too
            assertThat(new String(
                            store.client()
                                    .getData()
                                    .forPath(store.layout().jobs() + "/j-"
                                            + String.format("%010d", Long.parseLong(started.id()))),
                            StandardCharsets.UTF_8))
                    .contains("INTERRUPTED");
        } finally {
            release.countDown();
        }
    }

    /** A stop records what is still running after the grace period as INTERRUPTED, and the instance's announcement goes. */
    @Test
    void aStopRecordsJobsStillRunningAsInterrupted() throws Exception {
        ConfigStore store = TestZk.newStore();
        CountDownLatch release = new CountDownLatch(1);
        Jobs stopping = new Jobs(store.client(), store.layout(), Duration.ofMillis(200));
        stopping.start();
        assertThat(store.client().getChildren().forPath(store.layout().adminInstances()))
                .containsExactly(stopping.instance());
        JobView started = stopping.submit("disk.delete", "rbd/slow", "carol", progress -> {
            // like librbd: deaf to interrupts
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end) {
                try {
                    if (release.await(50, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    // ignored on purpose
                }
            }
            return Jobs.Outcome.ok(1, null);
        });
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> stopping.get(started.id()).state().equals("RUNNING"));
            stopping.stop();
            Jobs next = new Jobs(store.client(), store.layout());
            next.start();
            try {
                JobView after = next.get(started.id());
                assertThat(after.state()).isEqualTo("INTERRUPTED");
                assertThat(after.error()).contains("was stopped", "rbd/slow");
                assertThat(store.client().getChildren().forPath(store.layout().adminInstances()))
                        .containsExactly(next.instance());
            } finally {
                next.stop();
            }
        } finally {
            release.countDown();
        }
    }

    /** An instance that is alive keeps its jobs RUNNING in the eyes of another one. */
    @Test
    void aJobOfALiveInstanceStaysRunningForAnother() throws Exception {
        ConfigStore store = TestZk.newStore();
        CountDownLatch release = new CountDownLatch(1);
        Jobs one = new Jobs(store.client(), store.layout());
        Jobs other = new Jobs(store.client(), store.layout());
        one.start();
        other.start();
        try {
            JobView started = one.submit("disk.resize", "rbd/x", "bob", progress -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Jobs.Outcome.ok(1, null);
            });
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> other.get(started.id()).state().equals("RUNNING"));
            assertThat(other.list()).extracting(JobView::state).containsExactly("RUNNING");
            release.countDown();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> other.get(started.id()).state().equals("SUCCEEDED"));
        } finally {
            release.countDown();
            one.stop();
            other.stop();
        }
    }

    /**
     * What a client can make the service hold is bounded: with both workers busy and the queue full, a further job
     * is refused with 503 and leaves no record; the accepted ones still run.
     */
    @Test
    void aFullQueueRefusesTheNextJobWith503AndRecordsNothingForIt() throws Exception {
        ConfigStore store = TestZk.newStore();
        CountDownLatch release = new CountDownLatch(1);
        Jobs jobs = new Jobs(store.client(), store.layout());
        jobs.start();
        try {
            Jobs.Work blocked = progress -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Jobs.Outcome.ok(1, null);
            };
            int accepted = 2 + Jobs.QUEUE; // the two workers' jobs and a full queue
            for (int i = 0; i < accepted; i++) {
                jobs.submit("disk.resize", "rbd/x" + i, "bob", blocked);
            }
            assertThatThrownBy(() -> jobs.submit("disk.resize", "rbd/extra", "bob", blocked))
                    .isInstanceOfSatisfying(
                            ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
            assertThat(jobs.list()).hasSize(accepted).noneMatch(j -> j.subject().equals("rbd/extra"));
            release.countDown();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> jobs.list().stream().allMatch(j -> j.state().equals("SUCCEEDED")));
        } finally {
            release.countDown();
            jobs.stop();
        }
    }

    /** The last {@link Jobs#KEPT} are kept; older finished ones go. */
    @Test
    void keepsTheLastJobs() throws Exception {
        ConfigStore store = TestZk.newStore();
        Jobs jobs = new Jobs(store.client(), store.layout());
        jobs.start();
        try {
            String first = null;
            String last = null;
            for (int i = 0; i < Jobs.KEPT + 5; i++) {
                JobView j = jobs.submit("disk.create", "local/d" + i, "admin", progress -> Jobs.Outcome.ok(1, null));
                String id = j.id();
                Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> !jobs.get(id).active());
                first = first == null ? id : first;
                last = id;
            }
            JobView newest = jobs.submit("disk.create", "local/last", "admin", progress -> Jobs.Outcome.ok(1, null));
            assertThat(jobs.list()).hasSize(Jobs.KEPT);
            assertThat(jobs.list().get(0).id()).isEqualTo(newest.id());
            assertThat(store.client().getChildren().forPath(store.layout().jobs()))
                    .hasSize(Jobs.KEPT);
            String gone = first;
            assertThatThrownBy(() -> jobs.get(gone)).hasMessageContaining("no job " + gone);
            assertThat(jobs.get(last).state()).isEqualTo("SUCCEEDED");
        } finally {
            jobs.stop();
        }
    }
}
