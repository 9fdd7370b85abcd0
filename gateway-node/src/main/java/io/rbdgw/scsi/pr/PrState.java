package io.rbdgw.scsi.pr;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The persistent-reservation state of one logical unit (immutable): the PR generation, the
 * registrations in registration order, and the reservation (holder and type; the scope is always
 * LU_SCOPE). For the all-registrants types there is no single holder: every registrant holds it.
 * It also carries SWP of the control mode page, the one other piece of logical-unit-wide state a host
 * changes, so that a cluster store shares it with the reservations.
 */
public final class PrState {

    /** The only scope the device server supports. */
    public static final int SCOPE_LU = 0;

    public static final PrState EMPTY = new PrState(0, List.of(), null, null);

    private final int generation;
    private final List<Registration> registrations;
    private final PrNexusId holder;
    private final PrType type;
    private final PrNexusId spc2Holder;
    private final boolean softwareWriteProtect;

    public PrState(int generation, List<Registration> registrations, PrNexusId holder, PrType type) {
        this(generation, registrations, holder, type, null);
    }

    public PrState(
            int generation, List<Registration> registrations, PrNexusId holder, PrType type, PrNexusId spc2Holder) {
        this(generation, registrations, holder, type, spc2Holder, false);
    }

    /**
     * @param generation    PRgeneration (wraps as a 32-bit counter)
     * @param registrations the registrations, in order
     * @param holder        the holder's registration nexus for a non-all-registrants reservation,
     *                      else null
     * @param type          the reservation type, null when not reserved
     * @param spc2Holder    the nexus holding an SPC-2 RESERVE, else null (kept here so that every gateway
     *                      of a cluster enforces it)
     * @param softwareWriteProtect SWP of the control mode page: medium writes fail with DATA PROTECT
     */
    public PrState(
            int generation,
            List<Registration> registrations,
            PrNexusId holder,
            PrType type,
            PrNexusId spc2Holder,
            boolean softwareWriteProtect) {
        this.generation = generation;
        this.spc2Holder = spc2Holder;
        this.softwareWriteProtect = softwareWriteProtect;
        this.registrations = List.copyOf(registrations);
        this.type = type;
        this.holder = type == null || type.allRegistrants() ? null : holder;
        if (type != null && !type.allRegistrants()) {
            Objects.requireNonNull(holder, "a reservation of this type has a holder");
        }
    }

    public int generation() {
        return generation;
    }

    public List<Registration> registrations() {
        return registrations;
    }

    /** The reservation type, or null when there is no persistent reservation. */
    public PrType type() {
        return type;
    }

    /** The holder's registration nexus; null when not reserved or for the all-registrants types. */
    public PrNexusId holder() {
        return holder;
    }

    /** The nexus holding an SPC-2 reservation, or null. */
    public PrNexusId spc2Holder() {
        return spc2Holder;
    }

    /** This state with the SPC-2 reservation held by {@code nexus} (null: released); the generation stays. */
    public PrState withSpc2Holder(PrNexusId nexus) {
        return new PrState(generation, registrations, holder, type, nexus, softwareWriteProtect);
    }

    /** Whether SWP (software write protect, control mode page) is set. */
    public boolean softwareWriteProtect() {
        return softwareWriteProtect;
    }

    /** This state with SWP set or cleared; the PRgeneration stays (it counts reservation changes only). */
    public PrState withSoftwareWriteProtect(boolean on) {
        return new PrState(generation, registrations, holder, type, spc2Holder, on);
    }

    /** Whether any nexus could be refused a command because of this state. */
    public boolean hasState() {
        return !registrations.isEmpty() || type != null || spc2Holder != null;
    }

    public boolean isReserved() {
        return type != null;
    }

    /** The registration applying to {@code id}, or null. Allocation-free. */
    public Registration registration(PrNexusId id) {
        List<Registration> regs = registrations;
        for (int i = 0, n = regs.size(); i < n; i++) {
            Registration r = regs.get(i);
            if (r.matches(id)) {
                return r;
            }
        }
        return null;
    }

    /** Whether {@code r} (a registration of this state) holds the reservation. */
    public boolean holds(Registration r) {
        return r != null && type != null && (type.allRegistrants() || r.nexus().equals(holder));
    }

    /** Whether commands on {@code id} act as the reservation holder's. */
    public boolean isHolder(PrNexusId id) {
        return type != null && holds(registration(id));
    }

    /** The holder's registration for a single-holder reservation, else null. */
    public Registration holderRegistration() {
        if (holder == null) {
            return null;
        }
        for (Registration r : registrations) {
            if (r.nexus().equals(holder)) {
                return r;
            }
        }
        return null;
    }

    PrState next(List<Registration> regs, PrNexusId newHolder, PrType newType, boolean bumpGeneration) {
        return new PrState(
                bumpGeneration ? generation + 1 : generation,
                regs,
                newHolder,
                newType,
                spc2Holder,
                softwareWriteProtect);
    }

    static List<Registration> without(List<Registration> regs, Registration gone) {
        List<Registration> out = new ArrayList<>(regs.size());
        for (Registration r : regs) {
            if (r != gone) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrState s
                && s.generation == generation
                && s.registrations.equals(registrations)
                && Objects.equals(s.holder, holder)
                && s.type == type
                && Objects.equals(s.spc2Holder, spc2Holder)
                && s.softwareWriteProtect == softwareWriteProtect;
    }

    @Override
    public int hashCode() {
        return Objects.hash(generation, registrations, holder, type, spc2Holder, softwareWriteProtect);
    }

    @Override
    public String toString() {
        return "PrState[generation=" + generation + ", registrations=" + registrations + ", holder=" + holder
                + ", type=" + type + (spc2Holder != null ? ", spc2Holder=" + spc2Holder : "")
                + (softwareWriteProtect ? ", SWP" : "") + "]";
    }
}
