package io.rbdgw.scsi.pr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.pr.PrDocuments;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways' reservations of one disk through {@link ClusterReservations} against a real ZooKeeper: the
 * logical units are the engine's {@link LocalReservations}, the commands real CDBs and parameter lists.
 */
class ClusterReservationsTest {
    static final String DISK = "rbd/vm1";
    static final String TARGET = "iqn.2003-01.io.rbdgw:t1";
    static final Duration WAIT = Duration.ofSeconds(20);
    // Windows cluster nodes: each logs into both gateways (target port group 1 = gateway A, 2 = gateway B)
    static final ItNexus NODE1_A = new ItNexus("iqn.1991-05.com.microsoft:node1", 0x400001370000L, TARGET, 1, 1);
    static final ItNexus NODE1_B = new ItNexus("iqn.1991-05.com.microsoft:node1", 0x400001370001L, TARGET, 2, 2);
    static final ItNexus NODE2_A = new ItNexus("iqn.1991-05.com.microsoft:node2", 0x400001370000L, TARGET, 1, 1);
    static final ItNexus NODE2_B = new ItNexus("iqn.1991-05.com.microsoft:node2", 0x400001370001L, TARGET, 2, 2);
    static final byte[] WRITE10 = {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static final byte[] READ10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};

    TestingServer zk;
    ZkLayout layout;
    final List<AutoCloseable> closeables = new ArrayList<>();
    final List<String> fenced = new CopyOnWriteArrayList<>();
    volatile boolean fencerBroken;

    /** One gateway: its ZooKeeper client, its cluster reservations and the LU of DISK it serves. */
    final class Gw {
        final String name;
        final CuratorFramework client;
        final ClusterReservations cluster;
        final RecordingUnitAttentions uas = new RecordingUnitAttentions();
        final LocalReservations lu;

        Gw(String name, int tpg) throws Exception {
            this.name = name;
            client = CuratorFrameworkFactory.builder()
                    .connectString(zk.getConnectString())
                    .sessionTimeoutMs(4000)
                    .connectionTimeoutMs(2000)
                    .retryPolicy(new RetryNTimes(20, 100))
                    .build();
            client.start();
            closeables.add(client);
            cluster = new ClusterReservations(client, layout, name, Duration.ofMillis(700), g -> {
                if (fencerBroken) {
                    throw new IllegalStateException("monitors unreachable");
                }
                fenced.add(g);
            });
            closeables.add(cluster);
            cluster.start();
            lu = new LocalReservations(uas, cluster.open(DISK, tpg));
        }

        void close() throws Exception {
            cluster.close();
            client.close();
        }
    }

