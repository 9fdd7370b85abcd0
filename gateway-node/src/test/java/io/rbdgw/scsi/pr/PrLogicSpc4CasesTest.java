package io.rbdgw.scsi.pr;

import static io.rbdgw.scsi.pr.PrOutRequest.PREEMPT;
import static io.rbdgw.scsi.pr.PrOutRequest.REGISTER;
import static io.rbdgw.scsi.pr.PrOutRequest.REGISTER_AND_MOVE;
import static io.rbdgw.scsi.pr.PrOutRequest.RESERVE;
import static io.rbdgw.scsi.pr.PrUnitAttention.REGISTRATIONS_PREEMPTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cases where {@code ClusterReservationsModelTest}'s reference model and the engine disagreed and SPC-4 sided with
 * the model (r37 clause numbers).
 */
class PrLogicSpc4CasesTest {

    static final PrNexusId A = new PrNexusId("iqn.a,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId B = new PrNexusId("iqn.b,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId C = new PrNexusId("iqn.c,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId A_PORT2 = new PrNexusId("iqn.a,i,0x000000000001", "iqn.t,t,0x0002");

    static PrResult run(PrState s, PrNexusId me, int sa, int type, long rk, long sark) {
        return PrLogic.apply(s, me, 1, PrOutRequest.basic(sa, 0, type, rk, sark, false, false), true);
    }

    static PrState ok(PrState s, PrNexusId me, int sa, int type, long rk, long sark) {
        PrResult r = run(s, me, sa, type, rk, sark);
        assertThat(r.status()).as("status of sa %d from %s", sa, me).isEqualTo(ScsiStatus.GOOD);
        return r.next() == null ? s : r.next();
    }

    static PrResult move(PrState s, PrNexusId me, long rk, long sark, PrNexusId dest, int relativePort) {
        PrOutRequest q = new PrOutRequest(
                REGISTER_AND_MOVE, 0, 0, rk, sark, false, false, false, false, relativePort, null, dest, 48);
        return PrLogic.apply(s, me, 1, q, true);
    }

    @Test
    void preemptWithTheSendersOwnKeyRemovesTheSendersRegistrationToo() {
        // 5.13.11.2.5: "It is not an error ... to set the RESERVATION KEY and the SERVICE ACTION RESERVATION KEY to
        // the same value, however, no unit attention condition is established for the I_T nexus on which the
        // PERSISTENT RESERVE OUT command was received. The registration is removed."
        PrState s =
                ok(ok(ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x10), B, REGISTER, 0, 0, 0x10), C, REGISTER, 0, 0, 0x20);
        PrResult r = run(s, A, PREEMPT, PrType.WRITE_EXCLUSIVE.code(), 0x10, 0x10);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.next().registrations()).extracting(Registration::nexus).containsExactly(C);
        assertThat(r.next().generation()).isEqualTo(s.generation() + 1);
        assertThat(r.unitAttentions())
                .extracting(u -> List.of(u.registration().nexus(), u.ascq()))
                .containsExactly(List.of(B, REGISTRATIONS_PREEMPTED));
    }

