package io.rbdgw.it.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Windows failover cluster's disk arbitration across the gateway pair, with real iSCSI sessions to two
 * {@code run} gateways on the dev Ceph cluster: two host nodes with a session through each gateway; node 1
 * registers on both its paths and takes Write Exclusive - Registrants Only; node 2 registers; node 1 dies (its
 * sessions drop); node 2 PREEMPT AND ABORTs through gateway B and writes; node 1's writes through either gateway
 * get RESERVATION CONFLICT; gateway A is SIGKILLed: the reservation and registrations are unchanged on B, and on A
 * once it restarted. Then the PERSISTENT RESERVE OUT latency through each gateway (REGISTER AND IGNORE EXISTING KEY).
 */
class WindowsClusterReservationIT {
    static final String NODE1 = "iqn.1991-05.com.microsoft:node1.cluster.test";
    static final String NODE2 = "iqn.1991-05.com.microsoft:node2.cluster.test";
    static final long K1 = 0x1111_0000_0000_0001L;
    static final long K2 = 0x2222_0000_0000_0002L;
    static final int GOOD = 0;
    static final int CHECK_CONDITION = 2;
    static final int RESERVATION_CONFLICT = 0x18;
    static final int WERO = 5;

    @TempDir
    Path dir;

    /** One session of a host node to one gateway. */
    static final class Path1 implements AutoCloseable {
        final TestInitiator conn;
        int status;
        byte[] data;
        byte[] sense;

