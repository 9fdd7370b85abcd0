package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connection, image lifecycle, errors and fencing against a real Ceph cluster. */
class RbdClusterIT {

    private static final int MIB = 1 << 20;

    private static RbdImages images;

    @TempDir
    Path tmp;

    @BeforeAll
    static void connect() throws Exception {
        images = TestCeph.cluster().images(TestCeph.POOL);
    }

    private static ByteBuffer read(RbdBlockDevice dev, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocateDirect(length);
        Done done = new Done();
        dev.read(offset, dst, done);
        assertThat(done.success()).isEqualTo(length);
        return dst;
    }

    private static void write(RbdBlockDevice dev, long offset, ByteBuffer data) {
        Done done = new Done();
        dev.write(offset, data.duplicate(), false, done);
        assertThat(done.success()).isEqualTo(data.remaining());
    }

    /** A 20 GiB sparse image with a few written objects: the delete reports increasing progress that ends at 100. */
    @Test
    void deleteOfALargeSparseImageReportsIncreasingProgressEndingAt100() throws Exception {
        String name = TestCeph.uniqueName("sparse-del");
        long size = 20L << 30;
        images.create(name, size, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try (RbdBlockDevice dev = images.open(name)) {
            for (long at : new long[] {0, 5L << 30, 13L << 30, size - MIB}) {
                write(dev, at, TestCeph.random(MIB, at));
            }
        }
        List<Integer> seen = new CopyOnWriteArrayList<>();
        images.delete(name, seen::add);
        assertThat(images.exists(name)).isFalse();
        assertThat(seen).as("progress reported").hasSizeGreaterThan(2).endsWith(100);
        assertThat(seen).isSortedAccordingTo(Integer::compare).doesNotHaveDuplicates();
        assertThat(seen).anyMatch(p -> p > 0 && p < 100);
        assertThatThrownBy(() -> images.delete(name, p -> {}))
                .isInstanceOfSatisfying(
                        CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.NOT_FOUND));
    }

