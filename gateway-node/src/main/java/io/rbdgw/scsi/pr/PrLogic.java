package io.rbdgw.scsi.pr;

import io.rbdgw.scsi.SenseData;
import java.util.ArrayList;
import java.util.List;

/**
 * PERSISTENT RESERVE OUT as a pure function (SPC-4 5.13): from the current state, the nexus the
 * command arrived on and the decoded request, the next state, the status and the unit attentions.
 * No I/O, so the same code serves a single gateway and a cluster-wide store.
 */
public final class PrLogic {

    private PrLogic() {}

    /**
     * @param s                 the current state
     * @param me                the I_T nexus the command arrived on
     * @param myRelativePort    its relative target port identifier
     * @param q                 the request
     * @param ptplSupported     whether the store persists through power loss (else APTPL=1 is refused)
     */
    public static PrResult apply(PrState s, PrNexusId me, int myRelativePort, PrOutRequest q, boolean ptplSupported) {
        if (q.aptpl() && !ptplSupported) {
            int byteOffset = q.serviceAction() == PrOutRequest.REGISTER_AND_MOVE ? 17 : 20;
            return PrResult.check(SenseData.invalidField(false, byteOffset, 0));
        }
        Registration mine = s.registration(me);
        switch (q.serviceAction()) {
            case PrOutRequest.REGISTER:
                return register(s, me, myRelativePort, mine, q, false);
            case PrOutRequest.REGISTER_AND_IGNORE_EXISTING_KEY:
                return register(s, me, myRelativePort, mine, q, true);
            case PrOutRequest.RESERVE:
                return reserve(s, mine, q);
            case PrOutRequest.RELEASE:
                return release(s, mine, q);
            case PrOutRequest.CLEAR:
                return clear(s, mine, q);
            case PrOutRequest.PREEMPT:
            case PrOutRequest.PREEMPT_AND_ABORT:
                return preempt(s, mine, q, q.serviceAction() == PrOutRequest.PREEMPT_AND_ABORT);
            case PrOutRequest.REGISTER_AND_MOVE:
                return registerAndMove(s, me, mine, q);
            default:
                return PrResult.check(SenseData.invalidField(true, 1, 4));
        }
    }

    private static boolean keyMismatch(Registration mine, PrOutRequest q) {
        return mine == null || mine.key() != q.reservationKey();
    }

    private static PrResult register(
            PrState s, PrNexusId me, int myPort, Registration mine, PrOutRequest q, boolean ignoreKey) {
        if (q.specIpt()) {
            // SPEC_I_PT is not supported (REPORT CAPABILITIES SIP_C=0)
            return PrResult.check(SenseData.invalidField(false, 20, 3));
        }
        if (mine == null) {
            if (!ignoreKey && q.reservationKey() != 0) {
                return PrResult.conflict();
            }
            if (q.serviceActionKey() == 0) {
                return PrResult.unchanged();
            }
            List<Registration> regs = new ArrayList<>(s.registrations());
            regs.add(new Registration(me, q.serviceActionKey(), q.aptpl(), q.allTgPt(), myPort));
            return PrResult.good(s.next(regs, s.holder(), s.type(), true), List.of());
        }
        if (!ignoreKey && q.reservationKey() != mine.key()) {
            return PrResult.conflict();
        }
        if (q.serviceActionKey() == 0) {
            return unregister(s, mine);
        }
        List<Registration> regs = new ArrayList<>(s.registrations().size());
        for (Registration r : s.registrations()) {
            regs.add(r == mine ? mine.withKey(q.serviceActionKey(), q.aptpl()) : r);
        }
        return PrResult.good(s.next(regs, s.holder(), s.type(), true), List.of());
    }

    /** Removing the registration of the nexus itself (SPC-4 5.13.11.2.3). */
    private static PrResult unregister(PrState s, Registration mine) {
        List<Registration> regs = PrState.without(s.registrations(), mine);
        PrType type = s.type();
        PrNexusId holder = s.holder();
        List<PrUnitAttention> uas = new ArrayList<>();
        if (type != null) {
            if (type.allRegistrants()) {
                // an all-registrants reservation lasts while anyone is registered; nobody is notified
                if (regs.isEmpty()) {
                    type = null;
                }
            } else if (s.holds(mine)) {
                if (type.registrantsOnly()) {
                    for (Registration r : regs) {
                        uas.add(PrUnitAttention.of(r, PrUnitAttention.RESERVATIONS_RELEASED));
                    }
                }
                type = null;
                holder = null;
            }
        }
        return PrResult.good(s.next(regs, holder, type, true), uas);
    }

    private static PrResult reserve(PrState s, Registration mine, PrOutRequest q) {
        if (keyMismatch(mine, q)) {
            return PrResult.conflict();
        }
        PrType type = PrType.fromCode(q.typeCode());
        if (type == null) {
            return PrResult.check(SenseData.invalidField(true, 2, 3));
        }
        if (s.isReserved()) {
            return s.holds(mine) && s.type() == type ? PrResult.unchanged() : PrResult.conflict();
        }
        return PrResult.good(s.next(s.registrations(), mine.nexus(), type, false), List.of());
    }

