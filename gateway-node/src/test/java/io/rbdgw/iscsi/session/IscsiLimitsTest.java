package io.rbdgw.iscsi.session;

import static io.rbdgw.iscsi.session.IscsiSessionTest.INITIATOR;
import static io.rbdgw.iscsi.session.IscsiSessionTest.TARGET;
import static io.rbdgw.iscsi.session.IscsiSessionTest.clearPowerOnUa;
import static io.rbdgw.iscsi.session.IscsiSessionTest.random;
import static io.rbdgw.iscsi.session.IscsiSessionTest.read;
import static io.rbdgw.iscsi.session.IscsiSessionTest.rw10;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.R2t;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What one initiator may take from a gateway: command queue, write buffers, sessions, logins. Real TCP. */
class IscsiLimitsTest {

    static final int TASK_SET_FULL = 0x28;
    static final Map<String, String> SOLICITED_ONLY =
            Map.of("InitialR2T", "Yes", "ImmediateData", "No", "MaxBurstLength", "1048576");

    IscsiServer server;
    InetSocketAddress address;
    MemoryBlockDevice device;
    ScsiTarget scsi;
    final List<TestInitiator> clients = new ArrayList<>();

    void start(ConnectionSettings settings) throws Exception {
        device = new MemoryBlockDevice(64L << 20, 512, "memory:limits");
        start(settings, device);
    }