    @Test
    void aRollbackReportsIncreasingProgressEndingAt100AndRestoresTheSnapshot() throws Exception {
        String name = TestCeph.uniqueName("rollback");
        images.create(name, 256L * MIB, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try {
            ByteBuffer before = TestCeph.random(MIB, 1);
            try (RbdBlockDevice dev = images.open(name)) {
                write(dev, 8 * MIB, before);
            }
            images.createSnapshot(name, "s1");
            try (RbdBlockDevice dev = images.open(name)) {
                write(dev, 8 * MIB, TestCeph.random(MIB, 2));
            }
            List<Integer> seen = new CopyOnWriteArrayList<>();
            images.rollbackSnapshot(name, "s1", seen::add);
            assertThat(seen).as("progress reported").isNotEmpty().endsWith(100);
            assertThat(seen).isSortedAccordingTo(Integer::compare).doesNotHaveDuplicates();
            try (RbdBlockDevice dev = images.open(name)) {
                assertThat(read(dev, 8 * MIB, MIB)).isEqualTo(before.rewind());
            }
            assertThatThrownBy(() -> images.rollbackSnapshot(name, "no-such-snapshot", p -> {}))
                    .isInstanceOf(CephException.class);
        } finally {
            images.deleteSnapshot(name, "s1");
            images.delete(name);
        }
    }

    @Test
    void clusterReportsItsClientAddressAndId() throws Exception {
        RbdCluster cluster = TestCeph.cluster();
        assertThat(cluster.clientAddress()).matches("(v2:)?127\\.0\\.0\\.1:\\d+/\\d+");
        assertThat(cluster.instanceId()).isPositive();
    }

    /** What {@code ceph -s} and {@code ceph service dump} show of a gateway: its daemon, metadata and status. */
    @Test
    void aRegisteredGatewayAppearsInCephsServiceMapWithItsMetadataAndStatus() throws Exception {
        String daemon = TestCeph.uniqueName("gw");
        try (RbdCluster own = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf())) {
            own.registerService("rbdgw", daemon, Map.of("portals", "127.0.0.1:3260", "zk_root", "/rbdgw"));
            own.updateServiceStatus(Map.of("sessions", "3", "epoch", "17"));
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        String dump = TestCeph.cli("ceph", "service", "dump", "-f", "json");
                        assertThat(dump)
                                .contains("\"rbdgw\"")
                                .contains("\"" + daemon + "\"")
                                .contains("\"portals\":\"127.0.0.1:3260\"");
                        assertThat(TestCeph.cli("ceph", "service", "status", "-f", "json"))
                                .contains("\"" + daemon + "\"")
                                .contains("\"sessions\":\"3\"");
                    });
            assertThat(TestCeph.cli("ceph", "-s")).contains("rbdgw");
            assertThatThrownBy(() -> own.registerService("rbdgw", daemon, Map.of()))
                    .as("once per connection")
                    .isInstanceOf(CephException.class);
        }
        assertThatThrownBy(() -> RbdCluster.encode(Map.of("", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(RbdCluster.encode(Map.of("k", "v"))).containsExactly('k', 0, 'v', 0, 0);
    }

    @Test
    void connectionRunsWithTheGatewaysLibrbdSettings() throws Exception {
        RbdCluster cluster = TestCeph.cluster();
        assertThat(cluster.confGet("rbd_cache")).isEqualTo("false");
        assertThat(cluster.confGet("rbd_non_blocking_aio")).isEqualTo("false");
        assertThat(cluster.confGet("rbd_disable_zero_copy_writes")).isEqualTo("true");
        assertThat(cluster.confGet("objecter_inflight_ops")).isEqualTo("0");
        assertThat(cluster.confGet("objecter_inflight_op_bytes")).isEqualTo("0");
        assertThat(cluster.confGet("librados_thread_count")).isEqualTo("1");
    }

    @Test
    void systemPropertiesSetCephOptionsButNotTheCacheSetting() throws Exception {
        System.setProperty("rbdgw.ceph.rbd_non_blocking_aio", "true");
        System.setProperty("rbdgw.ceph.rbd_cache", "true");
        try (RbdCluster c = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf())) {
            assertThat(c.confGet("rbd_non_blocking_aio")).isEqualTo("true");
            assertThat(c.confGet("rbd_cache")).isEqualTo("false");
        } finally {
            System.clearProperty("rbdgw.ceph.rbd_non_blocking_aio");
            System.clearProperty("rbdgw.ceph.rbd_cache");
        }
    }

    @Test
    void imageLifecycleWithSnapshots() throws Exception {
        String name = TestCeph.uniqueName("it-life");
        images.create(name, 8L * MIB, RbdImages.DEFAULT_FEATURES, 20);
        try {
            assertThat(images.list()).contains(name);
            assertThat(images.size(name)).isEqualTo(8L * MIB);
            assertThatThrownBy(() -> images.create(name, MIB))
                    .isInstanceOfSatisfying(
                            CephException.class,
                            e -> assertThat(e.reason()).isEqualTo(CephException.Reason.ALREADY_EXISTS));

            ByteBuffer first = TestCeph.random(8192, 1);
            String identity;
            try (RbdBlockDevice dev = images.open(name)) {
                assertThat(dev.info().optimalTransferBytes()).isEqualTo(MIB);
                identity = dev.info().identity();
                write(dev, MIB, first);
            }
            images.createSnapshot(name, "s1");
            assertThat(images.listSnapshots(name))
                    .extracting(RbdImages.Snapshot::name)
                    .containsExactly("s1");
            assertThat(images.listSnapshots(name).get(0).sizeBytes()).isEqualTo(8L * MIB);

            try (RbdBlockDevice dev = images.open(name)) {
                write(dev, MIB, TestCeph.random(8192, 2));
            }
            images.rollbackSnapshot(name, "s1");
            try (RbdBlockDevice dev = images.open(name)) {
                assertThat(read(dev, MIB, 8192)).as("rolled back").isEqualTo(first);
            }
            assertThatThrownBy(() -> images.delete(name))
                    .as("image with snapshots")
                    .isInstanceOf(CephException.class);
            images.deleteSnapshot(name, "s1");
            assertThat(images.listSnapshots(name)).isEmpty();

            images.resize(name, 12L * MIB);
            assertThat(images.size(name)).isEqualTo(12L * MIB);

            String renamed = name + "-renamed";
            images.rename(name, renamed);
            try (RbdBlockDevice dev = images.open(renamed)) {
                assertThat(dev.info().identity())
                        .as("identity survives a rename")
                        .isEqualTo(identity);
            }
            images.rename(renamed, name);
        } finally {
            images.delete(name);
        }
        assertThat(images.list()).doesNotContain(name);
        assertThatThrownBy(() -> images.open(name))
                .isInstanceOfSatisfying(
                        CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.NOT_FOUND));
    }

    @Test
    void missingImageIsNotFound() {
        assertThatThrownBy(() -> images.open("no-such-image-" + System.nanoTime()))
                .isInstanceOfSatisfying(CephException.class, e -> {
                    assertThat(e.reason()).isEqualTo(CephException.Reason.NOT_FOUND);
                    assertThat(e.getMessage()).contains("no-such-image").contains("ENOENT");
                });
        assertThatThrownBy(() -> images.size("no-such-image"))
                .isInstanceOfSatisfying(
                        CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.NOT_FOUND));
    }

    @Test
    void missingPoolIsNotFound() {
        assertThatThrownBy(() -> TestCeph.cluster().images("no-such-pool"))
                .isInstanceOfSatisfying(
                        CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.NOT_FOUND));
    }

    @Test
    void clientWithoutPoolCapsIsDenied() throws Exception {
        String name = TestCeph.uniqueName("it-perm");
        images.create(name, 4L * MIB);
        String user = "rbdgw-it-noperm";
        Path keyring = tmp.resolve("noperm.keyring");
        TestCeph.cli(
                "ceph",
                "auth",
                "get-or-create",
                "client." + user,
                "mon",
                "profile rbd",
                "osd",
                "profile rbd pool=some-other-pool",
                "-o",
                keyring.toString());
        try (RbdCluster restricted =
                RbdCluster.connect(RbdCluster.Options.of(user, TestCeph.conf()).withKeyring(keyring))) {
            assertThatThrownBy(() -> restricted.images(TestCeph.POOL).open(name))
                    .isInstanceOfSatisfying(CephException.class, e -> {
                        assertThat(e.reason()).isEqualTo(CephException.Reason.PERMISSION_DENIED);
                        assertThat(e.getMessage()).contains("client." + user);
                    });
        } finally {
            images.delete(name);
            TestCeph.cli("ceph", "auth", "del", "client." + user);
        }
    }

    @Test
    void wrongKeyIsDenied() throws Exception {
        Path keyring = tmp.resolve("wrong.keyring");
        Files.writeString(
                keyring,
                "[client." + TestCeph.CLIENT_ID + "]\n\tkey = AQBxFKhlAAAAABAAm6Uo5dgPDvXDhrMP6uMsOA==\n",
                StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RbdCluster.connect(RbdCluster.Options.of(TestCeph.CLIENT_ID, TestCeph.conf())
                        .withKeyring(keyring)
                        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10))))
                .isInstanceOfSatisfying(
                        CephException.class,
                        e -> assertThat(e.reason())
                                .isIn(CephException.Reason.PERMISSION_DENIED, CephException.Reason.UNREACHABLE));
        System.out.printf("wrong key rejected after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void unreachableClusterFailsWithinTheTimeout() throws Exception {
        Path conf = tmp.resolve("dead.conf");
        // a loopback port nobody listens on
        Files.writeString(
                conf,
                "[global]\nmon host = [v2:127.0.0.1:9,v1:127.0.0.1:7]\n" + "auth client required = cephx\nkeyring = "
                        + keyringOfTestUser() + "\n",
                StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RbdCluster.connect(RbdCluster.Options.of(TestCeph.CLIENT_ID, conf)
                        .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(10))))
                .isInstanceOfSatisfying(
                        CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.UNREACHABLE));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("unreachable cluster reported after %d ms%n", millis);
        assertThat(millis).isLessThan(10_000);
    }

    private static Path keyringOfTestUser() {
        return TestCeph.conf().resolveSibling("ceph.client." + TestCeph.CLIENT_ID + ".keyring");
    }

    @Test
    void blocklistedClientIsFenced() throws Exception {
        String name = TestCeph.uniqueName("it-fence");
        images.create(name, 4L * MIB);
        RbdCluster victim = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf());
        RbdBlockDevice dev = victim.images(TestCeph.POOL).open(name);
        String address = victim.clientAddress();
        try {
            write(dev, 0, TestCeph.random(4096, 5));
            TestCeph.cluster().blocklist(address, 600);

            // the OSD may apply a write or two until it has the new OSD map; then every write fails
            AtomicInteger lateWrites = new AtomicInteger();
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        Done attempt = new Done();
                        dev.write(4096, TestCeph.random(4096, 6), false, attempt);
                        try {
                            return attempt.failure().kind() == Kind.FENCED;
                        } catch (AssertionError succeeded) {
                            lateWrites.incrementAndGet();
                            return false;
                        }
                    });
            System.out.println("writes accepted after blocklist returned: " + lateWrites.get());
            Done fenced = new Done();
            dev.write(8192, TestCeph.random(4096, 6), false, fenced);
            assertThat(fenced.failure().kind()).isEqualTo(Kind.FENCED);
            Done fencedRead = new Done();
            dev.read(0, ByteBuffer.allocateDirect(4096), fencedRead);
            assertThat(fencedRead.failure().kind()).isEqualTo(Kind.FENCED);

            // the fencing client and its images are unaffected
            try (RbdBlockDevice other = images.open(name)) {
                assertThat(read(other, 0, 4096)).isEqualTo(TestCeph.random(4096, 5));
            }
        } finally {
            dev.close();
            victim.close();
            TestCeph.cli("ceph", "osd", "blocklist", "rm", address);
            images.delete(name);
        }
    }

    /**
     * A gateway replaces its fenced client while its ALUA coordinator may be blocklisting someone through it: the
     * close waits for that call, so the call either completes (before the close returns) or fails as closed, never
     * runs into rados_shutdown (which answered ETIMEDOUT, or worse, in a gateway that did not wait).
     */
    @Test
    void closeWaitsForACallInProgressOnAnotherThread() throws Exception {
        List<String> outcomes = new CopyOnWriteArrayList<>();
        for (int round = 0; round < 8; round++) {
            RbdCluster c = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf());
            String nobody = "127.0.0.1:0/" + (4_000_000_000L - round);
            long[] blocklistEnded = new long[1];
            Thread caller = new Thread(() -> {
                String outcome;
                try {
                    c.blocklist(nobody, 60);
                    outcome = "done";
                } catch (CephException e) {
                    outcome = e.getMessage();
                }
                blocklistEnded[0] = System.nanoTime();
                outcomes.add(outcome);
            });
            caller.start();
            Thread.sleep(round * 4L); // from before the call to well inside it
            c.close();
            long closed = System.nanoTime();
            caller.join(30_000);
            assertThat(caller.isAlive()).isFalse();
            String last = outcomes.get(outcomes.size() - 1);
            if (last.equals("done")) {
                assertThat(blocklistEnded[0])
                        .as("the blocklist call ended before close returned")
                        .isLessThan(closed);
            } else {
                assertThat(last).as("round " + round).contains("cluster connection closed");
            }
            TestCeph.cli("ceph", "osd", "blocklist", "rm", nobody);
        }
        System.out.println("blocklist calls racing close: " + outcomes);
        assertThat(outcomes).as("some call was in progress when close came").contains("done");
    }

    @Test
    void explicitExclusiveLockFencesOtherWriters() throws Exception {
        String name = TestCeph.uniqueName("it-lock");
        images.create(name, 4L * MIB);
        RbdCluster second = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf());
        try (RbdBlockDevice owner = images.open(name);
                RbdBlockDevice other = second.images(TestCeph.POOL).open(name)) {
            ExclusiveLocks.acquire(owner);
            assertThat(ExclusiveLocks.isOwner(owner)).isTrue();
            assertThat(ExclusiveLocks.owners(owner)).hasSize(1);

            Done denied = new Done();
            other.write(0, TestCeph.random(4096, 7), false, denied);
            assertThat(denied.failure().kind()).isEqualTo(Kind.FENCED);
            assertThat(ExclusiveLocks.isOwner(other)).isFalse();

            ExclusiveLocks.release(owner);
            Done allowed = new Done();
            other.write(0, TestCeph.random(4096, 7), false, allowed);
            assertThat(allowed.success()).isEqualTo(4096);
        } finally {
            second.close();
            images.delete(name);
        }
    }
}
