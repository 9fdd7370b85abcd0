package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.pr.PrDocuments;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.PreemptAndAbortTest.GatewayDevice;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.pr.LocalReservations;
import io.rbdgw.scsi.pr.ReservationStore;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SWP (software write protect, control mode page) of an LU whose reservation state is in ZooKeeper is the same
 * on every gateway: a MODE SELECT through one gateway write-protects the LU through the others before it answers
 * GOOD, and 2A/01 MODE PARAMETERS CHANGED reaches every other nexus on every gateway, the sender's none (SPC-4
 * 7.5.2). In-process gateways on one shared medium, real iSCSI sessions, a real ZooKeeper.
 */
class ClusterSoftwareWriteProtectTest {

    static final String TARGET = "iqn.2026-12.io.rbdgw:swp";
    static final String NODE1 = "iqn.1991-05.com.microsoft:node1";
    static final String NODE2 = "iqn.1991-05.com.microsoft:node2";
    static final String NODE3 = "iqn.1991-05.com.microsoft:node3";
    static final String DISK = "rbd/swp-disk";
    static final long WAIT_MS = 20_000;
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    static final int GOOD = 0x00;
    static final int BUSY = 0x08;
    static final int CHECK_CONDITION = 0x02;
    /** DATA PROTECT / WRITE PROTECTED / SOFTWARE WRITE PROTECTED. */
    static final int WRITE_PROTECTED = 0x072702;
    /** UNIT ATTENTION / MODE PARAMETERS CHANGED. */
    static final int MODE_PARAMETERS_CHANGED = 0x062A01;