    @Test
    void anAllRegistrantsReservationEndsWhenPreemptRemovesItsLastRegistrant() {
        // table 71: an all-registrants reservation is released when the last registration is removed
        PrState s = ok(ok(ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x10), B, REGISTER, 0, 0, 0x10), A, RESERVE, 7, 0x10, 0);
        PrResult r = run(s, A, PREEMPT, 7, 0x10, 0x10);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.next().registrations()).isEmpty();
        assertThat(r.next().isReserved()).isFalse();
    }

    @Test
    void registerAndMoveWithoutAReservationIsAnInvalidFieldInTheCdb() {
        // 5.13.8: no persistent reservation: ILLEGAL REQUEST, INVALID FIELD IN CDB (not RESERVATION CONFLICT)
        PrState s = ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x10);
        PrResult r = move(s, A, 0x10, 0x55, B, 1);
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.senseKey(r.sense())).isEqualTo(SenseData.ILLEGAL_REQUEST);
        assertThat(SenseData.asc(r.sense())).isEqualTo(0x24);
    }

    @Test
    void registerAndMoveToTheSendersOwnInitiatorPortThroughAnotherTargetPortIsRefused() {
        // 5.13.8: a TransportID naming the initiator port of the I_T nexus the command came on: INVALID FIELD IN
        // PARAMETER LIST, whatever the relative target port
        PrState s = ok(ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x10), A, RESERVE, PrType.WRITE_EXCLUSIVE.code(), 0x10, 0);
        PrResult r = move(s, A, 0x10, 0x55, A_PORT2, 2);
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(r.sense())).isEqualTo(0x26);
        assertThat(r.next()).isNull();
    }

    @Test
    void registerAndMoveGivesARegisteredDestinationTheNewKey() {
        // 5.13.8 c)-d): the SERVICE ACTION RESERVATION KEY is associated with the destination I_T nexus, "not an error
        // ... to register an I_T nexus that is already registered with the same reservation key or a different" one
        PrState s = ok(ok(ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x10), B, REGISTER, 0, 0, 0x20), A, RESERVE, 1, 0x10, 0);
        PrResult r = move(s, A, 0x10, 0x55, B, 1);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.next().isHolder(B)).isTrue();
        assertThat(r.next().registration(B).key()).isEqualTo(0x55);
        assertThat(r.next().registrations()).hasSize(2);
    }

    @Test
    void reportCapabilitiesDoesNotClaimCompatibleReservationHandling() {
        // CRH=1 would promise SPC-4 5.13.3's exceptions (RESERVE/RELEASE from a holder complete GOOD); the engine
        // refuses every RESERVE/RELEASE while a registration exists (SPC-2 5.5.1), which is CRH=0
        ByteBuf caps = PrInData.reportCapabilities(true, PrState.EMPTY, ByteBufAllocator.DEFAULT);
        try {
            assertThat(caps.getByte(2) & 0x10).as("CRH").isZero();
            assertThat(caps.getByte(2) & 0x04).as("ATP_C").isEqualTo(0x04);
        } finally {
            caps.release();
        }
    }

    @Test
    void registerAndMoveNamesATargetPortOfAnotherGateway() {
        // this gateway never sees a nexus through the other gateway's port (relative target port 2): the destination
        // is named from the target's name and that port's number all the same
        ItNexus here = new ItNexus("iqn.2000-01.org.test:a", 1, "iqn.2000-01.org.test:tgt", 1, 1);
        LocalReservations lu = new LocalReservations(new RecordingUnitAttentions(), new InMemoryReservationStore());
        ByteBuf basic = Unpooled.buffer(24).writeLong(0).writeLong(0x10).writeZero(8);
        RecordingTask register = new RecordingTask(here, cdb(0, 0, 24), ByteBufUtil.getBytes(basic));
        lu.persistentReserveOut(register);
        RecordingTask reserve = new RecordingTask(
                here,
                cdb(1, 1, 24),
                ByteBufUtil.getBytes(Unpooled.buffer(24).writeLong(0x10).writeZero(16)));
        lu.persistentReserveOut(reserve);
        ByteBuf tid = Unpooled.buffer();
        TransportId.write("iqn.2000-01.org.test:b,i,0x000000000002", tid);
        ByteBuf p = Unpooled.buffer()
                .writeLong(0x10)
                .writeLong(0x20)
                .writeByte(0)
                .writeByte(0)
                .writeShort(2)
                .writeInt(tid.readableBytes())
                .writeBytes(tid);
        RecordingTask move = new RecordingTask(here, cdb(7, 0, p.readableBytes()), ByteBufUtil.getBytes(p));
        lu.persistentReserveOut(move);
        assertThat(register.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(reserve.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(move.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(lu.state().holder())
                .isEqualTo(
                        new PrNexusId("iqn.2000-01.org.test:b,i,0x000000000002", "iqn.2000-01.org.test:tgt,t,0x0002"));
        ItNexus there = new ItNexus("iqn.2000-01.org.test:b", 2, "iqn.2000-01.org.test:tgt", 2, 2);
        assertThat(lu.admission(there, new byte[] {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0}))
                .isEqualTo(ScsiStatus.GOOD);
    }

    static byte[] cdb(int sa, int type, int length) {
        return new byte[] {0x5F, (byte) sa, (byte) type, 0, 0, 0, 0, 0, (byte) length, 0};
    }
}
