package io.rbdgw.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.NopIn;
import io.rbdgw.iscsi.pdu.NopOut;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.TestCluster;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RBD LUNs served by packaged gateway processes on the real test cluster, driven PDU by PDU with the
 * test initiator: COMPARE AND WRITE across two gateways on one image, an {@code rbd resize}
 * that reaches the initiator as a unit attention, and GET LBA STATUS from librbd's allocation.
 */
class RbdSessionIT {

    static final int NO_TAG = 0xffffffff;
    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int MISCOMPARE = 0x0E1D00;

    @TempDir
    Path dir;

    String image;
    final List<GatewayProcess> gateways = new ArrayList<>();
    final List<TestInitiator> sessions = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        synchronized (sessions) {
            sessions.forEach(TestInitiator::close);
        }
        for (GatewayProcess gw : gateways) {
            gw.close();
            assertThat(gw.output()).doesNotContain("LEAK:");
        }
        if (image != null) {
            TestCluster.removeImage(image);
        }
    }

    /**
     * Sessions on two gateways (two portals, one image) each increment a counter kept in block 0
     * with read + COMPARE AND WRITE, retrying on MISCOMPARE. Were the compare and the write not one
     * atomic step across gateways, two writers could both succeed from the same old value and
     * increments would be lost.
     */
    @Test
    void compareAndWriteIsAtomicAcrossTwoGateways() throws Exception {
        image = TestCluster.createImage("rbdsess-caw", "64M");
        GatewayProcess a = gateway("a");
        GatewayProcess b = gateway("b");
        int perGateway = 2;
        int increments = 15;
        List<TestInitiator> clients = new ArrayList<>();
        for (int i = 0; i < 2 * perGateway; i++) {
            clients.add(session(i % 2 == 0 ? a : b, "iqn.2026-11.test:caw" + i, 0x23d000000100L + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (TestInitiator c : clients) {
                results.add(pool.submit(incrementer(c, increments)));
            }
            int miscompares = 0;
            for (Future<Integer> f : results) {
                miscompares += f.get(150, TimeUnit.SECONDS);
            }
            int total = clients.size() * increments;
            System.out.printf(
                    "compare and write: %d increments by %d sessions on 2 gateways, %d miscompares%n",
                    total, clients.size(), miscompares);
            assertThat(miscompares)
                    .as("the writers really raced (else this test proves nothing)")
                    .isPositive();
            assertThat(counter(readBlock(clients.get(0), 0)))
                    .as("counter read through gateway a")
                    .isEqualTo(total);
            assertThat(counter(readBlock(clients.get(1), 0)))
                    .as("counter read through gateway b")
                    .isEqualTo(total);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Increments the counter {@code n} times; returns how many MISCOMPAREs it had to retry. */
    private static Callable<Integer> incrementer(TestInitiator c, int n) {
        return () -> {
            int miscompares = 0;
            for (int done = 0; done < n; ) {
                byte[] old = readBlock(c, 0);
                byte[] data = new byte[1024];
                System.arraycopy(old, 0, data, 0, 512);
                ByteBuffer.wrap(data, 512, 512).putLong(counter(old) + 1).putLong(c.isid());
                byte[] cdb = new byte[16];
                cdb[0] = (byte) 0x89;
                ByteBuffer.wrap(cdb, 2, 8).putLong(0); // LBA 0
                cdb[13] = 1; // one block: 512 bytes to compare, then 512 to write
                c.send(c.command(cdb, false, true, data.length, Unpooled.wrappedBuffer(data), true));
                ScsiResponse r = next(c, ScsiResponse.class);
                try {
                    if (r.status() == GOOD) {
                        done++;
                    } else if (r.status() == CHECK_CONDITION && TestInitiator.senseKeyAscAscq(r) == MISCOMPARE) {
                        miscompares++;
                    } else {
                        throw new AssertionError("COMPARE AND WRITE: status " + r.status() + " sense "
                                + (r.status() == CHECK_CONDITION
                                        ? Integer.toHexString(TestInitiator.senseKeyAscAscq(r))
                                        : "-"));
                    }
                } finally {
                    r.release();
                }
            }
            return miscompares;
        };
    }

    /** {@code rbd resize} while a session is logged in: CAPACITY DATA HAS CHANGED, then the new size. */
    @Test
    void rbdResizeReachesTheInitiatorAsCapacityDataHasChanged() throws Exception {
        image = TestCluster.createImage("rbdsess-resize", "1G");
        GatewayProcess gw = gateway("r");
        TestInitiator c = session(gw, "iqn.2026-11.test:resize", 0x23d000000200L);
        assertThat(readCapacity16(c)).isEqualTo(1L << 30);

        TestCluster.rbd("resize", "--no-progress", "--size", "2G", TestCluster.POOL + "/" + image);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int status;
        int sense = 0;
        do {
            Thread.sleep(100);
            ScsiResponse r = testUnitReady(c);
            status = r.status();
            if (status == CHECK_CONDITION) {
                sense = TestInitiator.senseKeyAscAscq(r);
            }
            r.release();
        } while (status == GOOD && System.nanoTime() < deadline);
        assertThat(status).as("TEST UNIT READY within 10 s of rbd resize").isEqualTo(CHECK_CONDITION);
        assertThat(Integer.toHexString(sense)).as("sense key/ASC/ASCQ").isEqualTo(Integer.toHexString(0x062A09));

        assertThat(readCapacity16(c)).isEqualTo(2L << 30);
        ScsiResponse again = testUnitReady(c);
        assertThat(again.status()).as("the unit attention is reported once").isEqualTo(GOOD);
        again.release();
    }

    /**
     * GET LBA STATUS through a gateway process: holes and written data of the image as librbd sees
     * them, consistent with READ CAPACITY(16) (LBPME set, LBPRZ clear: an UNMAP inside an object may
     * leave data behind).
     */
    @Test
    void getLbaStatusReportsTheImagesAllocation() throws Exception {
        image = TestCluster.createImage("rbdsess-lbas", "64M");
        GatewayProcess gw = gateway("l");
        TestInitiator c = session(gw, "iqn.2026-11.test:lbas", 0x23d000000300L);
        long blocks = 64L * 1024 * 1024 / 512;
        long objectBlocks = 4L * 1024 * 1024 / 512;

        byte[] cap = readCapacity16Data(c);
        assertThat(cap[14] & 0x80).as("LBPME").isNotZero();
        assertThat(cap[14] & 0x40).as("LBPRZ").isZero();

        assertThat(lbaStatus(c, 0)).as("fresh image").containsExactly(0, blocks, 1);

        long dataLba = 2 * objectBlocks; // start of the third object
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x8A; // WRITE(16)
        ByteBuffer.wrap(cdb, 2, 8).putLong(dataLba);
        cdb[13] = 8;
        ScsiResponse w = command(c, cdb, new byte[4096]); // zeros, but written: the object exists
        assertThat(w.status()).isEqualTo(GOOD);
        w.release();

        assertThat(lbaStatus(c, 0)).as("hole before the data").containsExactly(0, dataLba, 1);
        assertThat(lbaStatus(c, 100)).as("inside the hole").containsExactly(100, dataLba - 100, 1);
        assertThat(lbaStatus(c, dataLba)).as("the data").containsExactly(dataLba, 8, 0);
        assertThat(lbaStatus(c, dataLba + 8))
                .as("after the data")
                .containsExactly(dataLba + 8, blocks - dataLba - 8, 1);

        byte[] unmap = new byte[10];
        unmap[0] = 0x42;
        unmap[8] = 24; // PARAMETER LIST LENGTH
        ByteBuffer list = ByteBuffer.allocate(24);
        list.putShort((short) 22).putShort((short) 16).putInt(0);
        list.putLong(dataLba).putInt((int) objectBlocks).putInt(0); // the whole object
        ScsiResponse u = command(c, unmap, list.array());
        assertThat(u.status()).isEqualTo(GOOD);
        u.release();
        assertThat(lbaStatus(c, 0)).as("after unmapping the object").containsExactly(0, blocks, 1);
    }

    /** A command with immediate data-out; the caller releases the response. */
    private static ScsiResponse command(TestInitiator c, byte[] cdb, byte[] data) throws Exception {
        c.send(c.command(cdb, false, true, data.length, Unpooled.wrappedBuffer(data), true));
        return next(c, ScsiResponse.class);
    }

    /** GET LBA STATUS at {@code lba}: the first descriptor as {lba, blocks, provisioning status}. */
    private static long[] lbaStatus(TestInitiator c, long lba) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x12;
        ByteBuffer.wrap(cdb, 2, 8).putLong(lba);
        cdb[13] = 24;
        ByteBuffer b = ByteBuffer.wrap(dataIn(c, cdb, 24));
        assertThat(b.getInt(0)).as("PARAMETER DATA LENGTH: one descriptor").isEqualTo(20);
        return new long[] {b.getLong(8), b.getInt(16) & 0xFFFF_FFFFL, b.get(20) & 0x0F};
    }

    private GatewayProcess gateway(String name) throws Exception {
        GatewayProcess gw = GatewayProcess.rbd(dir.resolve("data-" + name), image);
        gateways.add(gw);
        return gw;
    }

    /** A logged-in session with immediate data (the 1024-byte COMPARE AND WRITE needs no R2T). */
    private TestInitiator session(GatewayProcess gw, String initiator, long isid) throws Exception {
        TestInitiator c = new TestInitiator(new InetSocketAddress("127.0.0.1", gw.port()));
        synchronized (sessions) {
            sessions.add(c);
        }
        c.isid(isid);
        Map<String, String> keys = TestInitiator.normalKeys(initiator, gw.iqn());
        keys.put("ImmediateData", "Yes");
        keys.put("FirstBurstLength", "65536");
        Map<String, String> answer = c.login(keys);
        assertThat(answer.get("ImmediateData")).as("login answer " + answer).isEqualTo("Yes");
        ScsiResponse ua = testUnitReady(c);
        try {
            assertThat(ua.status()).isEqualTo(CHECK_CONDITION);
            assertThat(TestInitiator.senseKeyAscAscq(ua)).as("power on / reset").isEqualTo(0x062900);
        } finally {
            ua.release();
        }
        return c;
    }

    private static ScsiResponse testUnitReady(TestInitiator c) throws Exception {
        c.send(c.command(new byte[6], false, false, 0, null, true));
        return next(c, ScsiResponse.class);
    }

    private static long readCapacity16(TestInitiator c) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(readCapacity16Data(c));
        long lastLba = b.getLong(0);
        int blockLength = b.getInt(8);
        return (lastLba + 1) * blockLength;
    }

    private static byte[] readCapacity16Data(TestInitiator c) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x10;
        cdb[13] = 32;
        return dataIn(c, cdb, 32);
    }

    private static byte[] readBlock(TestInitiator c, long lba) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x88; // READ(16)
        ByteBuffer.wrap(cdb, 2, 8).putLong(lba);
        cdb[13] = 1;
        return dataIn(c, cdb, 512);
    }

    /** Sends a read-type command and gathers its Data-In; fails unless it ends GOOD with all bytes. */
    private static byte[] dataIn(TestInitiator c, byte[] cdb, int length) throws Exception {
        c.send(c.command(cdb, true, false, length, null, true));
        byte[] out = new byte[length];
        int got = 0;
        while (true) {
            Object o = next(c, Object.class);
            try {
                if (o instanceof DataIn d) {
                    ByteBuf data = d.data();
                    int n = data.readableBytes();
                    data.getBytes(data.readerIndex(), out, d.bufferOffset(), n);
                    got += n;
                    if (d.hasStatus()) {
                        assertThat(d.status()).isEqualTo(GOOD);
                        break;
                    }
                } else if (o instanceof ScsiResponse r) {
                    assertThat(r.status())
                            .as("status of opcode %02x", cdb[0] & 0xff)
                            .isEqualTo(GOOD);
                    break;
                } else {
                    throw new AssertionError("unexpected " + o);
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        assertThat(got).isEqualTo(length);
        return out;
    }

    /**
     * The next PDU for the test, answering the target's NOP-In pings on the way and keeping
     * ExpStatSN current. Caller releases it.
     */
    private static <T> T next(TestInitiator c, Class<T> type) throws Exception {
        while (true) {
            Object o = c.poll(30_000);
            if (o == null) {
                throw new AssertionError("no PDU within 30 s" + (c.isClosed() ? " (connection closed)" : ""));
            }
            if (o instanceof NopIn ping && ping.ttt() != NO_TAG) {
                c.send(new NopOut(true, 0, NO_TAG, ping.ttt(), c.cmdSN(), c.expStatSN(), Unpooled.EMPTY_BUFFER));
                ping.release();
                continue;
            }
            if (o instanceof ScsiResponse r) {
                c.expStatSN(r.statSN() + 1);
            } else if (o instanceof DataIn d && d.hasStatus()) {
                c.expStatSN(d.statSN() + 1);
            }
            if (!type.isInstance(o)) {
                String s = o.toString();
                ReferenceCountUtil.release(o);
                throw new AssertionError("expected " + type.getSimpleName() + " but got " + s);
            }
            return type.cast(o);
        }
    }

    private static long counter(byte[] block) {
        return ByteBuffer.wrap(block).getLong(0);
    }
}
