package io.rbdgw.it.cluster;

import static io.rbdgw.it.cluster.ClusterFixtures.states;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.alua.WriteToken;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.Cmd;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.TestCluster;
import io.rbdgw.it.ZkConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Losing ZooKeeper alone does not stop I/O: two {@code run} gateways serve an RBD LUN while a host writes and
 * reads through both; ZooKeeper (a TestingServer on a fixed port, restarted on the same data) is stopped first
 * for less than the gateways' session timeout, then for more. Asserts: no command fails, everything written
 * reads back (the only check conditions allowed are the retryable 2A/06 unit attentions sent while the peer's
 * old ZooKeeper session expires and its member node is briefly gone), the gateways re-register, a coordinator leads, the ALUA owner and epoch are unchanged, neither
 * gateway changed or lost its RADOS client (same published address, not on the blocklist), and a configuration
 * change made after the restart is applied by both. The image is created with Ceph's default features: its
 * owner disables exclusive-lock, so alternating writes through both move no lock (no lock owner afterwards).
 */
class ZooKeeperOutageIT {

    static final String IQN = "iqn.2026-11.io.rbdgw:zkout";
    static final String HOST1 = "iqn.1993-08.org.debian:host1";
    static final int SESSION_SECONDS = 4;
    static final int BLOCKS = 8; // 4 KiB writes, sent as immediate data
    static final int SLOTS = 256;
    /** UNIT ATTENTION, ASYMMETRIC ACCESS STATE CHANGED. */
    static final int ALUA_CHANGED = 0x062A06;

    static final int ALUA_TRANSITION = 0x02040A;

    @TempDir
    Path dir;

    ZkConfig zk;
    CuratorFramework client;
    ConfigStore store;
    String image;

    @BeforeEach
    void setUp() throws Exception {
        image = TestCluster.createImage("zkout", "64M");
        // tick 500 ms: the gateways' 4 s session timeout is honoured; the data directory survives stop()
        zk = ZkConfig.restartable(dir.resolve("zk"), 500);
        client = zk.client();
        store = zk.store();
    }

    @AfterEach
    void tearDown() throws Exception {
        zk.close();
        TestCluster.removeImage(image);
    }

    private GatewayProcess start(String name) throws Exception {
        return GatewayProcess.runOnFreePort(
                name,
                dir.resolve(name),
                zk,
                "--retry-interval",
                "1",
                "--alua-settle",
                "1",
                "--zk-session-timeout",
                Integer.toString(SESSION_SECONDS),
                "--ceph-conf",
                TestCluster.conf().toString(),
                "--ceph-id",
                TestCluster.CLIENT_ID,
                "--nop-interval",
                "600",
                "--nop-timeout",
                "600");
    }

    /**
     * gw-a and gw-b (port groups 1 and 2) on the ports they listen on, exporting the RBD {@code disk} as LUN 0 of
     * {@link #IQN} to {@link #HOST1}; returns the epoch of that configuration.
     */
    private long configure(GatewayProcess a, GatewayProcess b, String disk) throws Exception {
        return store.update(
                c -> List.of(
                        new ConfigChange.PutGateway(new Gateway("gw-a", List.of(new Portal("127.0.0.1", a.port())), 1)),
                        new ConfigChange.PutGateway(new Gateway("gw-b", List.of(new Portal("127.0.0.1", b.port())), 2)),
                        new ConfigChange.PutTarget(Target.of(IQN)),
                        new ConfigChange.PutDisk(Disk.rbd(TestCluster.POOL, image, 64 << 20)),
                        new ConfigChange.PutLun(new Lun(IQN, 0, disk)),
                        new ConfigChange.PutClient(Client.allLuns(IQN, HOST1))),
                5);
    }

    private LunOwnership owner(String disk) throws Exception {
        return zk.owner(disk);
    }

    /** The disk's write token record. */
    private WriteToken token(String disk) throws Exception {
        String path = store.layout().writer(disk);
        return new Documents()
                .read(path, client.getData().forPath(path), WriteToken.class)
                .value();
    }

