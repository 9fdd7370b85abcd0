package io.rbdgw.scsi.pr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference model of SCSI reservations of one logical unit in one SCSI target device, written from SPC-4 (r37:
 * 5.13 persistent reservations, 6.15 PERSISTENT RESERVE IN, 6.16 PERSISTENT RESERVE OUT) and SPC-2 5.5.1 for
 * RESERVE(6)/RELEASE(6). Deliberately independent of the engine: it keeps one registration per I_T nexus (as
 * the standard does), not the engine's registration records, and shares no code with {@link PrLogic} or
 * {@link PrAccess}. Plain data, no I/O.
 *
 * <p>Where the engine knowingly departs from a strict reading of the standard, the model follows the engine
 * and says so here; everything else is the standard's:
 *
 * <ol>
 *   <li><b>ALL_TG_PT holders.</b> 5.13.10 names one I_T nexus as the holder of a non-all-registrants
 *       reservation. The engine keeps an ALL_TG_PT registration as one record, so every I_T nexus of that
 *       registration acts as the holder (the READ FULL STATUS descriptor with ALL_TG_PT=1 and R_HOLDER, 6.15.5,
 *       describes exactly that).</li>
 *   <li><b>Unit attentions on the sender's own ALL_TG_PT registration.</b> RELEASE, CLEAR and PREEMPT establish
 *       unit attentions for every registered I_T nexus "other than" the one the command came on; the engine
 *       skips the sender's whole registration, so the sender's I_T nexuses through the other target ports get
 *       none.</li>
 *   <li><b>READ KEYS</b> lists an ALL_TG_PT registration once, not once per target port (6.15.2 wants the key once
 *       per registered I_T nexus).</li>
 * </ol>
 *
 * <p>The generator of {@code ClusterReservationsModelTest} keeps away from the cases where the per-nexus and the
 * per-record views would change state differently (it keeps each initiator port either registered through
 * ALL_TG_PT on every target port or per target port, never both), so the states compared stay comparable.
 *
 * <p>RESERVE/RELEASE: SPC-2 5.5.1 (any registration makes both conflict, whoever sends them), which is what a
 * device reporting CRH=0 does; SPC-4 5.13.3's exceptions apply only to CRH=1 devices.
 */
final class SpcReservationModel {

    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int RESERVATION_CONFLICT = 0x18;

    static final int ILLEGAL_REQUEST = 0x5;

    static final int WE = 0x1;
    static final int EA = 0x3;
    static final int WE_RO = 0x5;
    static final int EA_RO = 0x6;
    static final int WE_AR = 0x7;
    static final int EA_AR = 0x8;
    static final int[] TYPES = {WE, EA, WE_RO, EA_RO, WE_AR, EA_AR};

    /** Additional sense (ASC 0x2A) of the reservation unit attentions. */
    static final int RESERVATIONS_PREEMPTED = 0x2A03;

    static final int RESERVATIONS_RELEASED = 0x2A04;
    static final int REGISTRATIONS_PREEMPTED = 0x2A05;
    /** POWER ON, RESET, OR BUS DEVICE RESET OCCURRED: a new I_T nexus. */
    static final int POWER_ON = 0x2900;

    /** An I_T nexus: an initiator port (index into the device's initiator ports) and a relative target port. */
    record Nexus(int initiator, int targetPort) {
        @Override
        public String toString() {
            return "I" + initiator + "/P" + targetPort;
        }
    }

    /** A command's outcome: status, and for CHECK CONDITION the sense key and additional sense. */
    record Outcome(int status, int senseKey, int asc, int ascq) {
        static final Outcome GOOD_STATUS = new Outcome(GOOD, 0, 0, 0);
        static final Outcome CONFLICT = new Outcome(RESERVATION_CONFLICT, 0, 0, 0);

        static Outcome check(int asc, int ascq) {
            return new Outcome(CHECK_CONDITION, ILLEGAL_REQUEST, asc, ascq);
        }

