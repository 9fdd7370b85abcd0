package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.UnitAttentions;
import io.rbdgw.scsi.pr.InMemoryReservationStore;
import io.rbdgw.scsi.pr.LocalReservations;
import io.rbdgw.scsi.pr.ReservationStore;
import io.rbdgw.scsi.pr.Reservations;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PREEMPT AND ABORT over real iSCSI sessions: the preempted nexus's task is aborted on whichever gateway runs it
 * (no status is sent for it) and the PERSISTENT RESERVE OUT answers GOOD only once that task left the backend, so
 * its write can never land after the GOOD. Two in-process gateways share one medium and keep their reservations
 * in a real ZooKeeper through {@link ClusterReservations}; writes through a gateway can be held in its device.
 */
class PreemptAndAbortTest {

    static final String TARGET = "iqn.2026-12.io.rbdgw:pa";
    static final String NODE1 = "iqn.1991-05.com.microsoft:node1";
    static final String NODE2 = "iqn.1991-05.com.microsoft:node2";
    static final String DISK = "rbd/cluster-disk";
    static final Duration WAIT = Duration.ofSeconds(20);
    static final int REGISTER = 0;
    static final int RESERVE = 1;
    static final int PREEMPT_AND_ABORT = 5;
    static final int WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;

    /** Delegates to the shared medium; while {@link #hold} is set writes wait in {@link #held} for {@link #release}. */
    static final class GatewayDevice implements BlockDevice {
        final BlockDevice medium;
        final List<Runnable> held = new CopyOnWriteArrayList<>();
        volatile boolean hold;

        GatewayDevice(BlockDevice medium) {
            this.medium = medium;
        }

        void release() {
            hold = false;
            for (Runnable r : held) {
                held.remove(r);
                r.run();
            }
        }

        @Override
        public DeviceInfo info() {
            return medium.info();
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCallback callback) {
            medium.read(offset, dst, callback);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
            if (hold) {
                held.add(() -> medium.write(offset, src, fua, callback));
            } else {
                medium.write(offset, src, fua, callback);
            }
        }

        @Override
        public void flush(IoCallback callback) {
            medium.flush(callback);
        }

        @Override
        public void discard(long offset, long length, IoCallback callback) {
            medium.discard(offset, length, callback);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCallback callback) {
            medium.writeZeroes(offset, length, callback);
        }

        @Override
        public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
            medium.writeSame(offset, length, pattern, callback);
        }