    private Map<String, String> radosAddresses() {
        Map<String, String> out = new java.util.TreeMap<>();
        for (MemberInfo m : new MembershipView(client, store.layout()).members()) {
            out.put(m.name(), m.radosAddress());
        }
        return out;
    }

    /** A host writing and reading its own region of the LUN through one gateway, checking every answer. */
    private static final class Writer extends Thread {
        final TestInitiator host;
        final long base;
        final Map<Long, byte[]> written = new ConcurrentHashMap<>();
        final List<String> errors = new CopyOnWriteArrayList<>();
        final AtomicLong done = new AtomicLong();
        final AtomicLong alua = new AtomicLong();
        final AtomicLong transitions = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean paused = new AtomicBoolean();
        final Random random;

        Writer(String name, TestInitiator host, long base, long seed) {
            super(name);
            this.host = host;
            this.base = base;
            this.random = new Random(seed);
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!stop.get()) {
                    if (paused.get()) {
                        Thread.sleep(5);
                        continue;
                    }
                    long lba = base + (long) random.nextInt(SLOTS) * BLOCKS;
                    byte[] data = new byte[BLOCKS * 512];
                    random.nextBytes(data);
                    host.send(host.command(
                            TestInitiator.rw10(0x2A, lba, BLOCKS),
                            false,
                            true,
                            data.length,
                            Unpooled.wrappedBuffer(data),
                            true));
                    ScsiResponse w = host.expect(ScsiResponse.class, 35000);
                    try {
                        if (w.status() == 2 && TestInitiator.senseKeyAscAscq(w) == ALUA_CHANGED) {
                            alua.incrementAndGet(); // retryable: a multipath host re-reads the states and retries
                            continue;
                        }
                        if (w.status() == 2 && TestInitiator.senseKeyAscAscq(w) == ALUA_TRANSITION) {
                            // retryable: writing through both gateways, the one without the disk's write token
                            // waited for it in vain (it moves at most twice per hold time, and not at all while
                            // ZooKeeper is down); the write did not run
                            transitions.incrementAndGet();
                            continue;
                        }
                        if (w.status() != 0) {
                            errors.add(String.format(
                                    "WRITE at %d: status %d sense %06x",
                                    lba, w.status(), TestInitiator.senseKeyAscAscq(w)));
                            continue;
                        }
                    } finally {
                        w.release();
                    }
                    written.put(lba, data);
                    if (done.incrementAndGet() % 8 == 0) {
                        long check = base + (long) random.nextInt(SLOTS) * BLOCKS;
                        byte[] expected = written.get(check);
                        if (expected != null && !java.util.Arrays.equals(read(check), expected)) {
                            errors.add("READ at " + check + " returned other data than written");
                        }
                    }
                }
            } catch (Throwable t) {
                errors.add("I/O failed: " + t);
            }
        }

        void verifyAll() throws Exception {
            for (Map.Entry<Long, byte[]> e : new java.util.TreeMap<>(written).entrySet()) {
                assertThat(read(e.getKey())).as("LBA " + e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(errors).isEmpty();
        }

        /** READ(10) of one slot; a CHECK CONDITION is recorded as an error (and null returned). */
        byte[] read(long lba) throws Exception {
            int len = BLOCKS * 512;
            host.send(host.command(TestInitiator.rw10(0x28, lba, BLOCKS), true, false, len, null, true));
            byte[] out = new byte[len];
            int got = 0;
            while (true) {
                Object o = host.poll(35000);
                if (o == null) {
                    throw new AssertionError("no answer to READ at " + lba);
                }
                try {
                    if (o instanceof ScsiResponse r) {
                        if (r.status() == 2 && TestInitiator.senseKeyAscAscq(r) == ALUA_CHANGED) {
                            alua.incrementAndGet();
                            return read(lba);
                        }
                        errors.add(String.format(
                                "READ at %d: status %d sense %06x",
                                lba, r.status(), r.status() == 0 ? 0 : TestInitiator.senseKeyAscAscq(r)));
                        return null;
                    }
                    io.rbdgw.iscsi.pdu.DataIn d = (io.rbdgw.iscsi.pdu.DataIn) o;
                    d.data().getBytes(d.data().readerIndex(), out, got, d.data().readableBytes());
                    got += d.data().readableBytes();
                    if (d.hasStatus()) {
                        if (d.status() != 0 || got != len) {
                            errors.add("READ at " + lba + ": status " + d.status() + ", " + got + " bytes");
                        }
                        return out;
                    }
                } finally {
                    io.netty.util.ReferenceCountUtil.release(o);
                }
            }
        }
    }

    @Test
    void ioGoesOnWhileZooKeeperIsDownAndTheGatewaysRejoinWithOwnershipUnchanged() throws Exception {
        String disk = TestCluster.POOL + "/" + image;
        List<Writer> writers = new ArrayList<>();
        // the gateways start first, on ports they bound themselves, then learn their configuration
        try (GatewayProcess a = start("gw-a");
                GatewayProcess b = start("gw-b")) {
            try {
                long epoch = configure(a, b, disk);
                MembershipView view = new MembershipView(client, store.layout());
                await().atMost(Duration.ofSeconds(40))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a", "gw-b"));
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> owner(disk) != null);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> radosAddresses().values().stream()
                                        .filter(java.util.Objects::nonNull)
                                        .count()
                                == 2);
                LunOwnership initial = owner(disk);
                Map<String, String> addresses = radosAddresses();

                int i = 0;
                for (int port : List.of(a.port(), b.port())) {
                    TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", port));
                    host.login(TestInitiator.normalKeys(HOST1, IQN));
                    TestInitiator.clearPowerOnUa(host);
                    Writer w = new Writer("writer-" + port, host, i * 4096L, 42 + i);
                    i++;
                    writers.add(w);
                    w.start();
                }
                Thread.sleep(2000);

                // 1. shorter than the session timeout: the sessions survive
                zk.stop();
                Thread.sleep(SESSION_SECONDS * 1000L / 2);
                zk.restart();
                Thread.sleep(2000);
                assertThat(a.output() + b.output()).doesNotContain("Injecting a session expiration");

                // 2. longer than the session timeout: every session ends on both sides.
                // Writes through the non-owner move the write token there and back (the owner asks at once). An outage
                // that starts in the middle of such a hand-over leaves neither gateway writing until ZooKeeper returns:
                // the hand-over's outcome cannot be known without reading it, so nobody may write (seen once in a
                // loaded run). An ALUA host writes through the owner only; so the non-owner's writer pauses until the
                // token rests with the owner and resumes once ZooKeeper is down, where its writes get 02/04/0A.
                boolean aOwns = initial.owner().equals("gw-a");
                Writer nonOwner = writers.get(aOwns ? 1 : 0);
                nonOwner.paused.set(true);
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                    WriteToken t = token(disk);
                    return t.holder().equals(initial.owner()) && t.requestedBy() == null;
                });
                zk.stop();
                nonOwner.paused.set(false);
                long stopped = System.nanoTime();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> a.output().contains("Injecting a session expiration")
                                && b.output().contains("Injecting a session expiration"));
                long before = writers.stream().mapToLong(w -> w.done.get()).sum();
                Thread.sleep(Math.max(0, SESSION_SECONDS * 2000L - (System.nanoTime() - stopped) / 1_000_000));
                long during = writers.stream().mapToLong(w -> w.done.get()).sum() - before;
                assertThat(writers).allSatisfy(w -> assertThat(w.errors).isEmpty());
                assertThat(during)
                        .as("writes completed while ZooKeeper was down and the sessions were lost")
                        .isPositive();
                // nothing can move or be fenced while ZooKeeper is down: a host logging in now still finds the owner
                // Active/Optimized, not Transitioning (which would make ALUA hosts stop using every path)
                TestInitiator probe = new TestInitiator(new InetSocketAddress("127.0.0.1", (aOwns ? a : b).port()))
                        .isid(0x23d000000077L);
                try {
                    probe.login(TestInitiator.normalKeys(HOST1, IQN));
                    TestInitiator.clearPowerOnUa(probe);
                    assertThat(states(probe)).as("states during the outage").containsEntry(aOwns ? 1 : 2, 0);
                } finally {
                    probe.close();
                }
                zk.restart();

                // both gateways re-register with new sessions, a coordinator acts, a change made now is applied by both
                String memDisk = "mem/zkout";
                // (another target: a LUN added to the host's target would rightly tell it 3F/0E)
                long epoch2 = store.update(
                        c -> List.of(
                                new ConfigChange.PutDisk(Disk.memory("mem", "zkout", 8 << 20)),
                                new ConfigChange.PutTarget(Target.of(IQN + "-2")),
                                new ConfigChange.PutLun(new Lun(IQN + "-2", 0, memDisk))),
                        30);
                await().atMost(Duration.ofSeconds(40))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch2)).contains("gw-a", "gw-b"));
                await().atMost(Duration.ofSeconds(40)).ignoreExceptions().until(() -> owner(memDisk) != null);
                assertThat(client.getChildren().forPath(store.layout().members()))
                        .containsExactlyInAnyOrder("gw-a", "gw-b");
                assertThat(owner(disk)).isEqualTo(initial);
                Thread.sleep(1000);

                for (Writer w : writers) {
                    w.stop.set(true);
                    w.join(40000);
                    assertThat(w.errors).as(w.getName()).isEmpty();
                    assertThat(w.isAlive()).isFalse();
                    w.verifyAll();
                }
                // same RADOS clients as before the outage, and nobody blocklisted them
                assertThat(radosAddresses()).isEqualTo(addresses);
                Cmd list = Cmd.run(
                        60,
                        "ceph",
                        "-c",
                        TestCluster.conf().toString(),
                        "--id",
                        TestCluster.CLIENT_ID,
                        "osd",
                        "blocklist",
                        "ls");
                assertThat(list.exitCode()).as(list.toString()).isZero();
                for (String address : addresses.values()) {
                    assertThat(list.output()).doesNotContain(address);
                }
                // the image was made with Ceph's default features: its owner disabled exclusive-lock (the
                // other gateway left it alone), so writes through both gateways did not move a lock between them
                String info = TestCluster.rbd("info", disk);
                assertThat(info).contains("features: layering, deep-flatten").doesNotContain("exclusive-lock");
                assertThat(TestCluster.rbd("lock", "ls", disk)).isBlank();
                String logs = a.output() + b.output();
                String disabled = "disabled fast-diff object-map exclusive-lock on image " + disk;
                assertThat(a.output().contains(disabled) ^ b.output().contains(disabled))
                        .as("exactly one gateway (the owner) changed the image")
                        .isTrue();
                assertThat(logs)
                        .doesNotContain("is blocklisted")
                        .doesNotContain("blocklisted at")
                        .doesNotContain("is lost");
                System.out.printf(
                        "writes: %d, %d during the outage; 2A/06 unit attentions: %d; 02/04/0A (no write "
                                + "token): %d; RADOS addresses %s%n",
                        writers.stream().mapToLong(w -> w.done.get()).sum(),
                        during,
                        writers.stream().mapToLong(w -> w.alua.get()).sum(),
                        writers.stream().mapToLong(w -> w.transitions.get()).sum(),
                        addresses);
            } catch (Throwable t) {
                System.out.println("---- gw-a\n" + a.output() + "\n---- gw-b\n" + b.output());
                if (zk.running()) { // a failure during the outage: reading ZooKeeper would only wait
                    System.out.println("---- states " + new MembershipView(client, store.layout()).states());
                }
                throw t;
            }
        } finally {
            for (Writer w : writers) {
                w.stop.set(true);
                w.join(5000);
                w.host.close();
            }
        }
    }

    /** One WRITE(10) of a slot: 0 for GOOD, else the sense key/ASC/ASCQ (or -1 for another status). */
    private static int writeOnce(TestInitiator host, long lba, byte[] data) throws Exception {
        host.send(host.command(
                TestInitiator.rw10(0x2A, lba, BLOCKS), false, true, data.length, Unpooled.wrappedBuffer(data), true));
        ScsiResponse w = host.expect(ScsiResponse.class, 35000);
        try {
            return w.status() == 0 ? 0 : w.status() == 2 ? TestInitiator.senseKeyAscAscq(w) : -1;
        } finally {
            w.release();
        }
    }

    /**
     * The other case: a gateway that really was fenced must stop using its RADOS client. gw-a is blocklisted
     * (as the coordinator would) while a host writes through it: librbd answers EBLOCKLISTED and gw-a reconnects
     * with a new client; gw-b, idle, learns of its fence from the record the coordinator writes.
     */
    @Test
    void aGatewayThatWasReallyFencedReconnectsWithANewClient() throws Exception {
        String disk = TestCluster.POOL + "/" + image;
        List<String> blocklisted = new ArrayList<>();
        try (GatewayProcess a = start("gw-a");
                GatewayProcess b = start("gw-b")) {
            long epoch = configure(a, b, disk);
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", a.port()))) {
                MembershipView view = new MembershipView(client, store.layout());
                await().atMost(Duration.ofSeconds(40))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a", "gw-b"));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> radosAddresses().values().stream()
                                        .filter(java.util.Objects::nonNull)
                                        .count()
                                == 2);
                Map<String, String> before = radosAddresses();
                host.login(TestInitiator.normalKeys(HOST1, IQN));
                TestInitiator.clearPowerOnUa(host);
                byte[] data = new byte[BLOCKS * 512];
                new Random(7).nextBytes(data);
                assertThat(writeOnce(host, 0, data)).isZero();

                Cmd add = Cmd.run(
                        60,
                        "ceph",
                        "-c",
                        TestCluster.conf().toString(),
                        "--id",
                        TestCluster.CLIENT_ID,
                        "osd",
                        "blocklist",
                        "add",
                        before.get("gw-a"),
                        "600");
                assertThat(add.exitCode()).as(add.toString()).isZero();
                blocklisted.add(before.get("gw-a"));
                // the host sees errors for a while (fenced, then the LUN re-created: 3F/0E), then writes succeed again
                List<Integer> senses = new ArrayList<>();
                new Random(8).nextBytes(data);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                int rc;
                while ((rc = writeOnce(host, 8, data)) != 0 && System.nanoTime() < deadline) {
                    senses.add(rc);
                    Thread.sleep(200);
                }
                assertThat(rc)
                        .as("senses on the way: %s\n%s", senses, a.output())
                        .isZero();
                assertThat(senses).isNotEmpty();
                assertThat(a.output()).contains("librbd reports EBLOCKLISTED");
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> radosAddresses().get("gw-a") != null
                                && !radosAddresses().get("gw-a").equals(before.get("gw-a")));

                // gw-b sends no I/O: the coordinator's fence record tells it
                String path = store.layout().fence("gw-b");
                client.create()
                        .creatingParentsIfNeeded()
                        .forPath(
                                path,
                                new Documents()
                                        .write(new io.rbdgw.config.alua.FenceRecord(
                                                "gw-b", before.get("gw-b"), System.currentTimeMillis(), "test")));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> radosAddresses().get("gw-b") != null
                                && !radosAddresses().get("gw-b").equals(before.get("gw-b")));
                assertThat(b.output()).contains("coordinator test recorded that it fenced this gateway");
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a", "gw-b"));
                assertThat(TestInitiator.read(host, 8, BLOCKS, 262144)).isEqualTo(data);
            } catch (Throwable t) {
                System.out.println("---- gw-a\n" + a.output() + "\n---- gw-b\n" + b.output());
                throw t;
            }
        } finally {
            for (String address : blocklisted) {
                Cmd.run(
                        60,
                        "ceph",
                        "-c",
                        TestCluster.conf().toString(),
                        "--id",
                        TestCluster.CLIENT_ID,
                        "osd",
                        "blocklist",
                        "rm",
                        address);
            }
        }
    }
}