        @Override
        public String toString() {
            return status == CHECK_CONDITION
                    ? String.format("CHECK CONDITION %x/%02x/%02x", senseKey, asc, ascq)
                    : status == GOOD ? "GOOD" : status == RESERVATION_CONFLICT ? "RESERVATION CONFLICT" : "" + status;
        }
    }

    static final Outcome INVALID_FIELD_IN_CDB = Outcome.check(0x24, 0x00);
    static final Outcome INVALID_FIELD_IN_PARAMETER_LIST = Outcome.check(0x26, 0x00);
    static final Outcome INVALID_RELEASE = Outcome.check(0x26, 0x04);

    /** The registration of one I_T nexus; {@code allTgPt}: made by a REGISTER with ALL_TG_PT=1. */
    record Reg(long key, boolean allTgPt) {}

    /** One READ FULL STATUS descriptor (6.15.5), minus the fields that are always zero. */
    record FullStatus(long key, boolean allTgPt, boolean holder, int type, int relativeTargetPort, String port) {}

    private final int initiators;
    private final int targetPorts;
    private final List<String> portNames;

    private int generation;
    private final Map<Nexus, Reg> regs = new LinkedHashMap<>();
    /** 0: no persistent reservation. */
    private int type;
    /** The I_T nexus holding a reservation that is not of an all-registrants type. */
    private Nexus holder;

    private Nexus spc2Holder;
    private final Map<Nexus, List<Integer>> unitAttentions = new HashMap<>();

    /**
     * @param portNames   the SCSI initiator port names ({@code iqn...,i,0xISID}), by initiator index
     * @param targetPorts how many target ports the device has (relative target port identifiers 1..n)
     */
    SpcReservationModel(List<String> portNames, int targetPorts) {
        this.portNames = List.copyOf(portNames);
        this.initiators = portNames.size();
        this.targetPorts = targetPorts;
    }

    List<Nexus> nexuses() {
        List<Nexus> out = new ArrayList<>();
        for (int p = 1; p <= targetPorts; p++) {
            for (int i = 0; i < initiators; i++) {
                out.add(new Nexus(i, p));
            }
        }
        return out;
    }

    private List<Nexus> allPortsOf(int initiator) {
        List<Nexus> out = new ArrayList<>();
        for (int p = 1; p <= targetPorts; p++) {
            out.add(new Nexus(initiator, p));
        }
        return out;
    }

    // ---- state the generator and the comparison read ----

    Reg registration(Nexus n) {
        return regs.get(n);
    }

    Map<Nexus, Reg> registrations() {
        return Map.copyOf(regs);
    }

    int type() {
        return type;
    }

    Nexus spc2Holder() {
        return spc2Holder;
    }

    static boolean allRegistrants(int t) {
        return t == WE_AR || t == EA_AR;
    }

    static boolean validType(int t) {
        for (int v : TYPES) {
            if (v == t) {
                return true;
            }
        }
        return false;
    }

    /** 5.13.10, with departure 1 for ALL_TG_PT registrations. */
    boolean isHolder(Nexus n) {
        if (type == 0 || !regs.containsKey(n)) {
            return false;
        }
        if (allRegistrants(type)) {
            return true;
        }
        if (n.equals(holder)) {
            return true;
        }
        Reg h = regs.get(holder);
        return h != null && h.allTgPt() && regs.get(n).allTgPt() && n.initiator() == holder.initiator();
    }

    /** Whether {@code t} is another I_T nexus of the sender's own ALL_TG_PT registration (departure 2). */
    private static boolean sameRegistration(Nexus sender, Reg senderReg, Nexus t) {
        return senderReg != null && senderReg.allTgPt() && t.initiator() == sender.initiator();
    }

    private void establish(Nexus n, int code) {
        unitAttentions.computeIfAbsent(n, k -> new ArrayList<>()).add(code);
    }