    final MemoryBlockDevice medium = new MemoryBlockDevice(16L << 20, 512, "memory:swp");
    final List<AutoCloseable> closeables = new ArrayList<>();
    final List<String> fenced = new CopyOnWriteArrayList<>();
    volatile boolean fencerBroken;
    TestingServer zk;
    ZkLayout layout;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        zk = ZkConfig.loopbackServer();
        layout = new ZkLayout("/rbdgw-swp");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
        medium.close();
    }

    /** A gateway serving TARGET with LUN 0 on the shared medium, its reservation state (and SWP) in ZooKeeper. */
    InetSocketAddress clusterGateway(String name, int tpg, Duration ackTimeout) throws Exception {
        CuratorFramework client = zkClient();
        ClusterReservations cluster = new ClusterReservations(client, layout, name, ackTimeout, g -> {
            if (fencerBroken) {
                throw new IllegalStateException("monitors unreachable");
            }
            fenced.add(g);
        });
        closeables.add(cluster);
        cluster.start();
        ReservationStore store = cluster.open(DISK, tpg);
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(new LogicalUnit(0, new GatewayDevice(medium), ua -> new LocalReservations(ua, store)));
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
        IscsiServer server = new IscsiServer(targets, new SessionRegistry(), settings, 1);
        closeables.add(server);
        return server.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    CuratorFramework zkClient() {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .sessionTimeoutMs(4000)
                .connectionTimeoutMs(2000)
                .retryPolicy(new RetryNTimes(20, 100))
                .build();
        client.start();
        closeables.add(client);
        return client;
    }

    TestInitiator host(String initiator, InetSocketAddress gateway) throws Exception {
        TestInitiator h = new TestInitiator(gateway);
        closeables.add(h);
        h.login(TestInitiator.normalKeys(initiator, TARGET));
        TestInitiator.clearPowerOnUa(h);
        return h;
    }

    /** Status and sense key/ASC/ASCQ (0xKKAAQQ, 0 without sense) of a command without data. */
    static int status(TestInitiator h, byte[] cdb, byte[] dataOut) throws Exception {
        int len = dataOut == null ? 0 : dataOut.length;
        h.send(h.command(
                cdb, false, dataOut != null, len, dataOut == null ? null : Unpooled.wrappedBuffer(dataOut), true));
        ScsiResponse r = h.expect(ScsiResponse.class, WAIT_MS);
        try {
            return r.status() == CHECK_CONDITION ? 0x02_000000 | TestInitiator.senseKeyAscAscq(r) : r.status();
        } finally {
            r.release();
        }
    }

    static int testUnitReady(TestInitiator h) throws Exception {
        return status(h, new byte[] {0x00, 0, 0, 0, 0, 0}, null);
    }

    static int write(TestInitiator h) throws Exception {
        return status(h, TestInitiator.rw10(0x2A, 0, 1), new byte[512]);
    }

    /** MODE SENSE(6) of the control page (DBD): header and page, or fails on any other status. */
    static byte[] modeSenseControl(TestInitiator h) throws Exception {
        h.send(h.command(new byte[] {0x1A, 0x08, 0x0A, 0, (byte) 255, 0}, true, false, 255, null, true));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            DataIn d = h.expect(DataIn.class, WAIT_MS);
            try {
                ByteBuf b = d.data();
                byte[] chunk = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), chunk);
                out.write(chunk);
                if (d.finalFlag()) {
                    if (d.hasStatus()) {
                        assertThat(d.status()).isEqualTo(GOOD);
                    } else {
                        ScsiResponse r = h.expect(ScsiResponse.class, WAIT_MS);
                        assertThat(r.status()).isEqualTo(GOOD);
                        r.release();
                    }
                    return out.toByteArray();
                }
            } finally {
                d.release();
            }
        }
    }

    /** MODE SELECT(6) of the control page as MODE SENSE read it, SWP set or cleared. */
    static int modeSelectSwp(TestInitiator h, boolean swp) throws Exception {
        byte[] list = modeSenseControl(h);
        list[0] = 0; // MODE DATA LENGTH is reserved in MODE SELECT
        list[4 + 4] = (byte) (swp ? list[4 + 4] | 0x08 : list[4 + 4] & ~0x08);
        return status(h, new byte[] {0x15, 0x10, 0, 0, (byte) list.length, 0}, list);
    }

    /** WP in the DEVICE-SPECIFIC PARAMETER and SWP in the control page, as MODE SENSE through {@code h} shows them. */
    static boolean[] wpAndSwp(TestInitiator h) throws Exception {
        byte[] d = modeSenseControl(h);
        return new boolean[] {(d[2] & 0x80) != 0, (d[4 + 4] & 0x08) != 0};
    }

    /** {@code h} has exactly one pending 2A/01 (its next command gets it, the one after that not). */
    static void expectOneModeParametersChanged(TestInitiator h, String which) throws Exception {
        assertThat(testUnitReady(h)).as(which + ": 2A/01").isEqualTo(0x02_000000 | MODE_PARAMETERS_CHANGED);
        assertThat(testUnitReady(h)).as(which + ": only once").isEqualTo(GOOD);
    }

    @Test
    void swpSetThroughOneGatewayProtectsTheLuThroughEveryGatewayWith2A01OnEveryOtherNexus() throws Exception {
        InetSocketAddress a = clusterGateway("gw-a", 1, ACK_TIMEOUT);
        InetSocketAddress b = clusterGateway("gw-b", 2, ACK_TIMEOUT);
        TestInitiator node1A = host(NODE1, a);
        TestInitiator node2A = host(NODE2, a);
        TestInitiator node1B = host(NODE1, b);
        TestInitiator node2B = host(NODE2, b);
        assertThat(write(node2B)).isEqualTo(GOOD);

        assertThat(modeSelectSwp(node1A, true))
                .as("MODE SELECT SWP=1 through A")
                .isEqualTo(GOOD);
        // GOOD means gateway B applied it already: no waiting
        assertThat(testUnitReady(node1A)).as("the sender gets no 2A/01").isEqualTo(GOOD);
        expectOneModeParametersChanged(node2A, "node 2 through A");
        expectOneModeParametersChanged(node1B, "node 1 through B");
        expectOneModeParametersChanged(node2B, "node 2 through B");
        assertThat(write(node2B)).as("a WRITE through B").isEqualTo(0x02_000000 | WRITE_PROTECTED);
        assertThat(write(node1A)).as("a WRITE through A").isEqualTo(0x02_000000 | WRITE_PROTECTED);
        assertThat(wpAndSwp(node1B)).as("MODE SENSE through B: WP, SWP").containsExactly(true, true);

        // a gateway that starts serving the LU later reads SWP from the disk's document
        InetSocketAddress c = clusterGateway("gw-c", 3, ACK_TIMEOUT);
        TestInitiator node3C = host(NODE3, c);
        assertThat(write(node3C))
                .as("a WRITE through a gateway started later")
                .isEqualTo(0x02_000000 | WRITE_PROTECTED);
        assertThat(wpAndSwp(node3C)).containsExactly(true, true);

        assertThat(modeSelectSwp(node2B, false))
                .as("MODE SELECT SWP=0 through B")
                .isEqualTo(GOOD);
        assertThat(testUnitReady(node2B)).as("the sender gets no 2A/01").isEqualTo(GOOD);
        expectOneModeParametersChanged(node1A, "node 1 through A");
        expectOneModeParametersChanged(node2A, "node 2 through A");
        expectOneModeParametersChanged(node1B, "node 1 through B");
        expectOneModeParametersChanged(node3C, "node 3 through C");
        assertThat(write(node2B)).as("a WRITE through B").isEqualTo(GOOD);
        assertThat(write(node1A)).as("a WRITE through A").isEqualTo(GOOD);
        assertThat(write(node3C)).as("a WRITE through C").isEqualTo(GOOD);
        assertThat(wpAndSwp(node1A)).containsExactly(false, false);

        // writing back the current page changes nothing: no unit attention anywhere
        assertThat(modeSelectSwp(node1A, false)).isEqualTo(GOOD);
        assertThat(testUnitReady(node2A)).isEqualTo(GOOD);
        assertThat(testUnitReady(node1B)).isEqualTo(GOOD);
        assertThat(fenced).as("every gateway applied every change in time").isEmpty();
    }

    @Test
    void aModeSelectThatAnotherGatewayCannotBeMadeToApplyEndsBusy() throws Exception {
        InetSocketAddress a = clusterGateway("gw-a", 1, Duration.ofMillis(500));
        TestInitiator node1 = host(NODE1, a);
        // gw-b serves the disk (it acknowledged it) but applies nothing, and the monitors cannot fence it
        new PrDocuments(zkClient(), layout).acknowledge(DISK, "gw-b", PrDocuments.Versioned.ABSENT);
        fencerBroken = true;
        assertThat(modeSelectSwp(node1, true)).as("retryable, not GOOD").isEqualTo(BUSY);
        assertThat(fenced).isEmpty();
    }
}
