package io.rbdgw.it.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.Cmd;
import io.rbdgw.it.TestCluster;
import io.rbdgw.scsi.TargetPortGroups;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover under load with two {@code run} gateways on one RBD LUN, ZooKeeper and the dev Ceph cluster,
 * driven by {@link MultipathClient}: the owner is killed (SIGKILL) or frozen (SIGSTOP) while the client
 * writes its verifiable pattern; afterwards every acknowledged write must read back, none stale.
 */
class FailoverIT {

    static final Duration PATH_TIMEOUT = Duration.ofSeconds(2);
    static final int UNITS = 128;
    /** short ZooKeeper sessions and settling keep the test quick; the defaults are measured by bench/failover.sh */
    static final FailoverCluster.Timing TIMING = new FailoverCluster.Timing(4, 1);

    @TempDir
    Path dir;

    private static MultipathClient client(FailoverCluster cluster, int owner) throws Exception {
        return cluster.client(owner, UNITS, 4, PATH_TIMEOUT);
    }

    @Test
    void killingTheOwnerMovesIoToTheSurvivorWithNothingLostOrStale() throws Exception {
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, TIMING)) {
            LunOwnership before = cluster.ownership();
            int victim = FailoverCluster.indexOf(before.owner());
            int survivor = 1 - victim;
            // both gateways are daemons of service rbdgw in Ceph's service map: what `ceph -s` counts
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        Cmd dump = Cmd.run(
                                60, "ceph", "-c", TestCluster.conf().toString(), "service", "dump", "-f", "json");
                        assertThat(dump.exitCode()).as(dump.toString()).isZero();
                        assertThat(dump.output())
                                .contains("\"rbdgw\"")
                                .contains("\"" + FailoverCluster.NAMES[0] + "\"")
                                .contains("\"" + FailoverCluster.NAMES[1] + "\"");
                    });
            try (MultipathClient client = client(cluster, victim)) {
                client.start();
                Thread.sleep(2000);
                assertThat(client.ackedPerPath())
                        .as("writes go to the optimized path only")
                        .containsOnlyKeys(victim);

                client.mark(victim);
                cluster.gateway(victim).process().destroyForcibly();
                cluster.gateway(victim).process().waitFor();

                LunOwnership after = cluster.awaitOwnerOtherThan(before.owner(), Duration.ofSeconds(30));
                assertThat(after.owner()).isEqualTo(FailoverCluster.NAMES[survivor]);
                assertThat(after.epoch()).isGreaterThan(before.epoch());
                // the client learns it from 2A/06 on the survivor's path
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> client.groupStates().get(client.groupOf(survivor))
                                == TargetPortGroups.ACTIVE_OPTIMIZED);
                assertThat(client.groupStates().get(client.groupOf(victim))).isEqualTo(TargetPortGroups.UNAVAILABLE);
                long ackedAtMove = client.acked();
                Thread.sleep(1000);
                client.stop();

                assertThat(client.acked()).as("writes continue after the move").isGreaterThan(ackedAtMove);
                assertThat(client.ackedPerPath().get(survivor)).isPositive();
                assertThat(client.pathFailures())
                        .extracting(MultipathClient.PathFailure::path)
                        .containsExactly(victim);
                assertThat(client.markToFirstAckSeconds())
                        .as("kill -> first write on the survivor")
                        .isLessThan(5);
                MultipathClient.Verification v = client.verify(cluster.portal(survivor));
                System.out.printf(
                        "SIGKILL: first write on the survivor %.3f s after the kill, max stall %.3f s, "
                                + "%d writes acknowledged, %d retried, %d unit attentions; read-back %s%n",
                        client.markToFirstAckSeconds(),
                        client.maxStallSeconds(),
                        client.acked(),
                        client.retriedWrites(),
                        client.unitAttentions(),
                        v);
                assertThat(v.lost()).as("lost writes").isZero();
                assertThat(v.stale()).as("stale writes").isZero();
                assertThat(v.foreign()).isZero();
                assertThat(v.ok()).isEqualTo(UNITS);
            }
            assertThat(cluster.output(survivor)).contains("blocklisted").doesNotContain("LEAK");
        }
    }

    @Test
    void aFrozenOwnerIsFencedAndItsHeldWritesNeverLandThenItRejoins() throws Exception {
        // the stall guard would drop the held writes on its own: off, so that this shows what fencing does
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, new FailoverCluster.Timing(4, 1, false))) {
            LunOwnership before = cluster.ownership();
            int victim = FailoverCluster.indexOf(before.owner());
            int survivor = 1 - victim;
            List<Long> held;
            try (MultipathClient client = client(cluster, victim)) {
                client.start();
                Thread.sleep(2000);
                assertThat(client.ackedPerPath()).containsOnlyKeys(victim);

                // How the frozen gateway is made to hold writes: on the writer thread, between two sends, the owner
                // is stopped (and seen in state T) and only then are 8 more writes sent to it, beyond the 4 that
                // may be in flight. They are certain to sit unread in its socket: it reads them when it resumes,
                // long after the client retried them on the survivor and overwrote their units with newer data.
                client.mark(victim);
                held = client.runOnWriter(
                        () -> {
                            try {
                                cluster.signal(victim, "STOP");
                                await().atMost(Duration.ofSeconds(5)).until(() -> cluster.isStopped(victim));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        8);
                assertThat(held).hasSize(8);

                LunOwnership after = cluster.awaitOwnerOtherThan(before.owner(), Duration.ofSeconds(30));
                assertThat(after.owner()).isEqualTo(FailoverCluster.NAMES[survivor]);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> client.groupStates().get(client.groupOf(survivor))
                                == TargetPortGroups.ACTIVE_OPTIMIZED);
                Thread.sleep(1000); // more generations over the same units through the survivor
                client.stop();

                assertThat(client.pathFailures()).hasSize(1);
                MultipathClient.PathFailure failure = client.pathFailures().get(0);
                assertThat(failure.path()).isEqualTo(victim);
                assertThat(failure.abandoned())
                        .as("writes held by the frozen gateway")
                        .isGreaterThanOrEqualTo(held.size());
                assertThat(client.markToFirstAckSeconds()).isLessThan(5);
                for (long seq : held) {
                    // a late landing of any held write would be older than what the unit was last acknowledged with
                    assertThat(client.lastAckedOfUnitOf(seq))
                            .as("unit of held write " + seq + " overwritten later")
                            .isGreaterThan(seq);
                }

                // resume it: it reads the held writes and (being fenced) must not land them
                cluster.signal(victim, "CONT");
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> cluster.output(victim).contains("reconnecting to Ceph with a new client"));
                cluster.awaitMember(FailoverCluster.NAMES[victim], Duration.ofSeconds(30));
                Thread.sleep(3000); // time to flush anything it held
                MultipathClient.Verification v = client.verify(cluster.portal(survivor));
                System.out.printf(
                        "SIGSTOP: first write on the survivor %.3f s after the freeze, max stall %.3f s, "
                                + "%d held writes, %d acknowledged; read-back after resume %s%n",
                        client.markToFirstAckSeconds(), client.maxStallSeconds(), held.size(), client.acked(), v);
                assertThat(v.stale())
                        .as("stale writes (a held write landed after the failover)")
                        .isZero();
                assertThat(v.lost()).as("lost writes").isZero();
                assertThat(v.foreign()).isZero();
            }

            // it rejoined: serves the LUN again (non-optimized, or optimized after a failback), reads and writes
            String victimOut = cluster.output(victim);
            assertThat(victimOut).doesNotContain("LEAK");
            try (TestInitiator host = new TestInitiator(cluster.portal(victim)).isid(0x23d000000077L)) {
                host.login(TestInitiator.normalKeys(FailoverCluster.HOST, FailoverCluster.IQN));
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    int state = MultipathClient.parseStates(command(
                                    host, new byte[] {(byte) 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0}, 1024, null))
                            .get(victim + 1);
                    assertThat(state).isIn(TargetPortGroups.ACTIVE_OPTIMIZED, TargetPortGroups.ACTIVE_NON_OPTIMIZED);
                });
                byte[] data = new byte[4096];
                ThreadLocalRandom.current().nextBytes(data);
                long lba = (UNITS + 8) * 8L;
                byte[] w = {0x2A, 0, 0, 0, (byte) (lba >>> 8), (byte) lba, 0, 0, 8, 0};
                await().atMost(Duration.ofSeconds(30))
                        .ignoreExceptions()
                        .untilAsserted(() -> command(host, w, 4096, data));
                byte[] r = {0x28, 0, 0, 0, (byte) (lba >>> 8), (byte) lba, 0, 0, 8, 0};
                assertThat(command(host, r, 4096, null)).isEqualTo(data);
                try (TestInitiator other = new TestInitiator(cluster.portal(survivor)).isid(0x23d000000078L)) {
                    other.login(TestInitiator.normalKeys(FailoverCluster.HOST, FailoverCluster.IQN));
                    await().atMost(Duration.ofSeconds(10))
                            .ignoreExceptions()
                            .untilAsserted(() ->
                                    assertThat(command(other, r, 4096, null)).isEqualTo(data));
                }
            }
            assertThat(cluster.output(survivor)).contains("blocklisted").doesNotContain("LEAK");
        }
    }

    @Test
    void writesHeldThroughAFreezeShorterThanTheSessionTimeoutAreDroppedWhenItResumes() throws Exception {
        // a 10 s session outlives the ~3 s freeze: the coordinator never fences the frozen owner; its stall guard
        // stands between the writes held in its socket and the newer data the client wrote meanwhile through the
        // survivor (without the guard all 8 held writes landed, stale, in a trial run), the write token between
        // those inside its librbd and that data
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, new FailoverCluster.Timing(10, 1))) {
            LunOwnership before = cluster.ownership();
            int victim = FailoverCluster.indexOf(before.owner());
            int survivor = 1 - victim;
            // both gateways are daemons of service rbdgw in Ceph's service map: what `ceph -s` counts
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        Cmd dump = Cmd.run(
                                60, "ceph", "-c", TestCluster.conf().toString(), "service", "dump", "-f", "json");
                        assertThat(dump.exitCode()).as(dump.toString()).isZero();
                        assertThat(dump.output())
                                .contains("\"rbdgw\"")
                                .contains("\"" + FailoverCluster.NAMES[0] + "\"")
                                .contains("\"" + FailoverCluster.NAMES[1] + "\"");
                    });
            try (MultipathClient client = client(cluster, victim)) {
                client.start();
                Thread.sleep(2000);
                client.mark(victim);
                // nothing in flight when it stops (so nothing sits in librbd, which only fencing can stop), then 8
                // writes that are certain to wait unread in its socket
                List<Long> held = client.runOnWriter(
                        () -> {
                            try {
                                cluster.signal(victim, "STOP");
                                await().atMost(Duration.ofSeconds(5)).until(() -> cluster.isStopped(victim));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        8,
                        true);
                await().atMost(Duration.ofSeconds(10)).until(() -> !Double.isNaN(client.markToFirstAckSeconds()));
                Thread.sleep(500);
                client.stop();
                for (long seq : held) {
                    assertThat(client.lastAckedOfUnitOf(seq)).isGreaterThan(seq);
                }
                assertThat(cluster.ownership().owner())
                        .as("not failed over in ZooKeeper yet")
                        .isEqualTo(before.owner());

                cluster.signal(victim, "CONT");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> cluster.output(victim).contains("did not run for"));
                Thread.sleep(2000);
                MultipathClient.Verification v = client.verify(cluster.portal(survivor));
                System.out.printf(
                        "short SIGSTOP: first write on the survivor %.3f s after the freeze; read-back after "
                                + "resume %s%n",
                        client.markToFirstAckSeconds(), v);
                // the stall guard drops what sat in its socket; what was inside its librbd is kept out by the write
                // token: the survivor acknowledged the retries only after fencing it (the coordinator never did)
                assertThat(cluster.output(victim)).contains("a PDU arrived while this gateway was stalled");
                assertThat(cluster.output(survivor)).contains("did not hand over the write token");
                assertThat(cluster.ownership().owner())
                        .as("never failed over by the coordinator")
                        .isEqualTo(before.owner());
                assertThat(v.stale()).as("stale writes").isZero();
                assertThat(v.lost()).as("lost writes").isZero();
                assertThat(v.foreign()).isZero();
            }
        }
    }

    /** One command on LUN 0; returns the data read; throws on anything but GOOD (so awaits retry unit attentions). */
    private static byte[] command(TestInitiator host, byte[] cdb, int length, byte[] out) throws Exception {
        boolean write = out != null;
        host.send(host.command(
                cdb, !write, write, length, write ? Unpooled.wrappedBuffer(out) : Unpooled.EMPTY_BUFFER, true));
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        while (true) {
            Object o = host.poll(5000);
            if (o == null) {
                throw new AssertionError("no response within 5 s");
            }
            try {
                if (o instanceof DataIn d) {
                    byte[] b = new byte[d.data().readableBytes()];
                    d.data().getBytes(d.data().readerIndex(), b);
                    in.write(b);
                    if (d.hasStatus()) {
                        return in.toByteArray();
                    }
                } else if (o instanceof ScsiResponse r) {
                    if (r.status() != 0) {
                        throw new IllegalStateException("status " + r.status() + " sense "
                                + Arrays.toString(Arrays.copyOf(ByteBufs.bytes(r), 18)));
                    }
                    return in.toByteArray();
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
    }

    private static final class ByteBufs {
        static byte[] bytes(ScsiResponse r) {
            byte[] b = new byte[r.data().readableBytes()];
            r.data().getBytes(r.data().readerIndex(), b);
            return b;
        }
    }
}