    /** Unit attentions for every registered nexus in {@code to} but the sender (and its own registration's). */
    private void establishForOthers(Nexus sender, Reg senderReg, Iterable<Nexus> to, int code) {
        for (Nexus t : to) {
            if (!t.equals(sender) && !sameRegistration(sender, senderReg, t)) {
                establish(t, code);
            }
        }
    }

    /** The unit attentions established for {@code n} since the last call, oldest first. */
    List<Integer> drainUnitAttentions(Nexus n) {
        List<Integer> l = unitAttentions.remove(n);
        return l == null ? List.of() : l;
    }

    // ---- access (SPC-4 5.13.1 table 64, SBC-3 4.18 for READ and WRITE; SPC-2 5.5.1) ----

    /** The status a READ (write false) or WRITE (write true) from {@code n} gets before it runs. */
    int access(Nexus n, boolean write) {
        if (spc2Holder != null && !spc2Holder.equals(n)) {
            return RESERVATION_CONFLICT;
        }
        if (type == 0 || isHolder(n)) {
            return GOOD;
        }
        boolean registered = regs.containsKey(n);
        return switch (type) {
            case WE -> write ? RESERVATION_CONFLICT : GOOD;
            case EA -> RESERVATION_CONFLICT;
            case WE_RO, WE_AR -> registered || !write ? GOOD : RESERVATION_CONFLICT;
            case EA_RO, EA_AR -> registered ? GOOD : RESERVATION_CONFLICT;
            default -> throw new IllegalStateException("type " + type);
        };
    }

    /** SPC-2: everything but a few commands (not PERSISTENT RESERVE IN/OUT) conflicts for other I_T nexuses. */
    private boolean blockedBySpc2(Nexus n) {
        return spc2Holder != null && !spc2Holder.equals(n);
    }

    // ---- PERSISTENT RESERVE OUT ----

