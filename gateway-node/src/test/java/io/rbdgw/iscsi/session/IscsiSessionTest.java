package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.LogoutRequest;
import io.rbdgw.iscsi.pdu.LogoutResponse;
import io.rbdgw.iscsi.pdu.NopIn;
import io.rbdgw.iscsi.pdu.NopOut;
import io.rbdgw.iscsi.pdu.R2t;
import io.rbdgw.iscsi.pdu.Reject;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.pdu.TaskManagementRequest;
import io.rbdgw.iscsi.pdu.TaskManagementResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session layer against a real portal on loopback, driven PDU by PDU. */
class IscsiSessionTest {

    static final String TARGET = "iqn.2026-11.io.rbdgw:test";
    static final String INITIATOR = "iqn.2026-11.test:init";
    static final int NO_TAG = 0xffffffff;

    IscsiServer server;
    InetSocketAddress address;
    MemoryBlockDevice device;
    ScsiTarget scsi;
    final List<TestInitiator> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        device = new MemoryBlockDevice(64L << 20, 512, "memory:test");
        scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> !i.contains("denied")), scsi));
        ConnectionSettings settings =
                ConnectionSettings.defaults().withNopIn(Duration.ofMillis(300), Duration.ofMillis(600));
        server = new IscsiServer(targets, new SessionRegistry(), settings, 2);
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        clients.forEach(TestInitiator::close);
        server.close();
        device.close();
    }

    TestInitiator connect() throws Exception {
        TestInitiator c = new TestInitiator(address);
        clients.add(c);
        return c;
    }

    TestInitiator loggedIn(Map<String, String> extra) throws Exception {
        TestInitiator c = connect();
        Map<String, String> keys = TestInitiator.normalKeys(INITIATOR, TARGET);
        keys.putAll(extra);
        c.login(keys);
        clearPowerOnUa(c);
        return c;
    }

    /** The first command after login gets the power-on unit attention; consume it. */
    static void clearPowerOnUa(TestInitiator c) throws Exception {
        TestInitiator.clearPowerOnUa(c);
    }

    static void expectUnitAttention(TestInitiator c, int keyAscAscq) throws Exception {
        TestInitiator.expectUnitAttention(c, keyAscAscq);
    }

    static int senseKeyAscAscq(ScsiResponse r) {
        return TestInitiator.senseKeyAscAscq(r);
    }

    static byte[] rw10(int opcode, long lba, int blocks) {
        return TestInitiator.rw10(opcode, lba, blocks);
    }

    static byte[] random(int n, long seed) {
        return TestInitiator.random(n, seed);
    }

    static byte[] read(TestInitiator c, long lba, int blocks, int mrdsl) throws Exception {
        return TestInitiator.read(c, lba, blocks, mrdsl);
    }

    @Test
    void writeThroughR2tsWithSeveralOutstandingThenReadBackInMaxRecvPieces() throws Exception {
        TestInitiator c = loggedIn(Map.of(
                "InitialR2T",
                "Yes",
                "ImmediateData",
                "No",
                "MaxBurstLength",
                "65536",
                "MaxOutstandingR2T",
                "4",
                "MaxRecvDataSegmentLength",
                "8192"));
        byte[] data = random(1 << 20, 1);
        ScsiCommand cmd = c.command(rw10(0x2A, 100, data.length / 512), false, true, data.length, null, true);
        c.send(cmd);
        // the target solicits the megabyte in 64 KiB bursts, at most 4 at a time
        List<R2t> open = new ArrayList<>();
        int solicited = 0;
        int maxOpen = 0;
        int nextR2tSN = 0;
        while (solicited < data.length || !open.isEmpty()) {
            Object o = c.poll(open.isEmpty() ? 5000 : 100);
            if (o instanceof R2t r) {
                assertThat(r.r2tSN()).isEqualTo(nextR2tSN++);
                assertThat(r.desiredDataTransferLength()).isLessThanOrEqualTo(65536);
                assertThat(r.bufferOffset()).isEqualTo(solicited);
                solicited += r.desiredDataTransferLength();
                open.add(r);
                maxOpen = Math.max(maxOpen, open.size());
                continue;
            }
            assertThat(o).as("unexpected PDU").isNull();
            // answer the oldest R2T in 8 KiB Data-Out PDUs
            R2t r = open.remove(0);
            int off = r.bufferOffset();
            int end = off + r.desiredDataTransferLength();
            int dataSN = 0;
            for (int p = off; p < end; p += 8192) {
                int n = Math.min(8192, end - p);
                c.send(new DataOut(
                        p + n == end,
                        0,
                        cmd.itt(),
                        r.ttt(),
                        c.expStatSN,
                        dataSN++,
                        p,
                        Unpooled.wrappedBuffer(data, p, n)));
            }
        }
        assertThat(maxOpen).isEqualTo(4);
        ScsiResponse resp = c.expect(ScsiResponse.class, 5000);
        assertThat(resp.status()).isZero();
        resp.release();
        assertThat(read(c, 100, data.length / 512, 8192)).isEqualTo(data);
    }

    @Test
    void writeWhoseR2tsAreAnsweredOutOfOrderStillLandsInPlace() throws Exception {
        // Data-out is kept as received while it arrives in offset order; answering the newest R2T
        // first forces the switch to one assembled buffer half-way through the write.
        TestInitiator c = loggedIn(Map.of(
                "InitialR2T",
                "No",
                "ImmediateData",
                "Yes",
                "FirstBurstLength",
                "16384",
                "MaxBurstLength",
                "32768",
                "MaxOutstandingR2T",
                "4",
                "MaxRecvDataSegmentLength",
                "8192"));
        byte[] data = random(16384 + 4 * 32768, 4);
        ScsiCommand cmd = c.command(
                rw10(0x2A, 300, data.length / 512),
                false,
                true,
                data.length,
                Unpooled.wrappedBuffer(data, 0, 8192),
                false);
        c.send(cmd);
        c.send(new DataOut(true, 0, cmd.itt(), NO_TAG, c.expStatSN, 0, 8192, Unpooled.wrappedBuffer(data, 8192, 8192)));
        List<R2t> open = new ArrayList<>();
        while (open.size() < 4) {
            open.add(c.expect(R2t.class, 5000));
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            R2t r = open.get(i);
            int end = r.bufferOffset() + r.desiredDataTransferLength();
            int dataSN = 0;
            for (int p = r.bufferOffset(); p < end; p += 8192) {
                c.send(new DataOut(
                        p + 8192 >= end,
                        0,
                        cmd.itt(),
                        r.ttt(),
                        c.expStatSN,
                        dataSN++,
                        p,
                        Unpooled.wrappedBuffer(data, p, Math.min(8192, end - p))));
            }
        }
        ScsiResponse resp = c.expect(ScsiResponse.class, 5000);
        assertThat(resp.status()).isZero();
        resp.release();
        assertThat(read(c, 300, data.length / 512, 8192)).isEqualTo(data);
    }

    @Test
    void immediateAndUnsolicitedDataNeedNoR2tForTheFirstBurst() throws Exception {
        TestInitiator c = loggedIn(Map.of(
                "InitialR2T",
                "No",
                "ImmediateData",
                "Yes",
                "FirstBurstLength",
                "65536",
                "MaxBurstLength",
                "262144",
                "MaxRecvDataSegmentLength",
                "262144"));
        byte[] data = random(64 * 1024, 2);
        ScsiCommand cmd =
                c.command(rw10(0x2A, 8, 128), false, true, data.length, Unpooled.wrappedBuffer(data, 0, 16384), false);
        c.send(cmd);
        c.send(new DataOut(
                false, 0, cmd.itt(), NO_TAG, c.expStatSN, 0, 16384, Unpooled.wrappedBuffer(data, 16384, 16384)));
        c.send(new DataOut(
                true, 0, cmd.itt(), NO_TAG, c.expStatSN, 1, 32768, Unpooled.wrappedBuffer(data, 32768, 32768)));
        ScsiResponse resp = c.expect(ScsiResponse.class, 5000);
        assertThat(resp.status()).isZero();
        resp.release();
        assertThat(read(c, 8, 128, 262144)).isEqualTo(data);
    }

    @Test
    void writeLargerThanFirstBurstGetsR2tForTheRest() throws Exception {
        TestInitiator c = loggedIn(Map.of(
                "InitialR2T", "No", "ImmediateData", "Yes", "FirstBurstLength", "8192", "MaxBurstLength", "16384"));
        byte[] data = random(40960, 3);
        ScsiCommand cmd =
                c.command(rw10(0x2A, 0, 80), false, true, data.length, Unpooled.wrappedBuffer(data, 0, 8192), true);
        c.send(cmd);
        int off = 8192;
        while (off < data.length) {
            R2t r = c.expect(R2t.class, 5000);
            assertThat(r.bufferOffset()).isEqualTo(off);
            c.send(new DataOut(
                    true,
                    0,
                    cmd.itt(),
                    r.ttt(),
                    c.expStatSN,
                    0,
                    off,
                    Unpooled.wrappedBuffer(data, off, r.desiredDataTransferLength())));
            off += r.desiredDataTransferLength();
        }
        ScsiResponse resp = c.expect(ScsiResponse.class, 5000);
        assertThat(resp.status()).isZero();
        resp.release();
        assertThat(read(c, 0, 80, 8192)).isEqualTo(data);
    }

    @Test
    void commandOutsideTheWindowIsIgnored() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        c.cmdSN += 10_000; // far beyond MaxCmdSN
        c.send(c.command(new byte[6], false, false, 0, null, true));
        assertThat(c.poll(300)).isNull();
        c.cmdSN -= 10_001;
        c.send(c.command(new byte[6], false, false, 0, null, true));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isZero();
        assertThat(r.expCmdSN()).isEqualTo(c.cmdSN);
        assertThat(r.maxCmdSN() - r.expCmdSN()).isGreaterThan(0);
        r.release();
    }

    @Test
    void nopOutPingIsAnsweredWithItsData() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        c.send(new NopOut(
                false, 0, 0x77, NO_TAG, c.cmdSN++, c.expStatSN, Unpooled.copiedBuffer(new byte[] {1, 2, 3, 4, 5})));
        NopIn in = c.expect(NopIn.class, 5000);
        assertThat(in.itt()).isEqualTo(0x77);
        assertThat(in.ttt()).isEqualTo(NO_TAG);
        assertThat(io.netty.buffer.ByteBufUtil.getBytes(in.data())).containsExactly(1, 2, 3, 4, 5);
        in.release();
    }

    @Test
    void targetPingsAnIdleInitiatorAndDropsOneThatDoesNotAnswer() throws Exception {
        TestInitiator answering = loggedIn(Map.of());
        answering.answerPings = false;
        TestInitiator silent = connect();
        silent.answerPings = false;
        silent.isid++;
        silent.login(TestInitiator.normalKeys(INITIATOR, TARGET));
        NopIn ping = answering.expect(NopIn.class, 3000);
        assertThat(ping.ttt()).isNotEqualTo(NO_TAG);
        assertThat(ping.itt()).isEqualTo(NO_TAG);
        answering.send(
                new NopOut(true, 0, NO_TAG, ping.ttt(), answering.cmdSN, answering.expStatSN, Unpooled.EMPTY_BUFFER));
        ping.release();
        await().atMost(Duration.ofSeconds(5)).until(() -> silent.closed);
        assertThat(answering.closed).isFalse();
    }

    @Test
    void unknownOpcodeIsRejectedAndTheConnectionGoesOn() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        ByteBuf bogus = Unpooled.buffer(48);
        bogus.writeByte(0x1c).writeZero(47);
        c.channel
                .writeAndFlush(bogus)
                .syncUninterruptibly(); // the encoder passes raw ByteBufs through? use pipeline head
        Object o = c.poll(5000);
        assertThat(o).isInstanceOf(Reject.class);
        Reject rej = (Reject) o;
        assertThat(rej.reason()).isEqualTo(0x05);
        rej.release();
        c.send(c.command(new byte[6], false, false, 0, null, true));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isZero();
        r.release();
    }

    @Test
    void aReinstatedSessionKeepsItsNexusAfterTheOldConnectionIsTornDown() throws Exception {
        TestInitiator old = loggedIn(Map.of());
        // same initiator, ISID and target: session reinstatement; the old connection is closed by the target
        TestInitiator reinstated = connect();
        reinstated.login(TestInitiator.normalKeys(INITIATOR, TARGET));
        await().atMost(Duration.ofSeconds(5)).until(old::isClosed);
        Thread.sleep(100); // the old connection's teardown (nexus lost) has run on the target by now
        clearPowerOnUa(reinstated); // a fresh nexus

        // a LUN reset by another initiator must reach the reinstated session as 29/03
        TestInitiator other = connect();
        other.isid++;
        other.login(TestInitiator.normalKeys(INITIATOR + "2", TARGET));
        clearPowerOnUa(other);
        other.send(new TaskManagementRequest(true, 5, 0, other.itt++, NO_TAG, other.cmdSN, other.expStatSN, 0, 0));
        assertThat(other.expect(TaskManagementResponse.class, 5000).response()).isZero();
        expectUnitAttention(reinstated, 0x062903);
    }

    @Test
    void abortOfAnUnknownTaskAndLunResetAreAnswered() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        TestInitiator other = connect();
        other.isid++;
        other.login(TestInitiator.normalKeys(INITIATOR + "2", TARGET));
        clearPowerOnUa(other);

        c.send(new TaskManagementRequest(true, 1, 0, c.itt++, 0x4242, c.cmdSN, c.expStatSN, c.cmdSN - 1, 0));
        TaskManagementResponse r1 = c.expect(TaskManagementResponse.class, 5000);
        assertThat(r1.response()).isEqualTo(1); // task does not exist

        c.send(new TaskManagementRequest(true, 5, 0, c.itt++, NO_TAG, c.cmdSN, c.expStatSN, 0, 0));
        TaskManagementResponse r2 = c.expect(TaskManagementResponse.class, 5000);
        assertThat(r2.response()).isZero();

        // the other initiator learns about the reset through a unit attention
        other.send(other.command(new byte[6], false, false, 0, null, true));
        ScsiResponse ua = other.expect(ScsiResponse.class, 5000);
        assertThat(ua.status()).isEqualTo(2);
        assertThat(senseKeyAscAscq(ua)).isEqualTo(0x062903);
        ua.release();

        c.send(new TaskManagementRequest(true, 5, 0x0005000000000000L, c.itt++, NO_TAG, c.cmdSN, c.expStatSN, 0, 0));
        TaskManagementResponse r3 = c.expect(TaskManagementResponse.class, 5000);
        assertThat(r3.response()).isEqualTo(2); // LUN does not exist
    }

    static TaskManagementResponse tmf(TestInitiator c, int function, long lun) throws Exception {
        c.send(new TaskManagementRequest(true, function, lun << 48, c.itt++, NO_TAG, c.cmdSN, c.expStatSN, 0, 0));
        TaskManagementResponse r = c.expect(TaskManagementResponse.class, 5000);
        r.release();
        return r;
    }

    /** TEST UNIT READY to LUN 1: 0 when GOOD, else the sense as 0xKKAAQQ. */
    static int turLun1(TestInitiator c) throws Exception {
        ScsiCommand tur = c.command(new byte[6], false, false, 0, null, true);
        c.send(new ScsiCommand(
                false,
                true,
                false,
                false,
                1,
                1L << 48,
                tur.itt(),
                0,
                tur.cmdSN(),
                c.expStatSN,
                tur.cdb(),
                Unpooled.EMPTY_BUFFER));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        try {
            return r.status() == 0 ? 0 : senseKeyAscAscq(r);
        } finally {
            r.release();
        }
    }

    @Test
    void targetResetsAreRefusedAndTouchNobody() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        TestInitiator other = connect();
        other.isid++;
        other.login(TestInitiator.normalKeys(INITIATOR + "2", TARGET));
        clearPowerOnUa(other);

        // Function authorization failed, as LIO answers
        assertThat(tmf(c, 6, 0).response()).as("TARGET WARM RESET").isEqualTo(6);
        assertThat(tmf(c, 7, 0).response()).as("TARGET COLD RESET").isEqualTo(6);

        // the other host keeps its session and sees no reset
        assertThat(other.poll(200)).isNull();
        assertThat(other.isClosed()).isFalse();
        other.send(other.command(new byte[6], false, false, 0, null, true));
        ScsiResponse r = other.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).as("no 29/xx unit attention").isZero();
        r.release();
        // and the sender's own session goes on
        c.send(c.command(new byte[6], false, false, 0, null, true));
        r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isZero();
        r.release();
    }

    @Test
    void taskManagementOnAMaskedLunAnswersAsForAMissingOne() throws Exception {
        MemoryBlockDevice hidden = new MemoryBlockDevice(1L << 20, 512, "memory:hidden");
        try {
            scsi.addLun(LogicalUnits.create(1, hidden));
            scsi.setMasking((initiator, lun) -> lun == 0 || !initiator.equals(INITIATOR));
            TestInitiator c = loggedIn(Map.of());
            TestInitiator other = connect();
            other.isid++;
            other.login(TestInitiator.normalKeys(INITIATOR + "2", TARGET));
            other.send(other.command(new byte[6], false, false, 0, null, true)); // LUN 0's power-on UA
            other.expect(ScsiResponse.class, 5000).release();

            for (int function : new int[] {2, 4, 5}) { // ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET
                assertThat(tmf(c, function, 1).response())
                        .as("function %d on masked LUN 1", function)
                        .isEqualTo(tmf(c, function, 7).response()) // as for a LUN that does not exist
                        .isEqualTo(2);
            }
            assertThat(tmf(c, 5, 0).response()).as("its own LUN").isZero();

            // the initiator that sees LUN 1 finds it untouched: no 29/03 after its power-on UA
            assertThat(turLun1(other)).isEqualTo(0x062900);
            assertThat(turLun1(other)).isZero();
        } finally {
            hidden.close();
        }
    }

    @Test
    void dataDirectionFlagsNeverMoveDataTheCdbDoesNotHave() throws Exception {
        TestInitiator c = loggedIn(Map.of("InitialR2T", "Yes", "ImmediateData", "Yes"));
        byte[] data = random(4096, 11);
        c.send(c.command(rw10(0x2A, 0, 8), false, true, 4096, Unpooled.wrappedBuffer(data), true));
        c.expect(ScsiResponse.class, 5000).release();

        // READ(10) flagged W (R=0): before, the target solicited 4 KiB of data for it and answered GOOD as if
        // it had returned the blocks; now nothing is solicited, nothing is returned and the residual says so
        c.send(c.command(rw10(0x28, 0, 8), false, true, 4096, null, true));
        Object o = c.poll(5000);
        assertThat(o).as("no R2T for a read").isInstanceOf(ScsiResponse.class);
        ScsiResponse r = (ScsiResponse) o;
        assertThat(r.status()).isZero(); // what libiscsi's iSCSIResiduals.Read10Invalid expects
        assertThat(r.overflow()).isTrue();
        assertThat(r.residualCount()).as("nothing of the 4 KiB moved").isEqualTo(4096);
        r.release();
        // the same with immediate data: dropped, not written anywhere
        c.send(c.command(rw10(0x28, 0, 8), false, true, 4096, Unpooled.wrappedBuffer(new byte[4096]), true));
        r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isZero();
        assertThat(r.residualCount()).isEqualTo(4096);
        r.release();
        // TEST UNIT READY flagged W with an EDTL: nothing to solicit either
        c.send(c.command(new byte[6], false, true, 512, null, true));
        o = c.poll(5000);
        assertThat(o).isInstanceOf(ScsiResponse.class);
        assertThat(((ScsiResponse) o).status()).isZero();
        ((ScsiResponse) o).release();
        assertThat(server.budget().heldWriteBytes()).isZero();
        // a READ flagged R and W returns its data; the blocks were never overwritten
        c.send(c.command(rw10(0x28, 0, 8), true, true, 4096, null, true));
        DataIn d = c.expect(DataIn.class, 5000);
        assertThat(io.netty.buffer.ByteBufUtil.getBytes(d.data())).isEqualTo(data);
        d.release();
        assertThat(read(c, 0, 8, 262144)).isEqualTo(data);
    }

    @Test
    void malformedInitiatorNameIsRefusedAtLogin() throws Exception {
        TestInitiator c = connect();
        try {
            c.login(TestInitiator.normalKeys(
                    "iqn.2026-11.test:evil\n12:00:00 INFO session up: initiator root", TARGET));
            throw new IllegalStateException("login should have failed");
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains("login failed: 2/0");
        }
        await().atMost(Duration.ofSeconds(5)).until(c::isClosed);
    }

    @Test
    void logoutIsAnsweredAndTheConnectionCloses() throws Exception {
        TestInitiator c = loggedIn(Map.of());
        c.send(new LogoutRequest(true, 0, c.itt++, 0, c.cmdSN, c.expStatSN));
        LogoutResponse r = c.expect(LogoutResponse.class, 5000);
        assertThat(r.response()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> c.closed);
    }

    @Test
    void initiatorOutsideTheAclIsRefused() throws Exception {
        TestInitiator c = connect();
        try {
            c.login(TestInitiator.normalKeys("iqn.2026-11.test:denied", TARGET));
            throw new IllegalStateException("login should have failed");
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains("login failed: 2/2");
        }
    }

    @Test
    void digestsProtectEveryPduOnceNegotiated() throws Exception {
        TestInitiator c = loggedIn(Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C"));
        byte[] data = random(4096, 5);
        c.send(c.command(rw10(0x2A, 0, 8), false, true, 4096, Unpooled.wrappedBuffer(data), true));
        ScsiResponse w = c.expect(ScsiResponse.class, 5000);
        assertThat(w.status()).isZero();
        w.release();
        assertThat(read(c, 0, 8, 262144)).isEqualTo(data);
    }

    @Test
    void manySessionsAtOnceKeepTheirDataApart() throws Exception {
        int sessions = 16;
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        try {
            List<Future<byte[][]>> results = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                final int id = s;
                TestInitiator c = connect();
                c.isid += id;
                results.add(pool.submit(() -> {
                    c.login(TestInitiator.normalKeys(INITIATOR + id, TARGET));
                    clearPowerOnUa(c);
                    byte[] data = random(32768, 100 + id);
                    long lba = id * 1024L;
                    for (int i = 0; i < 20; i++) {
                        c.send(c.command(
                                rw10(0x2A, lba, 64), false, true, data.length, Unpooled.wrappedBuffer(data), true));
                        ScsiResponse w = c.expect(ScsiResponse.class, 10000);
                        assertThat(w.status()).isZero();
                        w.release();
                    }
                    return new byte[][] {data, read(c, lba, 64, 262144)};
                }));
            }
            for (Future<byte[][]> f : results) {
                byte[][] r = f.get();
                assertThat(r[1]).isEqualTo(r[0]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void dataOutOutOfSequenceFailsOnlyThatCommand() throws Exception {
        TestInitiator c = loggedIn(Map.of("InitialR2T", "No", "ImmediateData", "No", "FirstBurstLength", "65536"));
        byte[] data = random(1024, 9);
        ScsiCommand cmd = c.command(rw10(0x2A, 0, 2), false, true, 1024, null, false);
        c.send(cmd);
        // DataSN 5 where 0 is due: the command fails with ABORTED COMMAND / DATA PHASE ERROR ...
        c.send(new DataOut(false, 0, cmd.itt(), NO_TAG, c.expStatSN, 5, 0, Unpooled.wrappedBuffer(data, 0, 512)));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.itt()).isEqualTo(cmd.itt());
        assertThat(r.status()).isEqualTo(2);
        assertThat(senseKeyAscAscq(r)).isEqualTo(0x0B4B00);
        r.release();
        // ... its late data is dropped, and the session goes on
        c.send(new DataOut(true, 0, cmd.itt(), NO_TAG, c.expStatSN, 6, 512, Unpooled.wrappedBuffer(data, 512, 512)));
        assertThat(read(c, 0, 2, 262144)).containsOnly(0);
        assertThat(c.closed).isFalse();
    }

    @Test
    void writeLargerThanTheTargetBuffersIsRefusedWithoutSolicitingData() throws Exception {
        TestInitiator c = loggedIn(Map.of("InitialR2T", "Yes"));
        int huge = 64 << 20; // above ConnectionSettings.maxWriteBytes (16 MiB)
        c.send(c.command(new byte[] {0x2A, 0, 0, 0, 0, 0, 0, (byte) 0x80, 0, 0}, false, true, huge, null, true));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        assertThat(r.status()).isEqualTo(2);
        assertThat(senseKeyAscAscq(r) >> 8).isEqualTo(0x0524);
        r.release();
        assertThat(c.poll(200)).as("no R2T for a refused write").isNull();
    }

    @Test
    void loginWithoutTargetNameOnANormalSessionIsRefused() throws Exception {
        TestInitiator c = connect();
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("InitiatorName", INITIATOR);
        keys.put("SessionType", "Normal");
        try {
            c.login(keys);
            throw new IllegalStateException("login should have failed");
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains("login failed: 2/7");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> c.closed);
    }
}
