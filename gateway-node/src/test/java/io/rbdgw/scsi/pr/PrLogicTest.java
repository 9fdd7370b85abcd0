package io.rbdgw.scsi.pr;

import static io.rbdgw.scsi.pr.PrOutRequest.CLEAR;
import static io.rbdgw.scsi.pr.PrOutRequest.PREEMPT;
import static io.rbdgw.scsi.pr.PrOutRequest.PREEMPT_AND_ABORT;
import static io.rbdgw.scsi.pr.PrOutRequest.REGISTER;
import static io.rbdgw.scsi.pr.PrOutRequest.REGISTER_AND_IGNORE_EXISTING_KEY;
import static io.rbdgw.scsi.pr.PrOutRequest.REGISTER_AND_MOVE;
import static io.rbdgw.scsi.pr.PrOutRequest.RELEASE;
import static io.rbdgw.scsi.pr.PrOutRequest.RESERVE;
import static io.rbdgw.scsi.pr.PrUnitAttention.REGISTRATIONS_PREEMPTED;
import static io.rbdgw.scsi.pr.PrUnitAttention.RESERVATIONS_PREEMPTED;
import static io.rbdgw.scsi.pr.PrUnitAttention.RESERVATIONS_RELEASED;
import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PrLogicTest {

    static final PrNexusId A = new PrNexusId("iqn.a,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId B = new PrNexusId("iqn.b,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId C = new PrNexusId("iqn.c,i,0x000000000001", "iqn.t,t,0x0001");
    static final PrNexusId A_PORT2 = new PrNexusId("iqn.a,i,0x000000000001", "iqn.t,t,0x0002");

    static PrResult run(PrState s, PrNexusId me, int sa, int type, long rk, long sark) {
        return PrLogic.apply(s, me, 1, PrOutRequest.basic(sa, 0, type, rk, sark, false, false), false);
    }

    static PrState ok(PrState s, PrNexusId me, int sa, int type, long rk, long sark) {
        PrResult r = run(s, me, sa, type, rk, sark);
        assertThat(r.status()).as("status of sa %d from %s", sa, me).isEqualTo(ScsiStatus.GOOD);
        return r.next() == null ? s : r.next();
    }

    static PrState registered(PrNexusId... nexuses) {
        PrState s = PrState.EMPTY;
        long key = 0x10;
        for (PrNexusId n : nexuses) {
            s = ok(s, n, REGISTER, 0, 0, key++);
        }
        return s;
    }

    static List<Object> uas(PrResult r) {
        return r.unitAttentions().stream()
                .map(u -> (Object) List.of(u.registration().nexus(), u.ascq()))
                .toList();
    }

    @Test
    void registerUnregisterAndGeneration() {
        PrState s = ok(PrState.EMPTY, A, REGISTER, 0, 0, 0x11);
        assertThat(s.generation()).isEqualTo(1);
        assertThat(s.registration(A).key()).isEqualTo(0x11);

        // re-register with a wrong reservation key, as libiscsi's reregister test does
        assertThat(run(s, A, REGISTER, 0, 0, 0x12).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // change the key
        s = ok(s, A, REGISTER, 0, 0x11, 0x12);
        assertThat(s.registration(A).key()).isEqualTo(0x12);
        assertThat(s.generation()).isEqualTo(2);
        // register-and-ignore replaces whatever key
        s = ok(s, A, REGISTER_AND_IGNORE_EXISTING_KEY, 0, 0xdead, 0x13);
        assertThat(s.registration(A).key()).isEqualTo(0x13);
        assertThat(s.generation()).isEqualTo(3);
        // unregister
        s = ok(s, A, REGISTER, 0, 0x13, 0);
        assertThat(s.registrations()).isEmpty();
        assertThat(s.generation()).isEqualTo(4);
    }

    @Test
    void unregisteredNexusWithNonZeroKeyConflictsAndZeroKeysAreANoOp() {
        assertThat(run(PrState.EMPTY, A, REGISTER, 0, 5, 6).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        PrResult noop = run(PrState.EMPTY, A, REGISTER, 0, 0, 0);
        assertThat(noop.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(noop.next()).isNull();
    }

    @Test
    void specIptAndAptplAreRefused() {
        PrResult spec = PrLogic.apply(
                PrState.EMPTY,
                A,
                1,
                new PrOutRequest(REGISTER, 0, 0, 0, 5, true, false, false, false, 0, null, null, 24),
                false);
        assertThat(spec.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(spec.sense())).isEqualTo(0x26);

        PrResult aptpl =
                PrLogic.apply(PrState.EMPTY, A, 1, PrOutRequest.basic(REGISTER, 0, 0, 0, 5, false, true), false);
        assertThat(aptpl.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(aptpl.sense())).isEqualTo(0x26);
        // a store persisting through power loss accepts it
        PrResult accepted =
                PrLogic.apply(PrState.EMPTY, A, 1, PrOutRequest.basic(REGISTER, 0, 0, 0, 5, false, true), true);
        assertThat(accepted.next().registration(A).aptpl()).isTrue();
    }

    @Test
    void allTargetPortsRegistrationCoversOtherPorts() {
        PrResult r = PrLogic.apply(PrState.EMPTY, A, 1, PrOutRequest.basic(REGISTER, 0, 0, 0, 7, true, false), false);
        assertThat(r.next().registration(A_PORT2)).isNotNull();
        PrState single = ok(PrState.EMPTY, A, REGISTER, 0, 0, 7);
        assertThat(single.registration(A_PORT2)).isNull();
    }

    @ParameterizedTest
    @EnumSource(PrType.class)
    void reserveAndReleaseEveryType(PrType type) {
        PrState s = registered(A, B);
        int gen = s.generation();
        // unregistered and wrong key conflict
        assertThat(run(s, C, RESERVE, type.code(), 0, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(run(s, A, RESERVE, type.code(), 0x11, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);

        s = ok(s, A, RESERVE, type.code(), 0x10, 0);
        assertThat(s.type()).isEqualTo(type);
        assertThat(s.generation()).as("RESERVE does not bump the generation").isEqualTo(gen);
        assertThat(s.isHolder(A)).isTrue();
        assertThat(s.isHolder(B)).isEqualTo(type.allRegistrants());
        // the same reservation again is GOOD; another type conflicts
        assertThat(run(s, A, RESERVE, type.code(), 0x10, 0).next()).isNull();
        PrType other = type == PrType.WRITE_EXCLUSIVE ? PrType.EXCLUSIVE_ACCESS : PrType.WRITE_EXCLUSIVE;
        assertThat(run(s, A, RESERVE, other.code(), 0x10, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // B reserving: GOOD no-op for all-registrants (it holds it), conflict otherwise
        PrResult byB = run(s, B, RESERVE, type.code(), 0x11, 0);
        assertThat(byB.status()).isEqualTo(type.allRegistrants() ? ScsiStatus.GOOD : ScsiStatus.RESERVATION_CONFLICT);

        // release with the wrong type
        PrResult wrongType = run(s, A, RELEASE, other.code(), 0x10, 0);
        assertThat(wrongType.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(wrongType.sense())).isEqualTo(0x26);
        assertThat(SenseData.ascq(wrongType.sense())).isEqualTo(0x04);

        PrResult released = run(s, A, RELEASE, type.code(), 0x10, 0);
        assertThat(released.next().isReserved()).isFalse();
        assertThat(released.next().registrations()).hasSize(2);
        assertThat(released.next().generation()).isEqualTo(gen);
        // RO and AR releases tell the other registrants
        assertThat(uas(released))
                .isEqualTo(type.registrantsHaveAccess() ? List.of(List.of(B, RESERVATIONS_RELEASED)) : List.of());
    }

    @Test
    void releaseByRegisteredNonHolderIsGoodAndChangesNothing() {
        PrState s = ok(registered(A, B), A, RESERVE, PrType.EXCLUSIVE_ACCESS.code(), 0x10, 0);
        PrResult r = run(s, B, RELEASE, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.next()).isNull();
        assertThat(run(s, C, RELEASE, 3, 0x99, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void reserveWithInvalidTypeIsIllegalRequest() {
        PrResult r = run(registered(A), A, RESERVE, 2, 0x10, 0);
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(r.sense())).isEqualTo(0x24);
    }

    @ParameterizedTest
    @EnumSource(PrType.class)
    void holderUnregisteringReleasesUnlessAllRegistrants(PrType type) {
        PrState s = ok(registered(A, B), A, RESERVE, type.code(), 0x10, 0);
        PrResult r = run(s, A, REGISTER, 0, 0x10, 0);
        PrState next = r.next();
        assertThat(next.registrations()).extracting(Registration::nexus).containsExactly(B);
        assertThat(next.generation()).isEqualTo(s.generation() + 1);
        if (type.allRegistrants()) {
            // libiscsi ProutReserveOwnership: still reserved for B, and no unit attention for B
            assertThat(next.type()).isEqualTo(type);
            assertThat(next.isHolder(B)).isTrue();
            assertThat(r.unitAttentions()).isEmpty();
            // the last registrant leaving ends it
            assertThat(ok(next, B, REGISTER, 0, 0x11, 0).isReserved()).isFalse();
        } else {
            assertThat(next.isReserved()).isFalse();
            assertThat(uas(r))
                    .isEqualTo(type.registrantsOnly() ? List.of(List.of(B, RESERVATIONS_RELEASED)) : List.of());
        }
    }

    @Test
    void nonHolderUnregisteringKeepsTheReservation() {
        PrState s = ok(registered(A, B), A, RESERVE, PrType.WRITE_EXCLUSIVE.code(), 0x10, 0);
        PrState next = ok(s, B, REGISTER, 0, 0x11, 0);
        assertThat(next.isHolder(A)).isTrue();
        assertThat(next.type()).isEqualTo(PrType.WRITE_EXCLUSIVE);
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        PrState s = ok(registered(A, B, C), A, RESERVE, PrType.EXCLUSIVE_ACCESS.code(), 0x10, 0);
        assertThat(run(s, B, CLEAR, 0, 0x99, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        PrResult r = run(s, B, CLEAR, 0, 0x11, 0);
        assertThat(r.next().registrations()).isEmpty();
        assertThat(r.next().isReserved()).isFalse();
        assertThat(r.next().generation()).isEqualTo(s.generation() + 1);
        assertThat(uas(r)).containsExactly(List.of(A, RESERVATIONS_PREEMPTED), List.of(C, RESERVATIONS_PREEMPTED));
    }

    @Test
    void preemptWithoutReservationRemovesRegistrations() {
        // libiscsi ProutPreempt: B preempts A's key, generation +1
        PrState s = registered(A, B);
        PrResult r = run(s, B, PREEMPT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x10);
        assertThat(r.next().registrations()).extracting(Registration::key).containsExactly(0x11L);
        assertThat(r.next().generation()).isEqualTo(s.generation() + 1);
        assertThat(r.next().isReserved()).isFalse();
        assertThat(uas(r)).containsExactly(List.of(A, REGISTRATIONS_PREEMPTED));
        // an unknown key conflicts, key 0 is an invalid parameter
        assertThat(run(s, B, PREEMPT, 3, 0x11, 0x77).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        PrResult zero = run(s, B, PREEMPT, 3, 0x11, 0);
        assertThat(zero.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(SenseData.asc(zero.sense())).isEqualTo(0x26);
    }

    @Test
    void preemptTheHolderTakesTheReservation() {
        PrState s = ok(registered(A, B, C), A, RESERVE, PrType.WRITE_EXCLUSIVE.code(), 0x10, 0);
        PrResult r = run(s, B, PREEMPT_AND_ABORT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x10);
        PrState next = r.next();
        assertThat(next.isHolder(B)).isTrue();
        assertThat(next.type()).isEqualTo(PrType.EXCLUSIVE_ACCESS);
        assertThat(next.registration(A)).isNull();
        assertThat(next.generation()).isEqualTo(s.generation() + 1);
        // A lost its registration; C keeps its own but the type changed
        assertThat(uas(r)).containsExactly(List.of(A, REGISTRATIONS_PREEMPTED), List.of(C, RESERVATIONS_RELEASED));
        assertThat(r.unitAttentions())
                .as("PREEMPT AND ABORT aborts the tasks of the removed registration's nexuses only")
                .extracting(PrUnitAttention::abortTasks)
                .containsExactly(true, false);
        PrResult plain = run(s, B, PREEMPT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x10);
        assertThat(plain.unitAttentions())
                .as("PREEMPT aborts nothing")
                .extracting(PrUnitAttention::abortTasks)
                .containsOnly(false);
        PrResult registrationsOnly = run(s, B, PREEMPT_AND_ABORT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x12);
        assertThat(registrationsOnly.unitAttentions())
                .as("removing a non-holder's registration aborts its tasks too")
                .extracting(PrUnitAttention::abortTasks)
                .containsExactly(true);
    }

    @Test
    void preemptANonHolderKeyLeavesTheReservation() {
        PrState s = ok(registered(A, B, C), A, RESERVE, PrType.WRITE_EXCLUSIVE.code(), 0x10, 0);
        PrResult r = run(s, B, PREEMPT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x12);
        assertThat(r.next().isHolder(A)).isTrue();
        assertThat(r.next().type()).isEqualTo(PrType.WRITE_EXCLUSIVE);
        assertThat(r.next().registration(C)).isNull();
        assertThat(uas(r)).containsExactly(List.of(C, REGISTRATIONS_PREEMPTED));
    }

    @Test
    void preemptAllRegistrantsReservationWithKeyZero() {
        PrState s = ok(registered(A, B, C), A, RESERVE, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS.code(), 0x10, 0);
        PrResult r = run(s, B, PREEMPT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0);
        PrState next = r.next();
        assertThat(next.registrations()).extracting(Registration::nexus).containsExactly(B);
        assertThat(next.isHolder(B)).isTrue();
        assertThat(next.type()).isEqualTo(PrType.EXCLUSIVE_ACCESS);
        assertThat(uas(r)).containsExactly(List.of(A, REGISTRATIONS_PREEMPTED), List.of(C, REGISTRATIONS_PREEMPTED));

        // with a key: only that registration goes, the all-registrants reservation stays
        PrResult byKey = run(s, B, PREEMPT, PrType.EXCLUSIVE_ACCESS.code(), 0x11, 0x10);
        assertThat(byKey.next().type()).isEqualTo(PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        assertThat(byKey.next().registration(A)).isNull();
        assertThat(byKey.next().registrations()).hasSize(2);
    }

    @Test
    void registerAndMove() {
        PrState s = ok(registered(A), A, RESERVE, PrType.EXCLUSIVE_ACCESS.code(), 0x10, 0);
        PrOutRequest move = new PrOutRequest(
                REGISTER_AND_MOVE,
                0,
                0,
                0x10,
                0x55,
                false,
                false,
                false,
                true,
                1,
                new TransportId("iqn.b", "000000000001"),
                B,
                48);
        PrResult r = PrLogic.apply(s, A, 1, move, false);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        PrState next = r.next();
        assertThat(next.isHolder(B)).isTrue();
        assertThat(next.registration(B).key()).isEqualTo(0x55);
        assertThat(next.registration(A)).as("UNREG=1").isNull();
        assertThat(next.type()).isEqualTo(PrType.EXCLUSIVE_ACCESS);
        assertThat(next.generation()).isEqualTo(s.generation() + 1);

        // moving to oneself, to nobody, from a non-holder, or an all-registrants reservation fails
        assertThat(PrLogic.apply(s, A, 1, move.withDestination(A), false).status())
                .isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(PrLogic.apply(s, A, 1, move.withDestination(null), false).status())
                .isEqualTo(ScsiStatus.CHECK_CONDITION);
        PrState withB = ok(s, B, REGISTER, 0, 0, 0x20);
        PrOutRequest fromB =
                new PrOutRequest(REGISTER_AND_MOVE, 0, 0, 0x20, 0x55, false, false, false, false, 1, null, C, 48);
        assertThat(PrLogic.apply(withB, B, 1, fromB, false).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        PrState ar = ok(registered(A), A, RESERVE, PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS.code(), 0x10, 0);
        assertThat(PrLogic.apply(ar, A, 1, move, false).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }
}