    void start(ConnectionSettings settings, BlockDevice lun0) throws Exception {
        scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, lun0));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> true), scsi));
        server = new IscsiServer(targets, new SessionRegistry(), settings, 2);
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    static PortalLimits limits(long perConnection, long total) {
        PortalLimits d = PortalLimits.defaults();
        return new PortalLimits(
                d.maxSessions(),
                d.maxSessionsPerTarget(),
                d.maxSessionsPerInitiator(),
                d.maxLoginConnections(),
                perConnection,
                total);
    }

    @AfterEach
    void stop() {
        clients.forEach(TestInitiator::close);
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.close();
        }
    }

    TestInitiator loggedIn(String initiator, long isid, Map<String, String> extra) throws Exception {
        TestInitiator c = new TestInitiator(address);
        clients.add(c);
        c.isid = isid;
        Map<String, String> keys = TestInitiator.normalKeys(initiator, TARGET);
        keys.putAll(extra);
        c.login(keys);
        clearPowerOnUa(c);
        return c;
    }

    /** An immediate WRITE(10) of {@code bytes} without data (I bit: CmdSN does not advance). */
    static ScsiCommand immediateWrite(TestInitiator c, long lba, int bytes) {
        byte[] cdb = java.util.Arrays.copyOf(rw10(0x2A, lba, bytes / 512), 16);
        return new ScsiCommand(
                true, true, false, true, 1, 0, c.itt++, bytes, c.cmdSN, c.expStatSN, cdb, Unpooled.EMPTY_BUFFER);
    }

    /** Answers an R2T with Data-Out PDUs of at most 256 KiB taken from {@code data}. */
    static void answer(TestInitiator c, R2t r, byte[] data) {
        int end = r.bufferOffset() + r.desiredDataTransferLength();
        int dataSN = 0;
        for (int p = r.bufferOffset(); p < end; p += 262144) {
            int n = Math.min(262144, end - p);
            c.send(new DataOut(
                    p + n == end, 0, r.itt(), r.ttt(), c.expStatSN, dataSN++, p, Unpooled.wrappedBuffer(data, p, n)));
        }
    }

    /** The next PDU, an R2T (returned) or a SCSI Response with TASK SET FULL (null returned). */
    static R2t r2tOrTaskSetFull(TestInitiator c) throws Exception {
        Object o = c.poll(5000);
        if (o instanceof R2t r) {
            return r;
        }
        assertThat(o).isInstanceOf(ScsiResponse.class);
        ScsiResponse resp = (ScsiResponse) o;
        try {
            assertThat(resp.status()).isEqualTo(TASK_SET_FULL);
        } finally {
            resp.release();
        }
        return null;
    }

    @Test
    void immediateCommandsBeyondTheQueueGetTaskSetFull() throws Exception {
        start(ConnectionSettings.defaults().withCommandWindow(4));
        TestInitiator c = loggedIn(INITIATOR, 0x23d000000001L, SOLICITED_ONLY);
        List<R2t> accepted = new ArrayList<>();
        int full = 0;
        for (int i = 0; i < 7; i++) {
            c.send(immediateWrite(c, i * 8L, 4096));
            R2t r = r2tOrTaskSetFull(c);
            if (r != null) {
                accepted.add(r);
            } else {
                full++;
            }
        }
        // the window of 4, plus the one immediate request RFC 7143 4.2.2.1 says a target must always take
        assertThat(accepted).hasSize(5);
        assertThat(full).isEqualTo(2);
        byte[] data = random(4096, 3);
        for (R2t r : accepted) {
            answer(c, r, data);
            ScsiResponse w = c.expect(ScsiResponse.class, 5000);
            assertThat(w.status()).isZero();
            w.release();
        }
        assertThat(read(c, 0, 8, 262144)).isEqualTo(data);
        assertThat(server.budget().heldWriteBytes()).isZero();
    }

    @Test
    void writeDataBeyondTheBuffersGetsTaskSetFullAndOtherConnectionsGoOn() throws Exception {
        start(ConnectionSettings.defaults().withLimits(limits(1 << 20, 3 << 19))); // 1 MiB each, 1.5 MiB in all
        TestInitiator greedy = loggedIn(INITIATOR, 0x23d000000001L, SOLICITED_ONLY);
        TestInitiator other = loggedIn(INITIATOR + "2", 0x23d000000002L, SOLICITED_ONLY);
        int half = 512 << 10;

        // eight 512 KiB writes whose data never comes: two fit the connection's 1 MiB
        int accepted = 0;
        for (int i = 0; i < 8; i++) {
            greedy.send(greedy.command(rw10(0x2A, i * 1024L, 1024), false, true, half, null, true));
        }
        for (int i = 0; i < 8; i++) {
            accepted += r2tOrTaskSetFull(greedy) != null ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(2);
        assertThat(server.budget().heldWriteBytes()).isEqualTo(1 << 20);

        // the other connection still writes within what is left of the gateway's 1.5 MiB ...
        byte[] data = random(half, 4);
        other.send(other.command(rw10(0x2A, 8192, 1024), false, true, half, null, true));
        R2t r = other.expect(R2t.class, 5000);
        answer(other, r, data);
        ScsiResponse w = other.expect(ScsiResponse.class, 5000);
        assertThat(w.status()).isZero();
        w.release();
        assertThat(read(other, 8192, 1024, 262144)).isEqualTo(data);
        // ... but not past it
        other.send(other.command(rw10(0x2A, 8192, 2048), false, true, 1 << 20, null, true));
        assertThat(r2tOrTaskSetFull(other)).isNull();

        // the greedy connection goes away: its reservations are released
        greedy.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.budget().heldWriteBytes() == 0);
        other.send(other.command(rw10(0x2A, 8192, 2048), false, true, 1 << 20, null, true));
        assertThat(other.expect(R2t.class, 5000).desiredDataTransferLength()).isEqualTo(1 << 20);
    }

    @Test
    void writesHeldByTheDeviceKeepTheirSocketReadsUntilTheyCompleteAndThenGiveThemBack() throws Exception {
        AbortThenLogoutTest.HeldWrites held = new AbortThenLogoutTest.HeldWrites();
        start(ConnectionSettings.defaults(), held);
        assertThat(server.budget().pinnedReadLimit()).isEqualTo(PortalLimits.defaultWriteBuffer() / 2);
        TestInitiator c = loggedIn(INITIATOR, 0x23d000000001L, SOLICITED_ONLY);
        byte[] data = random(1 << 20, 5);
        for (int i = 0; i < 4; i++) {
            c.send(c.command(rw10(0x2A, i * 2048L, 2048), false, true, 1 << 20, null, true));
            answer(c, c.expect(R2t.class, 5000), data);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> held.held.size() == 4);
        assertThat(server.budget().pinnedReadBytes())
                .as("the reads that 4 MiB of held write data lie in")
                .isPositive()
                .isLessThanOrEqualTo(server.budget().pinnedReadLimit());

        held.release(); // completions come from this thread, as librbd's do from its own
        for (int i = 0; i < 4; i++) {
            ScsiResponse w = c.expect(ScsiResponse.class, 5000);
            assertThat(w.status()).isZero();
            w.release();
        }
        // nothing more is sent: the reads go back as the writes end, not at the connection's next read
        await().atMost(Duration.ofSeconds(5)).until(() -> server.budget().pinnedReadBytes() == 0);
        assertThat(read(c, 3 * 2048L, 2048, 262144)).isEqualTo(data);
    }

    @Test
    void aStreamThatPadsEachWriteWithDroppedDataPinsNoMoreThanTheConnectionsBoundAndLosesNothing() throws Exception {
        // 4 MiB of write buffer per connection, so also at most 4 MiB of socket reads its data may keep alive
        AbortThenLogoutTest.HeldWrites held = new AbortThenLogoutTest.HeldWrites();
        start(ConnectionSettings.defaults().withLimits(limits(4 << 20, 64 << 20)), held);
        TestInitiator c = loggedIn(
                INITIATOR,
                0x23d000000001L,
                Map.of("ImmediateData", "Yes", "FirstBurstLength", "262144", "MaxBurstLength", "1048576"));
        int writes = 32;
        int length = 128 << 10;
        byte[][] data = new byte[writes][];
        for (int i = 0; i < writes; i++) {
            data[i] = random(length, 100 + i);
            c.send(c.command(rw10(0x2A, i * 256L, 256), false, true, length, Unpooled.wrappedBuffer(data[i]), true));
            for (int f = 0; f < 3; f++) {
                // 256 KiB of immediate data for a write the gateway refuses (EDTL above the largest it buffers):
                // dropped at once, so it only fills the socket reads around the held data
                c.send(c.command(
                        rw10(0x2A, 0, 65535),
                        false,
                        true,
                        65535 * 512,
                        Unpooled.wrappedBuffer(random(256 << 10, f)),
                        true));
            }
        }
        for (int i = 0; i < 3 * writes; i++) {
            ScsiResponse refused = c.expect(ScsiResponse.class, 5000);
            assertThat(refused.status()).isEqualTo(2); // CHECK CONDITION, INVALID FIELD IN CDB
            refused.release();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> held.held.size() == writes);
        long pinned = server.budget().pinnedReadBytes();
        assertThat(pinned)
                .as("socket reads kept alive by 4 MiB of held write data sent among 24 MiB of dropped data")
                .isPositive()
                .isLessThanOrEqualTo(4 << 20);

        held.release();
        for (int i = 0; i < writes; i++) {
            ScsiResponse w = c.expect(ScsiResponse.class, 5000);
            assertThat(w.status()).isZero();
            w.release();
        }
        for (int i = 0; i < writes; i++) {
            assertThat(read(c, i * 256L, 256, 262144))
                    .as("write %d, sliced or copied", i)
                    .isEqualTo(data[i]);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.budget().pinnedReadBytes() == 0);
    }

    @Test
    void manyImmediateLargeWritesHoldNoMoreThanTheConnectionBuffer() throws Exception {
        // the review's shape: 300 immediate 16 MiB writes on one session, with the default limits
        start(ConnectionSettings.defaults());
        TestInitiator c = loggedIn(INITIATOR, 0x23d000000001L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"));
        int accepted = 0;
        for (int i = 0; i < 300; i++) {
            c.send(immediateWrite(c, 0, 16 << 20));
        }
        for (int i = 0; i < 300; i++) {
            Object o = c.poll(5000);
            if (o instanceof R2t r) {
                accepted++;
                // more R2Ts of the same command (MaxOutstandingR2T) are not more commands
                if (r.bufferOffset() != 0) {
                    accepted--;
                    i--;
                }
            } else {
                assertThat(o).isInstanceOf(ScsiResponse.class);
                assertThat(((ScsiResponse) o).status()).isEqualTo(TASK_SET_FULL);
                ((ScsiResponse) o).release();
            }
        }
        long perConnection = PortalLimits.DEFAULT_WRITE_BUFFER_PER_CONNECTION;
        assertThat(accepted).isEqualTo((int) (perConnection / (16 << 20)));
        assertThat(server.budget().heldWriteBytes()).isLessThanOrEqualTo(perConnection);
        // and the session still answers
        c.send(c.command(new byte[6], false, false, 0, null, true));
        ScsiResponse tur = c.expect(ScsiResponse.class, 5000);
        assertThat(tur.status()).isZero();
        tur.release();
    }

    static PortalLimits sessionLimits(int total, int perTarget, int perInitiator, int loggingIn) {
        PortalLimits d = PortalLimits.defaults();
        return new PortalLimits(
                total, perTarget, perInitiator, loggingIn, d.writeBufferPerConnection(), d.writeBuffer());
    }

    /** Logs in and returns null, or returns the "class/detail" of the refusal. */
    String tryLogin(String initiator, long isid, boolean discovery) throws Exception {
        TestInitiator c = new TestInitiator(address);
        clients.add(c);
        c.isid = isid;
        Map<String, String> keys = TestInitiator.normalKeys(initiator, TARGET);
        if (discovery) {
            keys.remove("TargetName");
            keys.put("SessionType", "Discovery");
        }
        try {
            c.login(keys);
            return null;
        } catch (AssertionError e) {
            await().atMost(Duration.ofSeconds(5)).until(c::isClosed);
            return e.getMessage().replace("login failed: ", "");
        }
    }

    @Test
    void loginsBeyondTheSessionLimitsAreRefusedWithTheirStatusWhileOthersGetIn() throws Exception {
        start(ConnectionSettings.defaults().withLimits(sessionLimits(4, 3, 2, 16)));
        String a = INITIATOR + "a";
        assertThat(tryLogin(a, 1, false)).isNull();
        assertThat(tryLogin(a, 2, false)).isNull();
        // the initiator's own limit: 02/06 Too many connections (initiator error)
        assertThat(tryLogin(a, 3, false)).isEqualTo("2/6");
        assertThat(tryLogin(a, 3, true))
                .as("discovery counts for the initiator too")
                .isEqualTo("2/6");
        // a reinstatement replaces a session: never refused
        assertThat(tryLogin(a, 1, false)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> clients.get(0).isClosed());

        assertThat(tryLogin(INITIATOR + "b", 1, false)).isNull();
        // the target's limit (3): 03/02 Out of resources (target error, retry later)
        assertThat(tryLogin(INITIATOR + "c", 1, false)).isEqualTo("3/2");
        // the gateway's limit (4 sessions, discovery ones included)
        assertThat(tryLogin(INITIATOR + "c", 1, true)).isNull();
        assertThat(tryLogin(INITIATOR + "d", 1, true)).isEqualTo("3/2");

        // a session ends: someone else gets in
        TestInitiator b = clients.get(clients.size() - 4);
        b.send(new io.rbdgw.iscsi.pdu.LogoutRequest(true, 0, b.itt++, 0, b.cmdSN, b.expStatSN));
        b.expect(io.rbdgw.iscsi.pdu.LogoutResponse.class, 5000).release();
        await().atMost(Duration.ofSeconds(5)).until(b::isClosed);
        await().atMost(Duration.ofSeconds(5)).until(() -> tryLogin(INITIATOR + "c", 2, false) == null);
    }

    @Test
    void connectionsThatDoNotLogInAreBounded() throws Exception {
        start(ConnectionSettings.defaults().withLimits(sessionLimits(16, 16, 16, 2)));
        TestInitiator idle1 = new TestInitiator(address);
        TestInitiator idle2 = new TestInitiator(address);
        clients.add(idle1);
        clients.add(idle2);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.budget().loggingIn() == 2);
        TestInitiator third = new TestInitiator(address);
        clients.add(third);
        await().atMost(Duration.ofSeconds(5)).until(third::isClosed);
        assertThat(idle1.isClosed()).isFalse();
        // one of the idle ones logs in: a place frees up
        idle1.login(TestInitiator.normalKeys(INITIATOR, TARGET));
        assertThat(server.budget().loggingIn()).isEqualTo(1);
        assertThat(tryLogin(INITIATOR + "2", 1, false)).isNull();
        idle2.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.budget().loggingIn() == 0);
    }

    @Test
    void anAllowedTargetResetResetsOnlyTheLunsTheSenderSees() throws Exception {
        start(ConnectionSettings.defaults().withTargetReset(true));
        MemoryBlockDevice hidden = new MemoryBlockDevice(1L << 20, 512, "memory:hidden");
        try {
            scsi.addLun(LogicalUnits.create(1, hidden));
            scsi.setMasking((initiator, lun) -> lun == 0 || !initiator.equals(INITIATOR));
            TestInitiator sender = loggedIn(INITIATOR, 0x23d000000001L, Map.of());
            TestInitiator other = loggedIn(INITIATOR + "2", 0x23d000000002L, Map.of());
            assertThat(IscsiSessionTest.turLun1(other)).isEqualTo(0x062900); // LUN 1's power-on UA

            assertThat(IscsiSessionTest.tmf(sender, 6, 0).response())
                    .as("TARGET WARM RESET")
                    .isZero();
            // LUN 0, which both see, was reset; LUN 1, masked from the sender, was not
            IscsiSessionTest.expectUnitAttention(other, 0x062903);
            assertThat(IscsiSessionTest.turLun1(other)).isZero();
        } finally {
            hidden.close();
        }
    }
}