        Path1(InetSocketAddress portal, String initiator, long isid) throws Exception {
            conn = new TestInitiator(portal).isid(isid);
            try {
                conn.login(TestInitiator.normalKeys(initiator, FailoverCluster.IQN));
                // the first commands see 29/00 (new nexus) and possibly ALUA/LUN changes: clear them
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (exec(new byte[] {0, 0, 0, 0, 0, 0}, 0, null) != GOOD) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError(
                                "TEST UNIT READY keeps failing: " + status + " " + Arrays.toString(sense));
                    }
                }
            } catch (Throwable t) {
                conn.close();
                throw t;
            }
        }

        /** A session once the gateway serves its portal (a restarted one holds it until its state is applied). */
        static Path1 once(InetSocketAddress portal, String initiator, long isid, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    return new Path1(portal, initiator, isid);
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception | AssertionError notYet) {
                    // a portal that does not serve yet refuses the connection (Netty rethrows the checked
                    // ConnectException) or closes it during the login
                    if (System.nanoTime() - deadline > 0) {
                        throw notYet;
                    }
                    Thread.sleep(500); // nothing to await: the portal resets connections until it serves
                }
            }
        }

        int exec(byte[] cdb, int readLength, byte[] out) throws Exception {
            boolean write = out != null;
            ByteBuf imm = write ? Unpooled.wrappedBuffer(out) : Unpooled.EMPTY_BUFFER;
            ScsiCommand cmd = conn.command(cdb, readLength > 0, write, write ? out.length : readLength, imm, true);
            conn.send(cmd);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                Object o = conn.poll(100);
                if (o == null) {
                    if (System.nanoTime() - deadline > 0 || conn.isClosed()) {
                        throw new AssertionError("no response to " + String.format("%02x", cdb[0]));
                    }
                    continue;
                }
                try {
                    if (o instanceof DataIn d && d.itt() == cmd.itt()) {
                        in.write(ByteBufUtil.getBytes(d.data()));
                        if (d.hasStatus()) {
                            status = d.status();
                            sense = null;
                            data = in.toByteArray();
                            return status;
                        }
                    } else if (o instanceof ScsiResponse r && r.itt() == cmd.itt()) {
                        status = r.status();
                        byte[] s = ByteBufUtil.getBytes(r.data());
                        sense = s.length > 2 ? Arrays.copyOfRange(s, 2, s.length) : null;
                        data = in.toByteArray();
                        return status;
                    }
                } finally {
                    ReferenceCountUtil.release(o);
                }
            }
        }

        int prOut(int sa, int type, long rk, long sark) throws Exception {
            byte[] cdb = {0x5F, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0};
            return exec(
                    cdb, 0, ByteBuffer.allocate(24).putLong(rk).putLong(sark).array());
        }

        /** PERSISTENT RESERVE IN data, or an AssertionError. */
        ByteBuffer prIn(int sa) throws Exception {
            assertThat(exec(new byte[] {0x5E, (byte) sa, 0, 0, 0, 0, 0, 0x10, 0, 0}, 4096, null))
                    .isEqualTo(GOOD);
            return ByteBuffer.wrap(data);
        }

        /** WRITE(10) of one block at LBA 0; retries while the write token moves (02/04/0A, a host retries too). */
        int write(byte fill) throws Exception {
            byte[] block = new byte[512];
            Arrays.fill(block, fill);
            for (int i = 0; i < 10; i++) {
                int s = exec(new byte[] {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 0, block);
                if (s != CHECK_CONDITION || sense == null || (sense[2] & 0x0f) != 2) {
                    return s;
                }
            }
            return status;
        }

        @Override
        public void close() {
            conn.close();
        }
    }

    /** "generation keys..." of READ KEYS. */
    static String keys(Path1 p) throws Exception {
        ByteBuffer b = p.prIn(0);
        int generation = b.getInt();
        int len = b.getInt();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < len / 8; i++) {
            keys.add(Long.toHexString(b.getLong()));
        }
        Collections.sort(keys);
        return generation + " " + keys;
    }

    /** "key type" of READ RESERVATION, or "none". */
    static String reservation(Path1 p) throws Exception {
        ByteBuffer b = p.prIn(1);
        b.getInt();
        if (b.getInt() == 0) {
            return "none";
        }
        long key = b.getLong();
        b.getInt();
        b.get();
        return Long.toHexString(key) + " type " + (b.get() & 0x0f);
    }

    @Test
    void nodeTwoPreemptsNodeOneThroughTheOtherGatewayAndEveryGatewayAgreesAcrossACrash() throws Exception {
        try (FailoverCluster c = FailoverCluster.start(dir, 256L << 20, new FailoverCluster.Timing(null, null))) {
            c.allow(NODE1, NODE2);
            Path1 n2a = new Path1(c.portal(0), NODE2, 0x400001370000L);
            Path1 n2b = new Path1(c.portal(1), NODE2, 0x400001370001L);
            try (Path1 n1a = new Path1(c.portal(0), NODE1, 0x400001370000L);
                    Path1 n1b = new Path1(c.portal(1), NODE1, 0x400001370001L)) {
                assertThat(n1a.prOut(0, 0, 0, K1)).isEqualTo(GOOD);
                assertThat(n1b.prOut(0, 0, 0, K1)).isEqualTo(GOOD);
                assertThat(n1a.prOut(1, WERO, K1, 0))
                        .as("RESERVE WERO through A")
                        .isEqualTo(GOOD);
                assertThat(n2a.prOut(0, 0, 0, K2)).isEqualTo(GOOD);
                assertThat(n2b.prOut(0, 0, 0, K2)).isEqualTo(GOOD);
                assertThat(reservation(n2b)).isEqualTo(Long.toHexString(K1) + " type 5");
                assertThat(n1b.write((byte) 1)).as("node 1 writes through B").isEqualTo(GOOD);
            } // node 1 dies: its sessions drop
            assertThat(n2b.prOut(5, WERO, K2, K1))
                    .as("PREEMPT AND ABORT through B")
                    .isEqualTo(GOOD);
            assertThat(n2b.write((byte) 2)).as("node 2 writes through B").isEqualTo(GOOD);
            String keys = keys(n2b);
            String reservation = reservation(n2b);
            assertThat(reservation).isEqualTo(Long.toHexString(K2) + " type 5");
            assertThat(keys).endsWith("[" + Long.toHexString(K2) + ", " + Long.toHexString(K2) + "]");
            assertThat(keys(n2a)).as("gateway A agrees").isEqualTo(keys);
            assertThat(reservation(n2a)).isEqualTo(reservation);
            for (int g = 0; g < 2; g++) {
                try (Path1 n1 = new Path1(c.portal(g), NODE1, 0x400001370000L + g)) {
                    assertThat(n1.write((byte) 3))
                            .as("node 1 through gateway " + g)
                            .isEqualTo(RESERVATION_CONFLICT);
                }
            }
            // gateway A crashes: B keeps the same state
            n2a.close();
            c.signal(0, "KILL");
            assertThat(keys(n2b)).isEqualTo(keys);
            assertThat(reservation(n2b)).isEqualTo(reservation);
            try (Path1 n1b = new Path1(c.portal(1), NODE1, 0x400001370001L)) {
                assertThat(n1b.write((byte) 4)).isEqualTo(RESERVATION_CONFLICT);
            }
            // ... and A has it again once restarted
            c.restart(0);
            c.awaitMember(FailoverCluster.NAMES[0], Duration.ofSeconds(60));
            Path1 n2a2 = Path1.once(c.portal(0), NODE2, 0x400001370000L, Duration.ofSeconds(60));
            assertThat(keys(n2a2)).isEqualTo(keys);
            assertThat(reservation(n2a2)).isEqualTo(reservation);
            try (Path1 n1a = new Path1(c.portal(0), NODE1, 0x400001370000L)) {
                assertThat(n1a.write((byte) 5)).isEqualTo(RESERVATION_CONFLICT);
            }
            assertThat(n2a2.write((byte) 6))
                    .as("node 2 through the restarted A")
                    .isEqualTo(GOOD);

            // PROUT latency: REGISTER AND IGNORE EXISTING KEY (a stored change each) through each gateway
            for (Path1 p : List.of(n2a2, n2b)) {
                long[] nanos = new long[200];
                for (int i = 0; i < nanos.length; i++) {
                    long t0 = System.nanoTime();
                    int status = p.prOut(6, 0, 0, K2);
                    if (status == CHECK_CONDITION && p.sense != null && (p.sense[2] & 0x0f) == 6) {
                        i--; // a unit attention (the restarted gateway changed the ALUA states): not a PROUT
                        continue;
                    }
                    assertThat(status).isEqualTo(GOOD);
                    nanos[i] = System.nanoTime() - t0;
                }
                Arrays.sort(nanos);
                System.out.printf(
                        "PROUT REGISTER latency through gateway %s: median %.2f ms, p99 %.2f ms, max %.2f ms "
                                + "(%d operations)%n",
                        p == n2b ? "B" : "A",
                        nanos[nanos.length / 2] / 1e6,
                        nanos[nanos.length * 99 / 100] / 1e6,
                        nanos[nanos.length - 1] / 1e6,
                        nanos.length);
            }
            n2a2.close();
            n2b.close();
            for (int g = 0; g < 2; g++) {
                for (String line : c.output(g).split("\n")) {
                    if (line.contains("reservation") || line.contains("fenc")) {
                        System.out.println(FailoverCluster.NAMES[g] + ": " + line);
                    }
                }
            }
        }
    }
}
