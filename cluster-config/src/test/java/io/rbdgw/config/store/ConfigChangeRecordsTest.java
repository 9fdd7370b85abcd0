package io.rbdgw.config.store;

import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.Fixtures;
import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.watch.ConfigWatcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Change records ({@code config/changes/<epoch>}) and the incremental reads they allow: what a reader patches
 * together from them must always be what a whole read returns, and it must fall back to a whole read whenever a
 * record is missing.
 */
class ConfigChangeRecordsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String[] TARGETS = {Fixtures.T1, Fixtures.T2, "iqn.2003-01.io.rbdgw:t3"};
    private static final String[] HOSTS = {Fixtures.ESX1, Fixtures.ESX2, Fixtures.WIN};
    /** Znodes a watcher may read for a provisioning batch of 608 znodes (measured: 588; a whole read: 9,735). */
    private static final long BATCH_READ_BOUND = 650;
    /** Znodes a watcher may read for a commit re-pointing 4,096 LUNs (measured: 4,349; a whole read: 9,735). */
    private static final long BULK_READ_BOUND = 4400;

    private TestingServer server;
    private CuratorFramework admin;
    private CuratorFramework gateway;
    private String root;
    private ConfigStore store;

    @BeforeEach
    void setUp() throws Exception {
        server = ZkTestSupport.server();
        admin = ZkTestSupport.client(server.getConnectString());
        gateway = ZkTestSupport.client(server.getConnectString());
        root = ZkTestSupport.newRoot();
        store = new ConfigStore(admin, root);
        store.initialize();
    }

    @AfterEach
    void tearDown() throws Exception {
        gateway.close();
        admin.close();
        server.close();
    }

    /** A whole read by a store that never read before: the reference. */
    private ClusterConfig wholeRead() {
        return new ConfigStore(admin, root).read();
    }

    @Test
    void watchersPatchingTheirSnapshotsFromTheRecordsAlwaysEqualAWholeRead() throws Exception {
        ConfigStore gatewayStore = new ConfigStore(gateway, root);
        ConfigStore lagging = new ConfigStore(admin, root);
        // a connection that drops and comes back (a 2-core host at load 30 did it once) rightly costs a whole read
        AtomicInteger reconnects = new AtomicInteger();
        gateway.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.RECONNECTED) {
                reconnects.incrementAndGet();
            }
        });
        try (ConfigWatcher watcher = new ConfigWatcher(gatewayStore)) {
            watcher.start();
            watcher.awaitEpoch(0, WAIT);
            Random random = new Random(20261205L);
            ClusterConfig behind = lagging.read();
            int commits = 0;
            Map<String, Integer> forms = new TreeMap<>();
            for (int i = 0; i < 400; i++) {
                List<ConfigChange> changes = new ArrayList<>();
                int n = 1 + random.nextInt(3);
                ClusterConfig now = store.readSince(behind);
                if (random.nextInt(8) == 0) {
                    changes.addAll(bulkChange(random, now)); // a provisioning batch or the like
                }
                for (int k = 0; k < n; k++) {
                    changes.add(randomChange(random, now));
                }
                long before = store.epoch();
                long after;
                try {
                    after = store.apply(before, changes);
                } catch (IllegalArgumentException | NoSuchElementException invalid) {
                    continue; // refused as a whole: nothing written
                }
                if (after == before) {
                    continue;
                }
                commits++;
                forms.merge(form(record(after)), 1, Integer::sum);
                ClusterConfig expected = wholeRead();
                assertThat(expected.epoch()).isEqualTo(after);
                assertThat(watcher.awaitEpoch(after, WAIT)).isEqualTo(expected);
                if (random.nextInt(4) == 0) { // a reader that catches up over several epochs at once
                    behind = lagging.readSince(behind);
                    assertThat(behind).isEqualTo(expected);
                }
            }
            assertThat(commits).isGreaterThan(100);
            assertThat(forms)
                    .as("bulk commits are recorded in the bounded form, with and without subtrees; never everything")
                    .containsKeys("listed", "bounded", "bounded-with-subtrees")
                    .doesNotContainKey("everything");
            ConfigStore.ReadStats stats = gatewayStore.readStats();
            assertThat(stats.fullReads())
                    .as(
                            "only the first read (and one per reconnection: %d) reads everything, bulk commits included: %s",
                            reconnects.get(), forms)
                    .isEqualTo(1 + reconnects.get());
            assertThat(stats.deltaReads()).isGreaterThan(0);
            assertThat(admin.getChildren().forPath(store.layout().changes()))
                    .as("the oldest records are pruned")
                    .hasSizeLessThanOrEqualTo(ConfigStore.KEEP_CHANGES);
        }
    }

    /**
     * A change of some 300-600 znodes, over the limit of the listed form: a bulk target with its LUNs, disks and a
     * client; its deletion; all of its LUNs re-pointed; a batch of disks put or deleted.
     */
    private static List<ConfigChange> bulkChange(Random r, ClusterConfig c) {
        int k = r.nextInt(2);
        String iqn = "iqn.2003-01.io.rbdgw:bulk" + k;
        int luns = 300;
        List<ConfigChange> changes = new ArrayList<>();
        switch (r.nextInt(5)) {
            case 0 -> {
                changes.add(new ConfigChange.PutTarget(Target.of(iqn)));
                for (int l = 0; l < luns; l++) {
                    String image = String.format(Locale.ROOT, "bt%d-%03d", k, l);
                    changes.add(new ConfigChange.PutDisk(disk(image)));
                    changes.add(new ConfigChange.PutLun(new Lun(iqn, l, "rbd/" + image)));
                }
                changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, HOSTS[r.nextInt(HOSTS.length)])));
            }
            case 1 -> changes.add(new ConfigChange.DeleteTarget(iqn));
            case 2 -> {
                int shift = 1 + r.nextInt(luns - 1);
                for (Lun l : c.luns()) {
                    if (l.target().equals(iqn)) {
                        String image = String.format(Locale.ROOT, "bt%d-%03d", k, (l.number() + shift) % luns);
                        changes.add(new ConfigChange.PutLun(new Lun(iqn, l.number(), "rbd/" + image)));
                    }
                }
            }
            case 3 -> {
                long size = (1L + r.nextInt(4)) << 30;
                for (int i = 0; i < 400; i++) {
                    changes.add(new ConfigChange.PutDisk(Disk.rbd("rbd", "bulk" + k + "-" + i, size)));
                }
            }
            default -> {
                for (Disk d : c.disks()) {
                    if (d.image().startsWith("bulk" + k + "-")) {
                        changes.add(new ConfigChange.DeleteDisk(d.id()));
                    }
                }
            }
        }
        return changes;
    }

    private ChangeRecord record(long epoch) throws Exception {
        return new Documents()
                .read(
                        store.layout().change(epoch),
                        admin.getData().forPath(store.layout().change(epoch)),
                        ChangeRecord.class)
                .value();
    }

    private static String form(ChangeRecord r) {
        if (r.boundedForm()) {
            return r.under().isEmpty() ? "bounded" : "bounded-with-subtrees";
        }
        return r.all() ? "everything" : "listed";
    }

    private static ConfigChange randomChange(Random r, ClusterConfig c) {
        String iqn = TARGETS[r.nextInt(TARGETS.length)];
        String host = HOSTS[r.nextInt(HOSTS.length)];
        String image = "img" + r.nextInt(6);
        return switch (r.nextInt(14)) {
            case 0, 1 ->
                new ConfigChange.PutTarget(new Target(
                        iqn,
                        r.nextBoolean() ? null : "alias" + r.nextInt(5),
                        r.nextBoolean(),
                        Authentication.NONE,
                        null));
            case 2 -> new ConfigChange.DeleteTarget(iqn);
            case 3, 4 -> new ConfigChange.PutDisk(r.nextBoolean() ? disk(image) : Disk.rbd("rbd", image, 2L << 30));
            case 5 -> new ConfigChange.DeleteDisk("rbd/" + image);
            case 6, 7 -> new ConfigChange.PutLun(new Lun(iqn, r.nextInt(4), "rbd/" + image));
            case 8 -> new ConfigChange.DeleteLun(iqn, r.nextInt(4));
            case 9 ->
                new ConfigChange.PutClient(
                        r.nextBoolean()
                                ? Client.allLuns(iqn, host)
                                : Client.withLuns(iqn, host, Set.of(r.nextInt(4)))
                                        .withAuth(Authentication.chap(new ChapCredentials(
                                                "chapuser" + r.nextInt(3), "secretsecret" + r.nextInt(3)))));
            case 10 -> new ConfigChange.DeleteClient(iqn, host);
            case 11 ->
                new ConfigChange.PutHostGroup(
                        HostGroup.of(iqn, "hg" + r.nextInt(2), Set.of(host), Set.of("rbd/" + image)));
            case 12 ->
                new ConfigChange.PutGateway(
                        Fixtures.gateway("gw-" + r.nextInt(3), 1 + r.nextInt(3), "10.0.0." + (1 + r.nextInt(9))));
            default ->
                new ConfigChange.PutSettings(
                        c.settings().with(Setting.CMDSN_DEPTH, Integer.toString(16 + r.nextInt(100))));
        };
    }

    @Test
    void aChangeAtThousandsOfLunsReadsOnlyTheZnodesItWrote() {
        // 128 targets x 16 LUNs and their disks, two clients each: some 5,000 znodes
        int batch = 16;
        for (int first = 0; first < 128; first += batch) {
            List<ConfigChange> changes = new ArrayList<>();
            for (int t = first; t < first + batch; t++) {
                String iqn = String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.test:t%03d", t);
                changes.add(new ConfigChange.PutTarget(Target.of(iqn)));
                for (int l = 0; l < 16; l++) {
                    String image = String.format(Locale.ROOT, "t%03d-d%02d", t, l);
                    changes.add(new ConfigChange.PutDisk(disk(image)));
                    changes.add(new ConfigChange.PutLun(new Lun(iqn, l, "rbd/" + image)));
                }
                changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, "iqn.2026-12.io.rbdgw.host:h" + t + "a")));
                changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, "iqn.2026-12.io.rbdgw.host:h" + t + "b")));
            }
            store.update(c -> changes, 3);
        }
        ConfigStore reader = new ConfigStore(gateway, root);
        ClusterConfig base = reader.read();
        assertThat(base.luns()).hasSize(2048);
        long wholeRead = reader.readStats().znodesRead();
        assertThat(wholeRead).isGreaterThan(4000);

        String iqn = "iqn.2026-12.io.rbdgw.test:t042";
        ConfigStore.ReadStats writerBefore = store.readStats();
        long epoch = store.update(
                c -> List.of(new ConfigChange.PutTarget(new Target(iqn, "renamed", true, Authentication.NONE, null))),
                3);

        // the writer starts from what it committed last: it reads the epoch, not the configuration (once, not twice)
        ConfigStore.ReadStats writerAfter = store.readStats();
        assertThat(writerAfter.fullReads()).isEqualTo(writerBefore.fullReads());
        assertThat(writerAfter.znodesRead() - writerBefore.znodesRead()).isLessThanOrEqualTo(1);

        ClusterConfig next = reader.readSince(base);
        assertThat(next.epoch()).isEqualTo(epoch);
        assertThat(next.target(iqn).orElseThrow().alias()).isEqualTo("renamed");
        assertThat(next).isEqualTo(wholeRead());
        // the epoch (twice), the schema, one record, the target
        assertThat(reader.readStats().znodesRead() - wholeRead).isLessThanOrEqualTo(5);
        assertThat(reader.readStats().fullReads()).isEqualTo(1);
    }

    @Test
    void aCommitWithoutARecordAsAnOlderWriterMakesItMakesReadersReadEverything() throws Exception {
        ConfigStore reader = new ConfigStore(gateway, root);
        long e = store.apply(0, Fixtures.basicTarget());
        ClusterConfig base = reader.read();
        assertThat(base.epoch()).isEqualTo(e);

        // what a gateway or admin API of the previous version commits: the documents and the epoch, no record
        ZkLayout l = store.layout();
        admin.transaction()
                .forOperations(
                        admin.transactionOp()
                                .setData()
                                .withVersion((int) e)
                                .forPath(l.epoch(), ("{\"epoch\":" + (e + 1) + "}").getBytes(StandardCharsets.UTF_8)),
                        admin.transactionOp()
                                .setData()
                                .forPath(
                                        l.target(Fixtures.T1),
                                        ("{\"iqn\":\"" + Fixtures.T1 + "\",\"alias\":\"by-old-writer\"}")
                                                .getBytes(StandardCharsets.UTF_8)));
        // and a newer writer after it, whose record alone would miss the old writer's change
        long e2 = store.update(c -> List.of(new ConfigChange.PutDisk(disk("after-old"))), 3);
        assertThat(e2).isEqualTo(e + 2);

        ClusterConfig next = reader.readSince(base);
        assertThat(next).isEqualTo(wholeRead());
        assertThat(next.target(Fixtures.T1).orElseThrow().alias()).isEqualTo("by-old-writer");
        assertThat(reader.readStats().fullReads()).isEqualTo(2);
        assertThat(reader.readStats().deltaReads()).isZero();
    }

    @Test
    void anUnreadableChangeRecordMakesReadersReadEverythingInsteadOfFailing() throws Exception {
        ConfigStore reader = new ConfigStore(gateway, root);
        long e = store.apply(0, Fixtures.basicTarget());
        ClusterConfig base = reader.read();
        long e2 = store.update(c -> List.of(new ConfigChange.PutDisk(disk("after-garbage"))), 3);
        assertThat(e2).isEqualTo(e + 1);
        // a record overwritten around the store (a careless admin with ZooKeeper credentials)
        admin.setData().forPath(store.layout().change(e2), "not json".getBytes(StandardCharsets.UTF_8));

        ClusterConfig next = reader.readSince(base);
        assertThat(next).isEqualTo(wholeRead());
        assertThat(next.disk(disk("after-garbage").id())).isPresent();
        assertThat(reader.readStats().fullReads()).isEqualTo(2);
        assertThat(reader.readStats().deltaReads()).isZero();
    }

    /**
     * A record naming paths that are no configuration document (a relative segment, an empty one, a subtree
     * outside the layout) is not followed: the reader reads everything, as for an unreadable record.
     */
    @Test
    void aChangeRecordNamingPathsOutsideTheConfigurationMakesReadersReadEverything() throws Exception {
        ConfigStore reader = new ConfigStore(gateway, root);
        store.apply(0, Fixtures.basicTarget());
        List<ChangeRecord> hostile = List.of(
                ChangeRecord.bounded(0, List.of("targets/.."), List.of()),
                ChangeRecord.bounded(0, List.of(), List.of("..")),
                ChangeRecord.bounded(0, List.of(), List.of("changes")),
                ChangeRecord.listed(0, List.of("disks//x"), List.of(), List.of()),
                ChangeRecord.listed(0, List.of(), List.of(""), List.of()));
        long fullReads = 0;
        for (ChangeRecord r : hostile) {
            ClusterConfig base = reader.read();
            fullReads++;
            long e = store.update(c -> List.of(new ConfigChange.PutDisk(disk("d-" + System.nanoTime()))), 3);
            ChangeRecord written =
                    new ChangeRecord(e, r.all(), r.created(), r.changed(), r.deleted(), r.paths(), r.under());
            admin.setData().forPath(store.layout().change(e), new Documents().write(written));

            ClusterConfig next = reader.readSince(base);
            fullReads++;
            assertThat(next).as("after a record %s", r).isEqualTo(wholeRead());
            assertThat(reader.readStats().fullReads())
                    .as("after a record %s", r)
                    .isEqualTo(fullReads);
        }
        assertThat(reader.readStats().deltaReads()).isZero();
    }

    /** A change record as a reader of the previous version parses it: it knew only these fields. */
    record PreviousChangeRecord(
            long epoch, boolean all, List<String> created, List<String> changed, List<String> deleted) {}

    private PreviousChangeRecord previousRecord(long epoch) throws Exception {
        return new Documents()
                .read(
                        store.layout().change(epoch),
                        admin.getData().forPath(store.layout().change(epoch)),
                        PreviousChangeRecord.class)
                .value();
    }

    @Test
    void aBulkCommitIsReadIncrementallyWhileAReaderOfThePreviousVersionReadsItWhole() throws Exception {
        ConfigStore reader = new ConfigStore(gateway, root);
        ClusterConfig base = reader.read();
        List<ConfigChange> bulk = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            bulk.add(new ConfigChange.PutDisk(disk(String.format(Locale.ROOT, "bulk-%04d", i))));
        }
        long e = store.apply(0, bulk);
        assertThat(record(e).boundedForm()).isTrue();
        // the previous version ignores the fields it does not know and sees "everything": it reads it whole, as it
        // read every bulk commit before
        assertThat(previousRecord(e).all()).isTrue();

        ClusterConfig next = reader.readSince(base);
        assertThat(next).isEqualTo(wholeRead());
        assertThat(next.disks()).hasSize(1000);
        assertThat(reader.readStats().fullReads()).isEqualTo(1);
        assertThat(reader.readStats().deltaReads()).isEqualTo(1);

        // a small change is listed leaf by leaf, the form the previous version reads incrementally
        long e2 = store.apply(e, new ConfigChange.PutDisk(disk("small")));
        assertThat(e2).isEqualTo(e + 1);
        PreviousChangeRecord small = previousRecord(e2);
        assertThat(small.all()).isFalse();
        assertThat(small.created()).hasSize(1);
        assertThat(reader.readSince(next)).isEqualTo(wholeRead());
        assertThat(reader.readStats().deltaReads()).isEqualTo(2);
    }

    @Test
    void anEverythingRecordAsThePreviousVersionWroteForBulkCommitsMakesReadersReadEverything() throws Exception {
        ConfigStore reader = new ConfigStore(gateway, root);
        ClusterConfig base = reader.read();
        long e = store.apply(0, new ConfigChange.PutDisk(disk("by-previous-writer")));
        admin.setData()
                .forPath(
                        store.layout().change(e),
                        new Documents().write(new PreviousChangeRecord(e, true, List.of(), List.of(), List.of())));

        ClusterConfig next = reader.readSince(base);
        assertThat(next).isEqualTo(wholeRead());
        assertThat(next.disk(disk("by-previous-writer").id())).isPresent();
        assertThat(reader.readStats().fullReads()).isEqualTo(2);
        assertThat(reader.readStats().deltaReads()).isZero();
    }

    @Test
    void aBulkCommitOf4096LunsMakesAWatcherReadWhatItChangedInsteadOfEverything() throws Exception {
        ConfigStore gatewayStore = new ConfigStore(gateway, root);
        try (ConfigWatcher watcher = new ConfigWatcher(gatewayStore)) {
            watcher.start();
            watcher.awaitEpoch(0, WAIT);
            // provisioning as bench/scale.sh does it: 256 targets x 16 LUNs with their disks and two clients each,
            // 16 targets (608 znodes) per commit
            List<Long> perBatch = new ArrayList<>();
            for (int first = 0; first < 256; first += 16) {
                List<ConfigChange> changes = new ArrayList<>();
                for (int t = first; t < first + 16; t++) {
                    String iqn = bulkIqn(t);
                    changes.add(new ConfigChange.PutTarget(Target.of(iqn)));
                    for (int l = 0; l < 16; l++) {
                        changes.add(new ConfigChange.PutDisk(disk(bulkImage(t, l))));
                        changes.add(new ConfigChange.PutLun(new Lun(iqn, l, "rbd/" + bulkImage(t, l))));
                    }
                    changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, HOSTS[0])));
                    changes.add(new ConfigChange.PutClient(Client.allLuns(iqn, HOSTS[1])));
                }
                long read = gatewayStore.readStats().znodesRead();
                long e = store.update(c -> changes, 3);
                assertThat(record(e).boundedForm()).isTrue();
                watcher.awaitEpoch(e, WAIT);
                perBatch.add(gatewayStore.readStats().znodesRead() - read);
            }
            ClusterConfig provisioned = wholeRead();
            assertThat(provisioned.luns()).hasSize(4096);
            assertThat(watcher.current()).contains(provisioned);
            ConfigStore whole = new ConfigStore(admin, root);
            whole.read();
            long wholeRead = whole.readStats().znodesRead();

            // one commit re-pointing every one of the 4096 LUNs to another of its target's disks
            long read = gatewayStore.readStats().znodesRead();
            long e = store.update(
                    c -> c.luns().stream()
                            .<ConfigChange>map(l -> new ConfigChange.PutLun(new Lun(
                                    l.target(),
                                    l.number(),
                                    "rbd/"
                                            + bulkImage(
                                                    Integer.parseInt(l.target()
                                                            .substring(
                                                                    l.target().length() - 3)),
                                                    (l.number() + 1) % 16))))
                            .toList(),
                    3);
            ChangeRecord bulk = record(e);
            ClusterConfig after = watcher.awaitEpoch(e, WAIT);
            long bulkRead = gatewayStore.readStats().znodesRead() - read;
            System.out.printf(
                    Locale.ROOT,
                    "znodes read by the watcher: per provisioning batch %s; for the 4096-LUN commit %d (record: %d"
                            + " paths, %d subtrees); a whole read: %d%n",
                    perBatch,
                    bulkRead,
                    bulk.paths().size(),
                    bulk.under().size(),
                    wholeRead);

            assertThat(after).isEqualTo(wholeRead());
            assertThat(gatewayStore.readStats().fullReads())
                    .as("only the first read reads everything")
                    .isEqualTo(1);
            assertThat(wholeRead).isGreaterThan(9000);
            // per batch: the epoch, the record, the new targets (named as subtrees or leaf by leaf), the 256 new disks
            assertThat(perBatch).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(BATCH_READ_BOUND));
            // the record, the 256 lists of LUNs and the 4096 LUNs
            assertThat(bulkRead).isLessThanOrEqualTo(BULK_READ_BOUND);
            assertThat(admin.checkExists().forPath(store.layout().change(e)).getDataLength())
                    .as("the record stays bounded")
                    .isLessThan(20 * 1024);
        }
    }

    private static String bulkIqn(int t) {
        return String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.test:t%03d", t);
    }

    private static String bulkImage(int t, int l) {
        return String.format(Locale.ROOT, "t%03d-d%02d", t, l);
    }

    @Test
    void aReaderBehindThePrunedRecordsReadsEverything() {
        ConfigStore reader = new ConfigStore(gateway, root);
        ClusterConfig base = reader.read();
        long e = 0;
        for (int i = 0; i <= ConfigStore.KEEP_CHANGES; i++) {
            e = store.apply(e, new ConfigChange.PutDisk(disk("d" + i)));
        }
        ClusterConfig next = reader.readSince(base);
        assertThat(next).isEqualTo(wholeRead());
        assertThat(next.disks()).hasSize(ConfigStore.KEEP_CHANGES + 1);
        assertThat(reader.readStats().fullReads()).isEqualTo(2);
        assertThat(reader.readStats().deltaReads()).isZero();
    }

    @Test
    void aWatcherReadsEverythingOnceAfterItsSessionExpired() throws Exception {
        ConfigStore gatewayStore = new ConfigStore(gateway, root);
        try (ConfigWatcher watcher = new ConfigWatcher(gatewayStore)) {
            watcher.start();
            long e = store.apply(0, Fixtures.basicTarget());
            watcher.awaitEpoch(e, WAIT);
            e = store.apply(e, new ConfigChange.PutDisk(disk("incremental")));
            watcher.awaitEpoch(e, WAIT);
            assertThat(gatewayStore.readStats().deltaReads()).isGreaterThan(0);
            long full = gatewayStore.readStats().fullReads();

            long session = gateway.getZookeeperClient().getZooKeeper().getSessionId();
            KillSession.kill(gateway.getZookeeperClient().getZooKeeper());
            await().atMost(WAIT)
                    .until(() -> watcher.isConnected()
                            && gateway.getZookeeperClient().getZooKeeper().getSessionId() != session);
            long after = store.apply(e, new ConfigChange.PutDisk(disk("after-expiry")));

            assertThat(watcher.awaitEpoch(after, WAIT)).isEqualTo(wholeRead());
            assertThat(gatewayStore.readStats().fullReads()).isEqualTo(full + 1);
        }
    }
}
