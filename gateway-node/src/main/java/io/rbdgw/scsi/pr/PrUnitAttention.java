package io.rbdgw.scsi.pr;

/**
 * A unit attention a persistent-reservation change establishes for the initiator port of a
 * registration (through every target port when it was registered with ALL_TG_PT).
 */
public record PrUnitAttention(Registration registration, int asc, int ascq) {

    public static final int ASC = 0x2A;
    public static final int RESERVATIONS_PREEMPTED = 0x03;
    public static final int RESERVATIONS_RELEASED = 0x04;
    public static final int REGISTRATIONS_PREEMPTED = 0x05;

    static PrUnitAttention of(Registration r, int ascq) {
        return new PrUnitAttention(r, ASC, ascq);
    }
}
