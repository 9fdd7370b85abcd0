package io.rbdgw.scsi.pr;

/**
 * A unit attention a persistent-reservation change establishes for the initiator port of a
 * registration (through every target port when it was registered with ALL_TG_PT), or, with no
 * registration, for every nexus of the logical unit (a LOGICAL UNIT RESET's 29/03, carried to the
 * other gateways by a shared store).
 *
 * @param abortTasks PREEMPT AND ABORT (SPC-4 5.14.11.2.6): the tasks of the nexuses the registration covers are
 *                   aborted on the logical unit too, on whichever gateway they run
 * @param except     for every nexus: the one nexus left out (the sender of a MODE SELECT gets no 2A/01), or null
 */
public record PrUnitAttention(Registration registration, int asc, int ascq, boolean abortTasks, PrNexusId except) {

    public static final int ASC = 0x2A;
    public static final int RESERVATIONS_PREEMPTED = 0x03;
    public static final int RESERVATIONS_RELEASED = 0x04;
    public static final int REGISTRATIONS_PREEMPTED = 0x05;

    public PrUnitAttention(Registration registration, int asc, int ascq) {
        this(registration, asc, ascq, false);
    }

    public PrUnitAttention(Registration registration, int asc, int ascq, boolean abortTasks) {
        this(registration, asc, ascq, abortTasks, null);
    }

    /** A unit attention for every nexus of the logical unit, through every gateway. */
    public static PrUnitAttention everyNexus(int asc, int ascq) {
        return new PrUnitAttention(null, asc, ascq);
    }

    /** A unit attention for every nexus of the logical unit, through every gateway, but {@code except}. */
    public static PrUnitAttention everyNexusExcept(PrNexusId except, int asc, int ascq) {
        return new PrUnitAttention(null, asc, ascq, false, except);
    }

    public boolean isForEveryNexus() {
        return registration == null;
    }

    static PrUnitAttention of(Registration r, int ascq) {
        return new PrUnitAttention(r, ASC, ascq);
    }

    /** REGISTRATIONS PREEMPTED for a removed registration; with its nexuses' tasks aborted for PREEMPT AND ABORT. */
    static PrUnitAttention preempted(Registration r, boolean abortTasks) {
        return new PrUnitAttention(r, ASC, REGISTRATIONS_PREEMPTED, abortTasks);
    }
}