    /** REGISTER (ignoreKey false) and REGISTER AND IGNORE EXISTING KEY (true): 5.13.7 tables 67-69. */
    Outcome register(Nexus n, long rk, long sark, boolean allTgPt, boolean ignoreKey) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        List<Nexus> targets = allTgPt ? allPortsOf(n.initiator()) : List.of(n);
        if (mine == null) {
            if (!ignoreKey && rk != 0) {
                return Outcome.CONFLICT;
            }
            if (sark == 0) {
                return Outcome.GOOD_STATUS; // "do nothing except return GOOD status"
            }
            for (Nexus t : targets) {
                regs.put(t, new Reg(sark, allTgPt));
            }
            generation++;
            return Outcome.GOOD_STATUS;
        }
        if (!ignoreKey && rk != mine.key()) {
            return Outcome.CONFLICT;
        }
        if (sark == 0) {
            unregister(n, mine, targets);
        } else {
            for (Nexus t : targets) {
                Reg old = regs.get(t);
                regs.put(t, new Reg(sark, old != null ? old.allTgPt() : allTgPt));
            }
        }
        generation++;
        return Outcome.GOOD_STATUS;
    }

    /** 5.13.11.2.3 and table 71: the holder's unregistering releases the reservation. */
    private void unregister(Nexus sender, Reg senderReg, List<Nexus> removed) {
        boolean holderRemoved = false;
        for (Nexus r : removed) {
            holderRemoved |= isHolder(r);
        }
        for (Nexus r : removed) {
            regs.remove(r);
        }
        if (type == 0) {
            return;
        }
        if (allRegistrants(type)) {
            if (regs.isEmpty()) {
                release();
            }
        } else if (holderRemoved) {
            if (type == WE_RO || type == EA_RO) {
                establishForOthers(sender, senderReg, regs.keySet(), RESERVATIONS_RELEASED);
            }
            release();
        }
    }

    private void release() {
        type = 0;
        holder = null;
    }

    /** 5.13.9. */
    Outcome reserve(Nexus n, long rk, int t) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        if (mine == null || mine.key() != rk) {
            return Outcome.CONFLICT;
        }
        if (!validType(t)) {
            return INVALID_FIELD_IN_CDB;
        }
        if (type != 0) {
            return isHolder(n) && type == t ? Outcome.GOOD_STATUS : Outcome.CONFLICT;
        }
        type = t;
        holder = allRegistrants(t) ? null : n;
        return Outcome.GOOD_STATUS;
    }

    /** 5.13.11.2.2. */
    Outcome releasePersistent(Nexus n, long rk, int t) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        if (mine == null || mine.key() != rk) {
            return Outcome.CONFLICT;
        }
        if (type == 0 || !isHolder(n)) {
            return Outcome.GOOD_STATUS;
        }
        if (t != type) {
            return INVALID_RELEASE;
        }
        if (type == WE_RO || type == EA_RO || allRegistrants(type)) {
            establishForOthers(n, mine, regs.keySet(), RESERVATIONS_RELEASED);
        }
        release();
        return Outcome.GOOD_STATUS;
    }

    /** 5.13.11.2.7. */
    Outcome clear(Nexus n, long rk) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        if (mine == null || mine.key() != rk) {
            return Outcome.CONFLICT;
        }
        establishForOthers(n, mine, regs.keySet(), RESERVATIONS_PREEMPTED);
        regs.clear();
        release();
        generation++;
        return Outcome.GOOD_STATUS;
    }

    /** PREEMPT and PREEMPT AND ABORT (same state changes; the aborts are not modelled): 5.13.11.2.4-6, table 72. */
    Outcome preempt(Nexus n, long rk, long sark, int t) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        if (mine == null || mine.key() != rk) {
            return Outcome.CONFLICT;
        }
        if (type != 0 && allRegistrants(type)) {
            if (sark == 0) {
                List<Nexus> others = new ArrayList<>();
                for (Nexus r : regs.keySet()) {
                    if (!r.equals(n)) {
                        others.add(r);
                    }
                }
                return preemptReservation(n, mine, t, others);
            }
            return removeRegistrations(n, mine, sark);
        }
        if (sark == 0) {
            return INVALID_FIELD_IN_PARAMETER_LIST;
        }
        if (type != 0 && regs.get(holder).key() == sark) {
            List<Nexus> removed = new ArrayList<>();
            for (Map.Entry<Nexus, Reg> e : regs.entrySet()) {
                if (e.getValue().key() == sark && !e.getKey().equals(n)) {
                    removed.add(e.getKey());
                }
            }
            return preemptReservation(n, mine, t, removed);
        }
        return removeRegistrations(n, mine, sark);
    }

    /** 5.13.11.2.4.3: the reservation goes to the sender with the new type; {@code removed} lose registrations. */
    private Outcome preemptReservation(Nexus n, Reg mine, int t, List<Nexus> removed) {
        if (!validType(t)) {
            return INVALID_FIELD_IN_CDB;
        }
        int oldType = type;
        for (Nexus r : removed) {
            regs.remove(r);
        }
        establishForOthers(n, mine, removed, REGISTRATIONS_PREEMPTED);
        type = t;
        holder = allRegistrants(t) ? null : n;
        if (t != oldType) {
            establishForOthers(n, mine, regs.keySet(), RESERVATIONS_RELEASED);
        }
        generation++;
        return Outcome.GOOD_STATUS;
    }

    /** 5.13.11.2.5: every I_T nexus registered with {@code sark} loses it, the sender's too (without a UA). */
    private Outcome removeRegistrations(Nexus n, Reg mine, long sark) {
        List<Nexus> removed = new ArrayList<>();
        for (Map.Entry<Nexus, Reg> e : regs.entrySet()) {
            if (e.getValue().key() == sark) {
                removed.add(e.getKey());
            }
        }
        if (removed.isEmpty()) {
            return Outcome.CONFLICT;
        }
        for (Nexus r : removed) {
            regs.remove(r);
        }
        establishForOthers(n, mine, removed, REGISTRATIONS_PREEMPTED);
        if (type != 0 && allRegistrants(type) && regs.isEmpty()) {
            release(); // table 71: the last registrant of an all-registrants reservation went
        }
        generation++;
        return Outcome.GOOD_STATUS;
    }

    /** 5.13.8, table 70: registers {@code dest} with {@code sark} and moves the reservation to it. */
    Outcome registerAndMove(Nexus n, long rk, long sark, Nexus dest, boolean unreg) {
        if (blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        Reg mine = regs.get(n);
        if (mine == null || mine.key() != rk) {
            return Outcome.CONFLICT;
        }
        if (type == 0) {
            return INVALID_FIELD_IN_CDB;
        }
        if (allRegistrants(type) || !isHolder(n)) {
            return Outcome.CONFLICT;
        }
        if (sark == 0 || dest.initiator() == n.initiator()) {
            return INVALID_FIELD_IN_PARAMETER_LIST;
        }
        regs.put(dest, new Reg(sark, false)); // registered or not, the destination now has this key
        holder = dest;
        if (unreg) {
            regs.remove(n); // no longer the holder: nothing else happens (5.13.11.2.3)
        }
        generation++;
        return Outcome.GOOD_STATUS;
    }

    // ---- SPC-2 RESERVE(6) / RELEASE(6), and I_T nexus loss ----

    Outcome reserve6(Nexus n) {
        if (!regs.isEmpty() || blockedBySpc2(n)) {
            return Outcome.CONFLICT;
        }
        spc2Holder = n;
        return Outcome.GOOD_STATUS;
    }

    Outcome release6(Nexus n) {
        if (!regs.isEmpty()) {
            return Outcome.CONFLICT;
        }
        if (n.equals(spc2Holder)) {
            spc2Holder = null;
        }
        return Outcome.GOOD_STATUS; // from another nexus: nothing happens (SPC-2 7.17)
    }

    /** The I_T nexus ends (logout) and a new one with the same names begins. */
    void nexusReplaced(Nexus n) {
        if (n.equals(spc2Holder)) {
            spc2Holder = null;
        }
        unitAttentions.remove(n);
        establish(n, POWER_ON);
    }

    // ---- PERSISTENT RESERVE IN ----

    int generation() {
        return generation;
    }

    /** READ KEYS: the keys (departure 3: an ALL_TG_PT registration once), in no particular order. */
    List<Long> readKeys() {
        List<Long> keys = new ArrayList<>();
        for (Map.Entry<Nexus, Reg> e : regs.entrySet()) {
            if (!e.getValue().allTgPt()
                    || e.getKey().targetPort() == firstRegisteredPort(e.getKey().initiator())) {
                keys.add(e.getValue().key());
            }
        }
        return keys;
    }

    private int firstRegisteredPort(int initiator) {
        for (int p = 1; p <= targetPorts; p++) {
            if (regs.containsKey(new Nexus(initiator, p))) {
                return p;
            }
        }
        return -1;
    }

    /** READ RESERVATION: null when there is none, else {key, type}. */
    long[] readReservation() {
        if (type == 0) {
            return null;
        }
        return new long[] {allRegistrants(type) ? 0 : regs.get(holder).key(), type};
    }

    /** READ FULL STATUS: one descriptor per I_T nexus, one per ALL_TG_PT registration. */
    List<FullStatus> readFullStatus() {
        List<FullStatus> out = new ArrayList<>();
        for (Map.Entry<Nexus, Reg> e : regs.entrySet()) {
            Nexus n = e.getKey();
            Reg r = e.getValue();
            if (r.allTgPt() && n.targetPort() != firstRegisteredPort(n.initiator())) {
                continue;
            }
            boolean h = isHolder(n);
            out.add(new FullStatus(
                    r.key(),
                    r.allTgPt(),
                    h,
                    h ? type : 0,
                    r.allTgPt() ? 0 : n.targetPort(),
                    portNames.get(n.initiator())));
        }
        return out;
    }
}
