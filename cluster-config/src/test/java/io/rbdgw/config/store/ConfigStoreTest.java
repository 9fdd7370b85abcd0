package io.rbdgw.config.store;

import static io.rbdgw.config.Fixtures.T1;
import static io.rbdgw.config.Fixtures.T2;
import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.rbdgw.config.Fixtures;
import io.rbdgw.config.PausableProxy;
import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.SchemaVersion;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Target;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConfigStoreTest {
    private static TestingServer server;
    private static CuratorFramework client;
    private ConfigStore store;

    @BeforeAll
    static void startZk() throws Exception {
        server = ZkTestSupport.server();
        client = ZkTestSupport.client(server.getConnectString());
    }

    @AfterAll
    static void stopZk() throws Exception {
        client.close();
        server.close();
    }

    @BeforeEach
    void newStore() {
        store = new ConfigStore(client, ZkTestSupport.newRoot());
        store.initialize();
    }

    private String raw(String path) throws Exception {
        return new String(client.getData().forPath(path), StandardCharsets.UTF_8);
    }

    @Test
    void emptyStoreIsAtEpochZeroAndInitializeIsIdempotent() {
        store.initialize();
        assertThat(store.epoch()).isZero();
        assertThat(store.read()).isEqualTo(ClusterConfig.EMPTY);
    }

    @Test
    void appliedChangesReadBackWholeAtTheNextEpoch() throws Exception {
        long e = store.apply(0, Fixtures.basicTarget());

        assertThat(e).isEqualTo(1);
        ClusterConfig expected = ConfigChange.applyAll(ClusterConfig.EMPTY, Fixtures.basicTarget()).toBuilder()
                .epoch(1)
                .build();
        assertThat(store.read()).isEqualTo(expected);
        assertThat(raw(store.layout().disk("rbd/a")))
                .contains("\"schema\":\"1.0\"", "\"size\":1073741824", "\"backstore\":\"RBD\"")
                .doesNotContain("\"id\"");
        assertThat(raw(store.layout().epoch())).contains("\"epoch\":1");
        assertThat(client.checkExists().forPath(store.layout().lun(T1, 1))).isNotNull();
    }

    @Test
    void aChangeThatChangesNothingKeepsTheEpoch() {
        store.apply(0, Fixtures.basicTarget());
        assertThat(store.apply(1, new ConfigChange.PutDisk(disk("a")))).isEqualTo(1);
        assertThat(store.epoch()).isEqualTo(1);
    }

    @Test
    void anInvalidChangeWritesNothing() throws Exception {
        store.apply(0, Fixtures.basicTarget());

        assertThatThrownBy(() -> store.apply(
                        1,
                        List.of(
                                new ConfigChange.PutDisk(disk("c")),
                                new ConfigChange.PutLun(new Lun(T1, 7, "rbd/missing")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown disk rbd/missing");
        assertThatThrownBy(() -> store.apply(
                        1,
                        List.of(
                                new ConfigChange.PutDisk(disk("c")),
                                new ConfigChange.DeleteClient(T1, "iqn.2000-01.com.example:nobody"))))
                .isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> store.apply(1, new ConfigChange.DeleteDisk("rbd/a")))
                .hasMessageContaining("unknown disk rbd/a");

        assertThat(store.epoch()).isEqualTo(1);
        assertThat(client.checkExists().forPath(store.layout().disk("rbd/c"))).isNull();
        assertThat(store.read().disk("rbd/a")).isPresent();
    }

    @Test
    void aWriterBehindTheCurrentEpochGetsAConflictAndWritesNothing() throws Exception {
        store.apply(0, Fixtures.basicTarget());
        store.apply(1, new ConfigChange.PutDisk(disk("c")));

        assertThatThrownBy(() -> store.apply(1, new ConfigChange.PutDisk(disk("d"))))
                .isInstanceOfSatisfying(ConfigConflictException.class, c -> {
                    assertThat(c.expectedEpoch()).isEqualTo(1);
                    assertThat(c.currentEpoch()).isEqualTo(2);
                });
        assertThat(client.checkExists().forPath(store.layout().disk("rbd/d"))).isNull();
    }

    @Test
    void concurrentAdminsAtTheSameEpochExactlyOneWins() throws Exception {
        int writers = 6;
        for (int round = 0; round < 5; round++) {
            long epoch = store.epoch();
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<Long>> results = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String image = "r" + round + "w" + w;
                // separate sessions, as separate admin-api instances would have
                results.add(pool.submit(() -> {
                    try (CuratorFramework own = ZkTestSupport.client(server.getConnectString());
                            ConfigStore s = new ConfigStore(own, store.layout().root())) {
                        own.blockUntilConnected(5, TimeUnit.SECONDS);
                        go.await();
                        return s.apply(epoch, new ConfigChange.PutDisk(disk(image)));
                    }
                }));
            }
            go.countDown();
            int wins = 0;
            int conflicts = 0;
            for (Future<Long> f : results) {
                try {
                    assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(epoch + 1);
                    wins++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ConfigConflictException.class);
                    conflicts++;
                }
            }
            pool.shutdown();
            assertThat(wins).isEqualTo(1);
            assertThat(conflicts).isEqualTo(writers - 1);
            ClusterConfig after = store.read();
            assertThat(after.epoch()).isEqualTo(epoch + 1);
            String prefix = "r" + round + "w";
            assertThat(after.disks().stream().filter(d -> d.image().startsWith(prefix)))
                    .hasSize(1);
        }
    }

    @Test
    void updatersThatRetryOnConflictAllGetTheirChangeIn() throws Exception {
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Long>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String image = "u" + w;
            results.add(pool.submit(
                    () -> store.update(snapshot -> List.of(new ConfigChange.PutDisk(disk(image))), 50)));
        }
        List<Long> epochs = new ArrayList<>();
        for (Future<Long> f : results) {
            epochs.add(f.get(20, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(epochs).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(store.read().disks()).hasSize(writers);
    }

    @Test
    void deletingATargetRemovesItsLunsClientsAndGroupsButKeepsDisks() throws Exception {
        store.apply(0, Fixtures.basicTarget());
        store.apply(1, new ConfigChange.PutTarget(Target.of(T2)), new ConfigChange.PutLun(new Lun(T2, 0, "rbd/a")));

        long e = store.apply(2, new ConfigChange.DeleteTarget(T1));

        ClusterConfig c = store.read();
        assertThat(e).isEqualTo(3);
        assertThat(c.targets()).extracting(Target::iqn).containsExactly(T2);
        assertThat(c.luns()).containsExactly(new Lun(T2, 0, "rbd/a"));
        assertThat(c.clients()).isEmpty();
        assertThat(c.disks()).hasSize(2);
        assertThat(client.checkExists().forPath(store.layout().target(T1))).isNull();
    }

    @Test
    void readersRacingWritersAlwaysSeeWholeChanges() throws Exception {
        store.apply(0, new ConfigChange.PutTarget(Target.of(T1)));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger commits = new AtomicInteger();
        Thread writer = new Thread(() -> {
            // each change adds (or removes) a disk, its LUN and a client mapping it together
            for (int i = 0; i < 60 && !stop.get(); i++) {
                long e = store.epoch();
                int n = i / 2;
                String initiator = "iqn.2000-01.com.example:h" + n;
                if (i % 2 == 0) {
                    store.apply(
                            e,
                            new ConfigChange.PutDisk(disk("d" + n)),
                            new ConfigChange.PutLun(new Lun(T1, n, "rbd/d" + n)),
                            new ConfigChange.PutClient(Client.withLuns(T1, initiator, java.util.Set.of(n))));
                } else if (n % 3 != 0) { // leave some behind so snapshots grow
                    store.apply(
                            e,
                            new ConfigChange.DeleteClient(T1, initiator),
                            new ConfigChange.DeleteLun(T1, n),
                            new ConfigChange.DeleteDisk("rbd/d" + n));
                }
                commits.incrementAndGet();
            }
        });
        writer.start();
        int reads = 0;
        long lastEpoch = -1;
        while (writer.isAlive() || reads < 20) {
            ClusterConfig c = store.read(); // inconsistent trees would fail the ClusterConfig constructor
            assertThat(c.epoch()).isGreaterThanOrEqualTo(lastEpoch);
            lastEpoch = c.epoch();
            assertThat(c.disks()).hasSameSizeAs(c.luns());
            assertThat(c.clients()).hasSameSizeAs(c.luns());
            for (Lun l : c.luns()) {
                assertThat(c.disk(l.diskId())).isPresent();
            }
            reads++;
        }
        writer.join();
        assertThat(commits.get()).isEqualTo(60);
        assertThat(reads).isGreaterThanOrEqualTo(20);
    }

    @Test
    void olderDocumentsAreReadWithDefaults() throws Exception {
        ZkLayout l = store.layout();
        // a target written before aclEnabled and parameters existed, without a schema field
        client.create().forPath(l.target(T1), ("{\"iqn\":\"" + T1 + "\"}").getBytes(StandardCharsets.UTF_8));
        for (String p : List.of(l.luns(T1), l.clients(T1), l.hostGroups(T1))) {
            client.create().forPath(p);
        }
        client.setData().forPath(l.settings(), "{\"schema\":\"1.0\"}".getBytes(StandardCharsets.UTF_8));

        ClusterConfig c = store.read();
        Target t = c.target(T1).orElseThrow();
        assertThat(t.aclEnabled())
                .as("an absent ACL flag means the ACL is enforced")
                .isTrue();
        assertThat(t.parameters()).isEmpty();
        assertThat(c.settings().get(Setting.CMDSN_DEPTH)).isEqualTo("128");
        // a change leaves untouched documents as they are; one that touches the target rewrites it in the current
        // format
        store.apply(c.epoch(), new ConfigChange.PutDisk(disk("a")));
        assertThat(raw(l.target(T1))).isEqualTo("{\"iqn\":\"" + T1 + "\"}");
        store.apply(c.epoch() + 1, new ConfigChange.PutTarget(t.withAcl(false)));
        assertThat(raw(l.target(T1))).contains("\"aclEnabled\":false", "\"schema\":\"1.0\"");
    }

    @Test
    void clientsWrittenBeforeAllLunsKeepTheAccessTheyHad() throws Exception {
        ZkLayout l = store.layout();
        store.apply(
                0,
                new ConfigChange.PutTarget(Target.of(T1)),
                new ConfigChange.PutDisk(disk("a")),
                new ConfigChange.PutDisk(disk("b")),
                new ConfigChange.PutLun(new Lun(T1, 0, "rbd/a")),
                new ConfigChange.PutLun(new Lun(T1, 1, "rbd/b")));
        String old = "iqn.1994-05.com.redhat:old";
        String listed = "iqn.1994-05.com.redhat:listed";
        String none = "iqn.1994-05.com.redhat:none";
        // the old rule: no LUNs listed meant every LUN (documents without allLuns, without a schema field)
        client.create()
                .forPath(
                        l.client(T1, old),
                        ("{\"target\":\"" + T1 + "\",\"initiator\":\"" + old + "\"}").getBytes(StandardCharsets.UTF_8));
        client.create()
                .forPath(
                        l.client(T1, listed),
                        ("{\"target\":\"" + T1 + "\",\"initiator\":\"" + listed + "\",\"luns\":[1]}")
                                .getBytes(StandardCharsets.UTF_8));
        // written with the flag: an empty list is an empty list
        store.apply(1, new ConfigChange.PutClient(Client.withLuns(T1, none, java.util.Set.of())));

        ClusterConfig c = store.read();
        assertThat(c.client(T1, old).orElseThrow().allLuns()).isTrue();
        assertThat(c.visibleLuns(T1, old)).containsExactly(0, 1);
        assertThat(c.client(T1, listed).orElseThrow().allLuns()).isFalse();
        assertThat(c.visibleLuns(T1, listed)).containsExactly(1);
        assertThat(raw(l.client(T1, none))).contains("\"allLuns\":false");
        assertThat(c.visibleLuns(T1, none)).isEmpty();
    }

    @Test
    void aNewerMinorVersionIsReadIgnoringWhatItAdded() throws Exception {
        ZkLayout l = store.layout();
        client.setData()
                .forPath(
                        l.settings(),
                        "{\"schema\":\"1.7\",\"values\":{\"MaxBurstLength\":\"65536\",\"SomeFutureKey\":\"x\"},\"future\":[1,2]}"
                                .getBytes(StandardCharsets.UTF_8));

        ClusterConfig c = store.read();
        assertThat(c.settings().number(Setting.MAX_BURST_LENGTH)).isEqualTo(65536);
        assertThat(c.settings().values()).containsOnlyKeys("MaxBurstLength");
    }

    @Test
    void aNewerMajorVersionIsRefusedClearly() throws Exception {
        ZkLayout l = store.layout();
        client.setData()
                .forPath(l.discovery(), "{\"schema\":\"2.0\",\"mode\":\"kerberos\"}".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> store.read())
                .isInstanceOfSatisfying(
                        UnsupportedSchemaException.class,
                        e -> assertThat(e.found()).isEqualTo(new SchemaVersion(2, 0)))
                .hasMessageContaining(l.discovery())
                .hasMessageContaining("schema 2.0")
                .hasMessageContaining("upgrade this gateway");

        client.setData().forPath(l.schema(), "{\"schema\":\"3.1\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.initialize())
                .isInstanceOf(UnsupportedSchemaException.class)
                .hasMessageContaining("3.1");
    }

    @Test
    void aReaderWithoutConfigurationIsToldToInitialize() {
        ConfigStore empty = new ConfigStore(client, ZkTestSupport.newRoot());
        assertThatThrownBy(empty::read).isInstanceOf(ConfigStoreException.class).hasMessageContaining("initialize");
    }

    /**
     * A configuration of 1,000 LUNs is some 2,600 znodes. Read one request at a time, each costs a round trip:
     * behind 10 ms of latency per hop that is about 50 s (and on loopback, with eight gateways re-reading after
     * every change, seconds per change). Pipelined it is a few round trips.
     */
    @Test
    void aLargeConfigurationIsReadInAFewRoundTripsNotOnePerZnode() throws Exception {
        List<ConfigChange> changes = new ArrayList<>();
        for (int t = 0; t < 100; t++) {
            String iqn = String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.test:t%03d", t);
            changes.add(new ConfigChange.PutTarget(Target.of(iqn)));
            for (int l = 0; l < 10; l++) {
                String image = String.format(Locale.ROOT, "t%03d-d%02d", t, l);
                changes.add(new ConfigChange.PutDisk(disk(image)));
                changes.add(new ConfigChange.PutLun(new Lun(iqn, l, "rbd/" + image)));
            }
            changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, "iqn.2026-12.io.rbdgw.host:h" + t + "a")));
            changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, "iqn.2026-12.io.rbdgw.host:h" + t + "b")));
        }
        store.apply(0, changes);
        ClusterConfig expected = store.read();
        assertThat(expected.luns()).hasSize(1000);

        try (PausableProxy proxy = new PausableProxy(new InetSocketAddress("127.0.0.1", server.getPort()))) {
            CuratorFramework far = ZkTestSupport.client(proxy.connectString());
            try {
                ConfigStore remote = new ConfigStore(far, store.layout().root());
                assertThat(remote.epoch()).isEqualTo(1); // connected before the latency starts
                proxy.delay(10);
                ClusterConfig read = assertTimeoutPreemptively(Duration.ofSeconds(15), remote::read);
                assertThat(read).isEqualTo(expected);
            } finally {
                far.close();
            }
        }
    }
}