    private static PrResult release(PrState s, Registration mine, PrOutRequest q) {
        if (keyMismatch(mine, q)) {
            return PrResult.conflict();
        }
        if (!s.holds(mine)) {
            // no reservation, or a registered non-holder: nothing to release, GOOD
            return PrResult.unchanged();
        }
        if (q.typeCode() != s.type().code()) {
            return PrResult.check(SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x26, 0x04));
        }
        List<PrUnitAttention> uas = new ArrayList<>();
        if (s.type().registrantsHaveAccess()) {
            for (Registration r : s.registrations()) {
                if (r != mine) {
                    uas.add(PrUnitAttention.of(r, PrUnitAttention.RESERVATIONS_RELEASED));
                }
            }
        }
        return PrResult.good(s.next(s.registrations(), null, null, false), uas);
    }

    private static PrResult clear(PrState s, Registration mine, PrOutRequest q) {
        if (keyMismatch(mine, q)) {
            return PrResult.conflict();
        }
        List<PrUnitAttention> uas = new ArrayList<>();
        for (Registration r : s.registrations()) {
            if (r != mine) {
                uas.add(PrUnitAttention.of(r, PrUnitAttention.RESERVATIONS_PREEMPTED));
            }
        }
        return PrResult.good(s.next(List.of(), null, null, true), uas);
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 5.14.11.2.4-6); with {@code abort} the REGISTRATIONS PREEMPTED unit
     * attentions also abort the tasks of the nexuses whose registrations are removed.
     */
    private static PrResult preempt(PrState s, Registration mine, PrOutRequest q, boolean abort) {
        if (keyMismatch(mine, q)) {
            return PrResult.conflict();
        }
        long sark = q.serviceActionKey();
        if (!s.isReserved()) {
            if (sark == 0) {
                return PrResult.check(SenseData.invalidField(false, 8, -1));
            }
            return removeRegistrations(s, mine, sark, abort);
        }
        PrType oldType = s.type();
        if (oldType.allRegistrants()
                ? sark != 0
                : sark != s.holderRegistration().key()) {
            // preempting registrations only; the reservation stays
            if (sark == 0) {
                return PrResult.check(SenseData.invalidField(false, 8, -1));
            }
            return removeRegistrations(s, mine, sark, abort);
        }
        // preempting the reservation: the holder's key, or 0 for an all-registrants reservation
        PrType type = PrType.fromCode(q.typeCode());
        if (type == null) {
            return PrResult.check(SenseData.invalidField(true, 2, 3));
        }
        List<Registration> regs = new ArrayList<>();
        List<PrUnitAttention> uas = new ArrayList<>();
        for (Registration r : s.registrations()) {
            boolean remove = r != mine && (oldType.allRegistrants() || r.key() == sark);
            if (remove) {
                uas.add(PrUnitAttention.preempted(r, abort));
            } else {
                regs.add(r);
            }
        }
        if (type != oldType) {
            for (Registration r : regs) {
                if (r != mine) {
                    uas.add(PrUnitAttention.of(r, PrUnitAttention.RESERVATIONS_RELEASED));
                }
            }
        }
        return PrResult.good(s.next(regs, mine.nexus(), type, true), uas);
    }

    /**
     * Removes every registration with {@code key}, the nexus's own too (SPC-4 5.13.11.2.5: "The registration is
     * removed", with no unit attention for the nexus itself); an all-registrants reservation ends with its last
     * registrant (table 71). With {@code abort} (PREEMPT AND ABORT) the removed nexuses' tasks are aborted too.
     */
    private static PrResult removeRegistrations(PrState s, Registration mine, long key, boolean abort) {
        List<Registration> regs = new ArrayList<>();
        List<PrUnitAttention> uas = new ArrayList<>();
        for (Registration r : s.registrations()) {
            if (r.key() != key) {
                regs.add(r);
            } else if (r != mine) {
                uas.add(PrUnitAttention.preempted(r, abort));
            }
        }
        if (regs.size() == s.registrations().size()) {
            return PrResult.conflict();
        }
        PrType type = s.type();
        if (type != null && type.allRegistrants() && regs.isEmpty()) {
            type = null;
        }
        return PrResult.good(s.next(regs, s.holder(), type, true), uas);
    }

    /** SPC-4 5.13.8 and table 70. */
    private static PrResult registerAndMove(PrState s, PrNexusId me, Registration mine, PrOutRequest q) {
        if (keyMismatch(mine, q)) {
            return PrResult.conflict();
        }
        if (!s.isReserved()) {
            return PrResult.check(SenseData.invalidField(true, 1, 4)); // nothing to move: INVALID FIELD IN CDB
        }
        if (q.serviceActionKey() == 0) {
            return PrResult.check(SenseData.invalidField(false, 8, -1));
        }
        if (!s.holds(mine) || s.type().allRegistrants()) {
            return PrResult.conflict();
        }
        PrNexusId dest = q.destination();
        if (dest == null || dest.initiatorPortName().equals(me.initiatorPortName())) {
            // unknown, or the sender's own initiator port (through any target port)
            return PrResult.check(SenseData.invalidField(false, PrOutRequest.BASIC_LENGTH, -1));
        }
        List<Registration> regs = new ArrayList<>(s.registrations());
        Registration destReg = s.registration(dest);
        if (destReg == null) {
            destReg = new Registration(dest, q.serviceActionKey(), q.aptpl(), false, q.relativeTargetPort());
            regs.add(destReg);
        } else {
            // registered already: it gets the new key all the same (5.13.8 c)
            Registration rekeyed = destReg.withKey(q.serviceActionKey(), q.aptpl());
            regs.set(regs.indexOf(destReg), rekeyed);
            destReg = rekeyed;
        }
        if (q.unreg()) {
            regs.remove(mine);
        }
        return PrResult.good(s.next(regs, destReg.nexus(), s.type(), true), List.of());
    }
}