    /** A task completed from any thread. */
    @BeforeEach
    void setUp() throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        zk = ZkConfig.loopbackServer();
        layout = new ZkLayout("/rbdgw-pr");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
    }

    static int prOut(Gw gw, ItNexus n, int sa, int type, long rk, long sark, int flags) throws Exception {
        byte[] cdb = {0x5F, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0};
        byte[] params = ByteBuffer.allocate(24)
                .putLong(rk)
                .putLong(sark)
                .putInt(0)
                .put((byte) flags)
                .array();
        RecordingTask t = new RecordingTask(n, cdb, params);
        gw.lu.persistentReserveOut(t);
        return t.await();
    }

    static int scsi2(Gw gw, ItNexus n, int opcode) throws Exception {
        RecordingTask t = new RecordingTask(n, new byte[] {(byte) opcode, 0, 0, 0, 0, 0}, null);
        if (opcode == 0x16) {
            gw.lu.reserve(t);
        } else {
            gw.lu.release(t);
        }
        return t.await();
    }

    static ByteBuffer prIn(Gw gw, ItNexus n, int sa) throws Exception {
        RecordingTask t = new RecordingTask(n, new byte[] {0x5E, (byte) sa, 0, 0, 0, 0, 0, 0x20, 0, 0}, null);
        gw.lu.persistentReserveIn(t);
        assertThat(t.await()).isEqualTo(ScsiStatus.GOOD);
        return ByteBuffer.wrap(t.dataIn);
    }

    @Test
    void aReservationTakenThroughOneGatewayIsEnforcedByTheOtherAsSoonAsItIsGranted() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(a, NODE1_A, 1, 1, 0x1111, 0, 0))
                .as("RESERVE Write Exclusive")
                .isEqualTo(ScsiStatus.GOOD);
        // no waiting: GOOD means gateway B applied it already
        assertThat(b.lu.admission(NODE2_B, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(b.lu.admission(NODE2_B, READ10)).isEqualTo(ScsiStatus.GOOD);
        assertThat(b.lu.admission(NODE1_B, WRITE10))
                .as("node1's other path is not registered")
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // PRIN through B answers with A's registration and reservation
        ByteBuffer keys = prIn(b, NODE2_B, 0);
        assertThat(keys.getInt()).as("PRgeneration").isEqualTo(1);
        assertThat(keys.getInt()).isEqualTo(8);
        assertThat(keys.getLong()).isEqualTo(0x1111);
        ByteBuffer res = prIn(b, NODE2_B, 1);
        res.getInt();
        assertThat(res.getInt()).isEqualTo(16);
        assertThat(res.getLong()).isEqualTo(0x1111);
        // a REGISTER through B conflicts with nothing and is seen by A
        assertThat(prOut(b, NODE2_B, 0, 0, 0, 0x2222, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a.lu.state().registrations()).extracting(Registration::key).containsExactly(0x1111L, 0x2222L);
        assertThat(fenced).isEmpty();
    }

    @Test
    void windowsArbitrationPreemptAndAbortThroughTheOtherGateway() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        // node 1 registers on both its paths and takes Write Exclusive - Registrants Only through A
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE1_B, 0, 0, 0, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(a, NODE1_A, 1, 5, 0x1111, 0, 0)).isEqualTo(ScsiStatus.GOOD);
        // node 2 registers on both its paths
        assertThat(prOut(a, NODE2_A, 0, 0, 0, 0x2222, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE2_B, 0, 0, 0, 0x2222, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a.lu.admission(NODE1_A, WRITE10)).isEqualTo(ScsiStatus.GOOD);
        a.uas.drain();
        // node 2 preempts and aborts node 1 through B
        assertThat(prOut(b, NODE2_B, 5, 5, 0x2222, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(b.lu.admission(NODE2_B, WRITE10)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a.lu.admission(NODE2_A, WRITE10)).isEqualTo(ScsiStatus.GOOD);
        // node 1's writes through either gateway now conflict
        assertThat(a.lu.admission(NODE1_A, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(b.lu.admission(NODE1_B, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // node 1's nexus on A, which B never saw, gets REGISTRATIONS PREEMPTED
        await().atMost(WAIT)
                .until(() -> a.uas.posted.stream().anyMatch(p -> p.nexus().equals(NODE1_A)));
        assertThat(a.uas.drain()).containsExactly(new RecordingUnitAttentions.Posted(NODE1_A, 0x2A, 0x05));
        // gateway A stops (its process dies): B still enforces everything; a new A finds it all again
        a.close();
        assertThat(b.lu.admission(NODE1_B, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        Gw a2 = new Gw("gw-a", 1);
        assertThat(a2.lu.state()).isEqualTo(b.lu.state());
        assertThat(a2.lu.admission(NODE1_A, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(a2.lu.admission(NODE2_A, WRITE10)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a2.lu.state().registrations())
                .extracting(r -> r.nexus().initiatorPortName())
                .allMatch(p -> p.startsWith("iqn.1991-05.com.microsoft:node2"));
    }

    @Test
    void aNexusLoggedInThroughOneGatewayButSilentThereStillLearnsItsRegistrationWasPreempted() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        // node 1's initiator port (ISID ...01) is logged in through both gateways but has sent nothing through A
        ItNexus node1OnA = new ItNexus("iqn.1991-05.com.microsoft:node1", 0x400001370001L, TARGET, 1, 1);
        a.lu.nexusCreated(node1OnA);
        // it registers through B for every target port (ALL_TG_PT), node 2 registers through B too
        assertThat(prOut(b, NODE1_B, 0, 0, 0, 0x1111, 0x04)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE2_B, 0, 0, 0, 0x2222, 0)).isEqualTo(ScsiStatus.GOOD);
        a.uas.drain();
        // node 2 preempts node 1 through B: node 1's silent path through A gets REGISTRATIONS PREEMPTED too
        assertThat(prOut(b, NODE2_B, 4, 0, 0x2222, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        await().atMost(WAIT).until(() -> !a.uas.posted.isEmpty());
        assertThat(a.uas.drain()).containsExactly(new RecordingUnitAttentions.Posted(node1OnA, 0x2A, 0x05));
        // a nexus gone before the change is not posted to
        a.lu.nexusLost(node1OnA);
        assertThat(prOut(b, NODE1_B, 0, 0, 0, 0x3333, 0x04)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE2_B, 4, 0, 0x2222, 0x3333, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a.uas.drain()).isEmpty();
    }

    @Test
    void aLogicalUnitResetThroughOneGatewayRaises2903OnEveryNexusOfTheOther() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        assertThat(scsi2(a, NODE1_A, 0x16)).isEqualTo(ScsiStatus.GOOD);
        b.uas.drain();
        a.lu.reset(); // LOGICAL UNIT RESET received by gateway A
        await().atMost(WAIT).until(() -> !b.uas.posted.isEmpty());
        assertThat(b.uas.drain()).containsExactly(new RecordingUnitAttentions.Posted(null, 0x29, 0x03));
        assertThat(a.uas.drain())
                .as("A's logical unit posts its own nexuses' 29/03 itself")
                .isEmpty();
        assertThat(b.lu.state().spc2Holder())
                .as("the reset released the SPC-2 reservation")
                .isNull();
    }

    @Test
    void spc2ReserveIsClusterWideAndEndsWithItsNexus() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        a.lu.admission(NODE1_A, READ10);
        assertThat(scsi2(a, NODE1_A, 0x16)).isEqualTo(ScsiStatus.GOOD);
        assertThat(scsi2(b, NODE2_B, 0x16)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(b.lu.admission(NODE2_B, READ10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(scsi2(b, NODE2_B, 0x17)).as("RELEASE by a non-holder").isEqualTo(ScsiStatus.GOOD);
        assertThat(b.lu.admission(NODE2_B, READ10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        a.lu.nexusLost(NODE1_A); // the holder logs out of A
        await().atMost(WAIT).until(() -> b.lu.admission(NODE2_B, READ10) == ScsiStatus.GOOD);
        assertThat(scsi2(b, NODE2_B, 0x16)).isEqualTo(ScsiStatus.GOOD);
        assertThat(a.lu.admission(NODE1_A, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // gateway B's process ends while its nexus holds it: the next B releases it when it opens the disk
        b.close();
        Gw b2 = new Gw("gw-b", 2);
        assertThat(b2.lu.state().spc2Holder()).isNull();
        await().atMost(WAIT).until(() -> a.lu.admission(NODE1_A, WRITE10) == ScsiStatus.GOOD);
    }

    @Test
    void aptplRegistrationsSurviveEveryGatewayAndAptplZeroOnesOnlyWhileOneServes() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0x01))
                .as("REGISTER APTPL=1")
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE2_B, 0, 0, 0, 0x2222, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(b, NODE2_B, 1, 1, 0x2222, 0, 0)).isEqualTo(ScsiStatus.GOOD);
        // capabilities report PTPL_C and PTPL_A
        ByteBuffer caps = prIn(a, NODE1_A, 2);
        assertThat(caps.get(2) & 0x01).as("PTPL_C").isEqualTo(1);
        // one gateway restarts while the other serves: everything stays
        a.close();
        Gw a2 = new Gw("gw-a", 1);
        assertThat(a2.lu.state().registrations()).hasSize(2);
        assertThat(a2.lu.state().type()).isEqualTo(PrType.WRITE_EXCLUSIVE);
        // every gateway down (a cluster power loss): APTPL=0 registrations and their reservation are gone
        a2.close();
        b.close();
        await().atMost(WAIT)
                .until(() ->
                        new PrDocuments(zkClient(), layout).acknowledgers(DISK).isEmpty());
        Gw a3 = new Gw("gw-a", 1);
        assertThat(a3.lu.state().registrations()).extracting(Registration::key).containsExactly(0x1111L);
        assertThat(a3.lu.state().isReserved()).isFalse();
        assertThat(a3.lu.state().registration(PrNexusId.of(NODE1_A)).aptpl()).isTrue();
    }

    static boolean swp(Gw gw, ItNexus by, boolean on) throws Exception {
        return gw.lu.softwareWriteProtect(on, by).toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void swpIsSharedKeptAcrossTheRestartOfOneGatewayAndClearedByAClusterPowerLoss() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0x01))
                .as("REGISTER APTPL=1")
                .isEqualTo(ScsiStatus.GOOD);
        b.uas.drain();
        assertThat(swp(a, NODE1_A, true)).as("changed").isTrue();
        // completed: gateway B applied it already, with 2A/01 for its nexuses (A's logical unit posts A's)
        assertThat(b.lu.softwareWriteProtected()).isTrue();
        assertThat(b.uas.drain()).containsExactly(new RecordingUnitAttentions.Posted(null, 0x2A, 0x01));
        assertThat(a.uas.drain()).isEmpty();
        assertThat(b.lu.state().generation())
                .as("SWP is not a reservation change")
                .isEqualTo(1);
        assertThat(swp(b, NODE2_B, true)).as("already set: no change").isFalse();
        assertThat(a.uas.drain()).isEmpty();
        // one gateway restarts while the other serves: SWP stays
        a.close();
        Gw a2 = new Gw("gw-a", 1);
        assertThat(a2.lu.softwareWriteProtected()).isTrue();
        // every gateway down (a cluster power loss): mode parameters are not saved, SWP is 0 again
        a2.close();
        b.close();
        await().atMost(WAIT)
                .until(() ->
                        new PrDocuments(zkClient(), layout).acknowledgers(DISK).isEmpty());
        Gw a3 = new Gw("gw-a", 1);
        assertThat(a3.lu.softwareWriteProtected()).isFalse();
        assertThat(a3.lu.state().registrations()).extracting(Registration::key).containsExactly(0x1111L);
    }

    @Test
    void anSwpChangeIsAppliedOrFencedEverywhereBeforeItCompletesAndFailsWhenItCannotBe() throws Exception {
        Gw a = new Gw("gw-a", 1);
        // gw-c serves the disk but never applies anything: frozen
        CuratorFramework frozen = zkClient();
        new PrDocuments(frozen, layout).acknowledge(DISK, "gw-c", PrDocuments.Versioned.ABSENT);
        assertThat(swp(a, NODE1_A, true)).isTrue();
        assertThat(fenced).containsExactly("gw-c");
        new PrDocuments(frozen, layout).acknowledge(DISK, "gw-c", PrDocuments.Versioned.ABSENT);
        fencerBroken = true;
        assertThatThrownBy(() -> swp(a, NODE1_A, false))
                .as("could not fence: the MODE SELECT ends BUSY")
                .isInstanceOf(ExecutionException.class);
    }

    private CuratorFramework zkClient() {
        CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryNTimes(5, 100));
        c.start();
        closeables.add(c);
        return c;
    }

    @Test
    void aGatewayThatDoesNotApplyAChangeIsFencedBeforeGoodAndBusyWhenItCannotBe() throws Exception {
        Gw a = new Gw("gw-a", 1);
        // gw-c serves the disk (acknowledged it before any document existed) but never applies anything: frozen
        CuratorFramework frozen = zkClient();
        new PrDocuments(frozen, layout).acknowledge(DISK, "gw-c", PrDocuments.Versioned.ABSENT);
        long start = System.nanoTime();
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(System.nanoTime() - start)
                .isGreaterThanOrEqualTo(Duration.ofMillis(700).toNanos());
        assertThat(fenced).containsExactly("gw-c");
        // fenced: its acknowledgement is withdrawn and the next change does not wait for it
        new PrDocuments(frozen, layout).acknowledge(DISK, "gw-c", PrDocuments.Versioned.ABSENT);
        fencerBroken = true;
        assertThat(prOut(a, NODE1_A, 1, 1, 0x1111, 0, 0))
                .as("could not fence: retryable")
                .isEqualTo(ScsiStatus.BUSY);
    }

    @Test
    void withoutZooKeeperALunWithReservationsAnswersBusyUntilItReadTheStateAgain() throws Exception {
        Gw a = new Gw("gw-a", 1);
        Gw b = new Gw("gw-b", 2);
        assertThat(prOut(a, NODE1_A, 0, 0, 0, 0x1111, 0)).isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(a, NODE1_A, 1, 1, 0x1111, 0, 0)).isEqualTo(ScsiStatus.GOOD);
        zk.stop();
        await().atMost(WAIT).until(() -> b.lu.admission(NODE2_B, READ10) == ScsiStatus.BUSY);
        assertThat(b.lu.admission(NODE2_B, WRITE10))
                .as("forbidden by the last known state")
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // each gateway notices the lost connection on its own (its own Curator client): A may be later than B
        await().atMost(WAIT).until(() -> a.lu.admission(NODE1_A, WRITE10) == ScsiStatus.BUSY);
        zk.restart();
        await().atMost(WAIT).until(() -> b.lu.admission(NODE2_B, READ10) == ScsiStatus.GOOD);
        await().atMost(WAIT).until(() -> a.lu.admission(NODE1_A, WRITE10) == ScsiStatus.GOOD);
        assertThat(b.lu.admission(NODE2_B, WRITE10)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }
}
