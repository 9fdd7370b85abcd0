package io.rbdgw.scsi.pr;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LocalReservationsTest {

    static final ItNexus N1 = new ItNexus("iqn.2000-01.org.test:a", 0x23d000000001L, "iqn.2000-01.org.test:tgt", 1, 1);
    static final ItNexus N2 = new ItNexus("iqn.2000-01.org.test:b", 0x23d000000002L, "iqn.2000-01.org.test:tgt", 1, 1);
    static final ItNexus N1_PORT2 =
            new ItNexus("iqn.2000-01.org.test:a", 0x23d000000001L, "iqn.2000-01.org.test:tgt", 2, 2);

    final RecordingUnitAttentions uas = new RecordingUnitAttentions();
    InMemoryReservationStore store = new InMemoryReservationStore();
    LocalReservations res = new LocalReservations(uas, store);

    static byte[] prOutCdb(int sa, int type, int length) {
        return new byte[] {
            0x5F,
            (byte) sa,
            (byte) type,
            0,
            0,
            (byte) (length >>> 24),
            (byte) (length >>> 16),
            (byte) (length >>> 8),
            (byte) length,
            0
        };
    }

    static byte[] params(long rk, long sark, int flags) {
        return ByteBuffer.allocate(24)
                .putLong(rk)
                .putLong(sark)
                .putInt(0)
                .put((byte) flags)
                .array();
    }

    RecordingTask prOut(ItNexus n, int sa, int type, long rk, long sark) {
        RecordingTask t = new RecordingTask(n, prOutCdb(sa, type, 24), params(rk, sark, 0));
        res.persistentReserveOut(t);
        assertThat(t.completions).isEqualTo(1);
        assertThat(t.transferLength).isEqualTo(24);
        return t;
    }

    RecordingTask prIn(ItNexus n, int sa, int allocationLength) {
        byte[] cdb = {0x5E, (byte) sa, 0, 0, 0, 0, 0, (byte) (allocationLength >>> 8), (byte) allocationLength, 0};
        RecordingTask t = new RecordingTask(n, cdb, null);
        res.persistentReserveIn(t);
        assertThat(t.completions).isEqualTo(1);
        return t;
    }

    RecordingTask scsi2(ItNexus n, int opcode) {
        RecordingTask t = new RecordingTask(n, new byte[] {(byte) opcode, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null);
        if (opcode == 0x16 || opcode == 0x56) {
            res.reserve(t);
        } else {
            res.release(t);
        }
        assertThat(t.completions).isEqualTo(1);
        return t;
    }

    static void assertSense(RecordingTask t, int key, int asc, int ascq) {
        assertThat(t.status).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.senseKey(t.sense)).isEqualTo(key);
        assertThat(SenseData.asc(t.sense)).isEqualTo(asc);
        assertThat(SenseData.ascq(t.sense)).isEqualTo(ascq);
    }

    @Test
    void readKeysIsTruncatedToTheAllocationLength() {
        assertThat(prOut(N1, 6, 0, 0, 0xabcdL).status).isEqualTo(ScsiStatus.GOOD);
        RecordingTask full = prIn(N1, 0, 16384);
        assertThat(full.status).isEqualTo(ScsiStatus.GOOD);
        ByteBuffer b = ByteBuffer.wrap(full.dataIn);
        assertThat(b.getInt()).as("generation").isEqualTo(1);
        assertThat(b.getInt()).isEqualTo(8);
        assertThat(b.getLong()).isEqualTo(0xabcdL);
        assertThat(full.transferLength).isEqualTo(16);

        // libiscsi PrinReadKeys.Truncate: alloc 8 still reports the full additional length
        RecordingTask truncated = prIn(N1, 0, 8);
        assertThat(truncated.dataIn).hasSize(8);
        assertThat(truncated.transferLength).isEqualTo(8);
        assertThat(ByteBuffer.wrap(truncated.dataIn).getInt(4)).isEqualTo(8);

        RecordingTask none = prIn(N1, 0, 0);
        assertThat(none.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(none.dataIn).isNull();
        assertThat(none.transferLength).isZero();
    }

    @Test
    void serviceActionRange() {
        for (int sa = 0; sa < 4; sa++) {
            assertThat(prIn(N1, sa, 16384).status).isEqualTo(ScsiStatus.GOOD);
        }
        for (int sa = 4; sa < 0x20; sa++) {
            assertSense(prIn(N1, sa, 16384), SenseData.ILLEGAL_REQUEST, 0x24, 0);
        }
        RecordingTask out = new RecordingTask(N1, prOutCdb(8, 0, 24), params(0, 1, 0));
        res.persistentReserveOut(out);
        assertSense(out, SenseData.ILLEGAL_REQUEST, 0x24, 0);
    }

    @Test
    void parameterListLengthAndScopeErrors() {
        RecordingTask shortList = new RecordingTask(N1, prOutCdb(0, 0, 20), new byte[20]);
        res.persistentReserveOut(shortList);
        assertSense(shortList, SenseData.ILLEGAL_REQUEST, 0x1A, 0);

        prOut(N1, 0, 0, 0, 7);
        RecordingTask scope = prOut(N1, 1, 0x10 | 1, 7, 0);
        assertSense(scope, SenseData.ILLEGAL_REQUEST, 0x24, 0);
    }

    @Test
    void reportCapabilities() {
        RecordingTask t = prIn(N1, 2, 16384);
        assertThat(t.dataIn).containsExactly(0, 8, 0x04, 0x80, 0xea, 0x01, 0, 0);
        assertThat(t.transferLength).isEqualTo(8);
    }

    @Test
    void readReservationReportsHolderKeyOrZeroForAllRegistrants() {
        prOut(N1, 0, 0, 0, 0x1111);
        RecordingTask none = prIn(N1, 1, 16384);
        assertThat(none.dataIn).hasSize(8);
        assertThat(ByteBuffer.wrap(none.dataIn).getInt(4)).isZero();

        assertThat(prOut(N1, 1, PrType.EXCLUSIVE_ACCESS.code(), 0x1111, 0).status)
                .isEqualTo(ScsiStatus.GOOD);
        ByteBuffer b = ByteBuffer.wrap(prIn(N1, 1, 16384).dataIn);
        assertThat(b.getInt(4)).isEqualTo(16);
        assertThat(b.getLong(8)).isEqualTo(0x1111);
        assertThat(b.get(21)).isEqualTo((byte) 0x03);

        prOut(N1, 2, PrType.EXCLUSIVE_ACCESS.code(), 0x1111, 0);
        prOut(N1, 1, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS.code(), 0x1111, 0);
        b = ByteBuffer.wrap(prIn(N1, 1, 16384).dataIn);
        assertThat(b.getLong(8)).isZero();
        assertThat(b.get(21)).isEqualTo((byte) 0x07);
    }

    record FullStatus(long key, boolean allTgPt, boolean holder, int scopeType, int relPort, String transportId) {}

    static List<FullStatus> parseFullStatus(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        int end = 8 + b.getInt(4);
        assertThat(end).isEqualTo(data.length);
        List<FullStatus> out = new ArrayList<>();
        int p = 8;
        while (p < end) {
            long key = b.getLong(p);
            int flags = b.get(p + 12);
            int scopeType = b.get(p + 13) & 0xff;
            int rel = b.getShort(p + 18) & 0xffff;
            int tidLen = b.getInt(p + 20);
            int tid = p + 24;
            assertThat(b.get(tid) & 0xff).as("format 01b, iSCSI").isEqualTo(0x45);
            int add = b.getShort(tid + 2) & 0xffff;
            assertThat(add % 4).isZero();
            assertThat(add).isGreaterThanOrEqualTo(20);
            assertThat(4 + add).isEqualTo(tidLen);
            int nul = tid + 4;
            while (data[nul] != 0) {
                nul++;
            }
            String name = new String(data, tid + 4, nul - tid - 4, StandardCharsets.UTF_8);
            out.add(new FullStatus(key, (flags & 2) != 0, (flags & 1) != 0, scopeType, rel, name));
            p = tid + tidLen;
        }
        return out;
    }

    @Test
    void readFullStatus() {
        prOut(N1, 0, 0, 0, 0x1);
        RecordingTask allPorts = new RecordingTask(N2, prOutCdb(0, 0, 24), params(0, 0x2, 0x04));
        res.persistentReserveOut(allPorts);
        assertThat(allPorts.status).isEqualTo(ScsiStatus.GOOD);
        prOut(N1, 1, PrType.WRITE_EXCLUSIVE.code(), 0x1, 0);

        RecordingTask t = prIn(N1, 3, 16384);
        assertThat(parseFullStatus(t.dataIn))
                .containsExactly(
                        new FullStatus(1, false, true, 0x01, 1, "iqn.2000-01.org.test:a,i,0x23d000000001"),
                        new FullStatus(2, true, false, 0, 0, "iqn.2000-01.org.test:b,i,0x23d000000002"));
        assertThat(ByteBuffer.wrap(t.dataIn).getInt(0)).isEqualTo(2);
    }

    @Test
    void registerAndMoveWithATransportId() {
        res.permits(N2, PrAccessTest.cdb(0x00)); // N2 logged in
        prOut(N1, 0, 0, 0, 0x1);
        prOut(N1, 1, PrType.WRITE_EXCLUSIVE.code(), 0x1, 0);
        ByteBuf tid = Unpooled.buffer();
        TransportId.write(N2.initiatorPortName(), tid);
        ByteBuffer p = ByteBuffer.allocate(24 + tid.readableBytes());
        p.putLong(0x1)
                .putLong(0x2)
                .put((byte) 0)
                .put((byte) 0)
                .putShort((short) 1)
                .putInt(tid.readableBytes());
        tid.readBytes(p);
        tid.release();
        RecordingTask t = new RecordingTask(N1, prOutCdb(7, 0, p.capacity()), p.array());
        res.persistentReserveOut(t);
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        PrState s = res.state();
        assertThat(s.isHolder(PrNexusId.of(N2))).isTrue();
        assertThat(s.registration(PrNexusId.of(N2)).key()).isEqualTo(0x2);
        assertThat(s.registration(PrNexusId.of(N1))).as("UNREG=0 keeps the key").isNotNull();
        assertThat(res.permits(N1, PrAccessTest.WRITE10)).isFalse();
        assertThat(res.permits(N2, PrAccessTest.WRITE10)).isTrue();
    }

    @Test
    void unitAttentionsReachEveryNexusOfTheRegistration() {
        res.permits(N1_PORT2, PrAccessTest.cdb(0x00));
        RecordingTask allPorts = new RecordingTask(N1, prOutCdb(0, 0, 24), params(0, 0x1, 0x04));
        res.persistentReserveOut(allPorts);
        prOut(N2, 0, 0, 0, 0x2);
        assertThat(prOut(N2, 3, 0, 0x2, 0).status).isEqualTo(ScsiStatus.GOOD); // CLEAR
        assertThat(uas.drain())
                .containsExactlyInAnyOrder(
                        new RecordingUnitAttentions.Posted(N1, 0x2A, 0x03),
                        new RecordingUnitAttentions.Posted(N1_PORT2, 0x2A, 0x03));
    }

    @Test
    void ownershipOfAnAllRegistrantsReservationPostsNoUnitAttention() {
        // libiscsi ProutReserveOwnershipEAAR/WEAR
        prOut(N1, 6, 0, 0, 0x1);
        prOut(N2, 6, 0, 0, 0x2);
        prOut(N1, 1, PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS.code(), 0x1, 0);
        assertThat(prOut(N1, 0, 0, 0x1, 0).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(uas.drain()).isEmpty();
        assertThat(res.state().type()).isEqualTo(PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS);
        assertThat(prOut(N2, 2, PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS.code(), 0x2, 0).status)
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(prOut(N2, 0, 0, 0x2, 0).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(res.state().registrations()).isEmpty();
    }

    /** A store whose first {@code failures} compare-and-sets lose to a concurrent writer. */
    static final class RacingStore implements ReservationStore {
        final InMemoryReservationStore inner = new InMemoryReservationStore();
        final AtomicInteger casCalls = new AtomicInteger();
        final int failures;
        final boolean throwing;

        RacingStore(int failures, boolean throwing) {
            this.failures = failures;
            this.throwing = throwing;
        }

        @Override
        public PrState current() {
            return inner.current();
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(PrState expected, PrState next) {
            int n = casCalls.incrementAndGet();
            if (throwing) {
                return CompletableFuture.failedFuture(new IllegalStateException("store down"));
            }
            if (n <= failures) {
                // another gateway registers meanwhile
                PrState other = new PrState(
                        expected.generation() + 1,
                        List.of(new Registration(
                                new PrNexusId("iqn.other,i,0x000000000009", "iqn.t,t,0x0002"), 0x99, false, false, 2)),
                        null,
                        null);
                inner.compareAndSet(expected, other);
                return CompletableFuture.completedFuture(false);
            }
            return inner.compareAndSet(expected, next);
        }
    }

    @Test
    void compareAndSetConflictIsRetriedOnTheNewState() {
        RacingStore racing = new RacingStore(1, false);
        res = new LocalReservations(uas, racing);
        RecordingTask t = prOut(N1, 0, 0, 0, 0x1);
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(racing.casCalls.get()).isEqualTo(2);
        assertThat(racing.current().registrations())
                .extracting(Registration::key)
                .containsExactly(0x99L, 0x1L);
        assertThat(racing.current().generation()).isEqualTo(2);
    }

    @Test
    void endlessConflictsOrAnUnreachableStoreAnswerBusy() {
        RacingStore racing = new RacingStore(Integer.MAX_VALUE, false);
        res = new LocalReservations(uas, racing);
        assertThat(prOut(N1, 0, 0, 0, 0x1).status).isEqualTo(ScsiStatus.BUSY);
        assertThat(racing.casCalls.get()).isEqualTo(LocalReservations.MAX_ATTEMPTS);

        res = new LocalReservations(uas, new RacingStore(0, true));
        assertThat(prOut(N1, 0, 0, 0, 0x1).status).isEqualTo(ScsiStatus.BUSY);
    }

    @Test
    void reserve6BetweenTwoInitiators() {
        // libiscsi Reserve6.2Initiators
        assertThat(scsi2(N1, 0x16).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(scsi2(N1, 0x16).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(res.permits(N2, PrAccessTest.cdb(0x16))).isTrue();
        assertThat(scsi2(N2, 0x16).status).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(res.permits(N2, PrAccessTest.cdb(0x17))).isTrue();
        assertThat(scsi2(N2, 0x17).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(res.spc2Holder()).isEqualTo(N1);
        assertThat(res.permits(N1, PrAccessTest.cdb(0x1A))).isTrue();
        assertThat(res.permits(N2, PrAccessTest.cdb(0x1A))).isFalse();
        assertThat(res.permits(N2, PrAccessTest.cdb(0x12))).isTrue();
        assertThat(res.permits(N1_PORT2, PrAccessTest.WRITE10))
                .as("same initiator, other port")
                .isFalse();
        assertThat(scsi2(N1, 0x17).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(scsi2(N2, 0x56).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(res.permits(N1, PrAccessTest.READ10)).isFalse();
        assertThat(scsi2(N2, 0x57).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(res.permits(N1, PrAccessTest.READ10)).isTrue();
    }

    @Test
    void reserve6IsReleasedByNexusLossAndReset() {
        scsi2(N1, 0x16);
        res.nexusLost(N2);
        assertThat(res.spc2Holder()).isEqualTo(N1);
        res.nexusLost(N1);
        assertThat(res.spc2Holder()).isNull();
        assertThat(scsi2(N2, 0x16).status).isEqualTo(ScsiStatus.GOOD);
        res.reset();
        assertThat(res.spc2Holder()).isNull();
        assertThat(res.permits(N1, PrAccessTest.WRITE10)).isTrue();
    }

    @Test
    void reserveAndReleaseConflictWhileRegistrationsExist() {
        prOut(N1, 0, 0, 0, 0x1);
        assertThat(res.permits(N1, PrAccessTest.cdb(0x16))).isFalse();
        assertThat(res.permits(N2, PrAccessTest.cdb(0x57))).isFalse();
        assertThat(scsi2(N1, 0x16).status).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(scsi2(N1, 0x17).status).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void spc2ReservationBlocksPersistentReservationCommandsOfOthers() {
        scsi2(N1, 0x16);
        assertThat(res.permits(N2, PrAccessTest.cdb(0x5F))).isFalse();
        assertThat(res.permits(N2, PrAccessTest.cdb(0x5E))).isFalse();
        assertThat(res.permits(N1, PrAccessTest.cdb(0x5E))).isTrue();
    }

    @Test
    void thirdPartyReserve10IsRefused() {
        RecordingTask t = new RecordingTask(N1, new byte[] {0x56, 0x10, 0, 0, 0, 0, 0, 0, 0, 0}, null);
        res.reserve(t);
        assertSense(t, SenseData.ILLEGAL_REQUEST, 0x24, 0);
        assertThat(res.spc2Holder()).isNull();
    }

    @Test
    void reservationAccessThroughPermits() {
        // libiscsi ProutReserveAccessEA: registered non-holder can neither read nor write
        prOut(N1, 6, 0, 0, 0x1);
        prOut(N2, 6, 0, 0, 0x2);
        prOut(N1, 1, PrType.EXCLUSIVE_ACCESS.code(), 0x1, 0);
        assertThat(res.permits(N1, PrAccessTest.READ10)).isTrue();
        assertThat(res.permits(N2, PrAccessTest.READ10)).isFalse();
        assertThat(res.permits(N2, PrAccessTest.cdb(0x00))).isTrue();
        assertThat(res.permits(N1_PORT2, PrAccessTest.WRITE10))
                .as("holder's initiator on another port")
                .isFalse();
    }
}