        @Override
        public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
            medium.compareAndWrite(offset, compare, write, callback);
        }

        @Override
        public void allocationStatus(long offset, IoCallback callback) {
            medium.allocationStatus(offset, callback);
        }

        @Override
        public void close() {
            // the medium is shared: the test closes it
        }
    }

    /** One gateway: a portal serving TARGET with LUN 0 on the shared medium, target port group {@code tpg}. */
    final class Gw {
        final GatewayDevice device = new GatewayDevice(medium);
        final IscsiServer server;
        final InetSocketAddress address;

        Gw(int tpg, Function<UnitAttentions, Reservations> reservations) throws Exception {
            ScsiTarget scsi = new ScsiTarget();
            scsi.addLun(new LogicalUnit(0, device, reservations));
            TargetRegistry targets = new TargetRegistry();
            targets.put(new TargetEntry(new LoginTarget(TARGET, null, tpg, null, null, i -> true), scsi));
            ConnectionSettings d = ConnectionSettings.defaults();
            ConnectionSettings settings = new ConnectionSettings(
                    d.parameters(),
                    d.commandWindow(),
                    d.maxWriteBytes(),
                    d.nopInInterval(),
                    d.nopInTimeout(),
                    d.loginTimeout(),
                    tpg,
                    d.limits(),
                    d.allowTargetReset(),
                    d.pollInFlight());
            server = new IscsiServer(targets, new SessionRegistry(), settings, 1);
            closeables.add(server);
            address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        }
    }

    final MemoryBlockDevice medium = new MemoryBlockDevice(16L << 20, 512, "memory:pa");
    final List<AutoCloseable> closeables = new ArrayList<>();
    final List<GatewayDevice> devices = new ArrayList<>();
    final List<String> fenced = new CopyOnWriteArrayList<>();
    TestingServer zk;
    ZkLayout layout;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        zk = ZkConfig.loopbackServer();
        layout = new ZkLayout("/rbdgw-pa");
    }

    @AfterEach
    void tearDown() throws Exception {
        devices.forEach(GatewayDevice::release);
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
        medium.close();
    }

    /** A gateway whose reservations of DISK live in ZooKeeper, shared with the other gateways of the test. */
    Gw clusterGateway(String name, int tpg, Duration ackTimeout) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .sessionTimeoutMs(4000)
                .connectionTimeoutMs(2000)
                .retryPolicy(new RetryNTimes(20, 100))
                .build();
        client.start();
        closeables.add(client);
        ClusterReservations cluster = new ClusterReservations(client, layout, name, ackTimeout, fenced::add);
        closeables.add(cluster);
        cluster.start();
        ReservationStore store = cluster.open(DISK, tpg);
        Gw gw = new Gw(tpg, ua -> new LocalReservations(ua, store));
        devices.add(gw.device);
        return gw;
    }

    /** A gateway alone, its reservations in memory (a file or memory disk, or standalone). */
    Gw singleGateway() throws Exception {
        Gw gw = new Gw(1, ua -> new LocalReservations(ua, new InMemoryReservationStore()));
        devices.add(gw.device);
        return gw;
    }

    TestInitiator host(String initiator, Gw gw) throws Exception {
        TestInitiator h = new TestInitiator(gw.address);
        closeables.add(h);
        h.login(TestInitiator.normalKeys(initiator, TARGET));
        TestInitiator.clearPowerOnUa(h);
        return h;
    }

    /** Sends PERSISTENT RESERVE OUT with a basic parameter list; returns its ITT. */
    static int sendProut(TestInitiator h, int sa, int type, long key, long sark) {
        byte[] cdb = {0x5F, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0};
        byte[] params = ByteBuffer.allocate(24).putLong(key).putLong(sark).array();
        int itt = h.itt;
        h.send(h.command(cdb, false, true, params.length, Unpooled.wrappedBuffer(params), true));
        return itt;
    }

    static void expectStatus(TestInitiator h, int itt, int status, long timeoutMs) throws Exception {
        ScsiResponse r = h.expect(ScsiResponse.class, timeoutMs);
        try {
            assertThat(r.itt()).as("the response's task").isEqualTo(itt);
            assertThat(r.status()).isEqualTo(status);
        } finally {
            r.release();
        }
    }

    static void prout(TestInitiator h, int sa, int type, long key, long sark) throws Exception {
        expectStatus(h, sendProut(h, sa, type, key, sark), 0, WAIT.toMillis());
    }

    /** Sends an 8-block WRITE(10) of {@code data} at LBA 0 and waits until {@code gw}'s device holds it. */
    static void writeHeldIn(TestInitiator h, Gw gw, byte[] data) {
        gw.device.hold = true;
        h.send(h.command(TestInitiator.rw10(0x2A, 0, 8), false, true, data.length, Unpooled.wrappedBuffer(data), true));
        await().atMost(WAIT).until(() -> gw.device.held.size() == 1);
    }

    byte[] mediumAtLba0() throws Exception {
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        CompletableFuture<Long> done = new CompletableFuture<>();
        medium.read(0, dst, new IoCallback() {
            @Override
            public void onSuccess(long bytes) {
                done.complete(bytes);
            }

            @Override
            public void onFailure(BlockDeviceException error) {
                done.completeExceptionally(error);
            }
        });
        done.get(5, TimeUnit.SECONDS);
        byte[] out = new byte[4096];
        dst.get(0, out);
        return out;
    }

    /** The victim's write was aborted: no status for it, only REGISTRATIONS PREEMPTED on its next command. */
    static void expectAbortedAndPreempted(TestInitiator victim) throws Exception {
        TestInitiator.expectUnitAttention(victim, 0x062A05);
        assertThat(victim.poll(300))
                .as("nothing else was answered (no status for the aborted write)")
                .isNull();
    }

    @Test
    void preemptAndAbortThroughOneGatewayAbortsTheVictimsWriteOnTheOtherBeforeGood() throws Exception {
        Gw a = clusterGateway("gw-a", 1, Duration.ofSeconds(10));
        Gw b = clusterGateway("gw-b", 2, Duration.ofSeconds(10));
        TestInitiator node1 = host(NODE1, b);
        TestInitiator node2 = host(NODE2, a);
        prout(node1, REGISTER, 0, 0, 0x1111);
        prout(node1, RESERVE, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0x1111, 0);
        prout(node2, REGISTER, 0, 0, 0x2222);
        byte[] data = TestInitiator.random(4096, 15);
        writeHeldIn(node1, b, data); // node 1's write is inside gateway B's backend

        int preempt = sendProut(node2, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0x2222, 0x1111);
        assertThat(node2.poll(1500))
                .as("no GOOD while the preempted nexus's write on gateway B can still reach the medium")
                .isNull();
        b.device.release(); // the backend returns the write: it landed before the GOOD, never after it
        expectStatus(node2, preempt, 0, WAIT.toMillis());
        assertThat(b.device.held).isEmpty();
        assertThat(mediumAtLba0()).isEqualTo(data);
        expectAbortedAndPreempted(node1);
        assertThat(fenced).as("gateway B applied its abort in time").isEmpty();
        // node 1 lost its registration: its writes conflict from now on
        node1.send(node1.command(
                TestInitiator.rw10(0x2A, 0, 8), false, true, data.length, Unpooled.wrappedBuffer(data), true));
        ScsiResponse r = node1.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isEqualTo(0x18);
        r.release();
    }

    @Test
    void preemptAndAbortOnASingleGatewayAbortsTheVictimsWriteBeforeGood() throws Exception {
        Gw a = singleGateway();
        TestInitiator node1 = host(NODE1, a);
        TestInitiator node2 = host(NODE2, a);
        prout(node1, REGISTER, 0, 0, 0x1111);
        prout(node2, REGISTER, 0, 0, 0x2222);
        byte[] data = TestInitiator.random(4096, 16);
        writeHeldIn(node1, a, data);

        // no reservation: PREEMPT AND ABORT removes node 1's registration and aborts its tasks
        int preempt = sendProut(node2, PREEMPT_AND_ABORT, 0, 0x2222, 0x1111);
        assertThat(node2.poll(1000))
                .as("no GOOD while the preempted nexus's write can still reach the medium")
                .isNull();
        a.device.release();
        expectStatus(node2, preempt, 0, WAIT.toMillis());
        expectAbortedAndPreempted(node1);
    }

    @Test
    void aGatewayWhoseAbortedWriteStaysInItsBackendIsFencedAfterTheConfiguredAckTimeout() throws Exception {
        Duration ackTimeout = Duration.ofMillis(3500); // what --pr-ack-timeout 3500 gives ClusterReservations
        Gw a = clusterGateway("gw-a", 1, ackTimeout);
        Gw b = clusterGateway("gw-b", 2, ackTimeout);
        TestInitiator node1 = host(NODE1, b);
        TestInitiator node2 = host(NODE2, a);
        prout(node1, REGISTER, 0, 0, 0x1111);
        prout(node2, REGISTER, 0, 0, 0x2222);
        writeHeldIn(node1, b, TestInitiator.random(4096, 17)); // and never returned: a hung backend

        long start = System.nanoTime();
        int preempt = sendProut(node2, PREEMPT_AND_ABORT, 0, 0x2222, 0x1111);
        await().during(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(3))
                .until(fenced::isEmpty); // the default 2 s would have fenced it by now
        expectStatus(node2, preempt, 0, WAIT.toMillis());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(ackTimeout);
        assertThat(fenced)
                .as("gateway B could not settle its aborted write: fenced before the GOOD")
                .containsExactly("gw-b");
    }
}
