package io.rbdgw.scsi;

/**
 * One supported command: what dispatch uses and what REPORT SUPPORTED OPERATION CODES reports, from
 * the same object so that the two cannot disagree.
 *
 * @param opcode         operation code
 * @param serviceAction  service action, or -1 for a command without one
 * @param name           for logs
 * @param usage          CDB USAGE DATA (SPC-4 6.35.3): byte 0 the opcode, then per CDB byte the bits
 *                       the device server looks at; any other bit set is rejected with INVALID FIELD IN
 *                       CDB. The last byte is the CONTROL byte (0: NACA and LINK unsupported).
 *                       Shared, never modified.
 * @param uaExempt       reported even while a unit attention is pending (INQUIRY, REPORT LUNS,
 *                       REQUEST SENSE)
 * @param nominalTimeout nominal command processing timeout in seconds (0: not specified)
 * @param recommendedTimeout recommended command timeout in seconds (0: not specified)
 * @param handler        the implementation
 * @param direction      which way its data goes: {@link #NO_DATA}, {@link #DATA_IN} or {@link #DATA_OUT}
 *                       (the transport solicits data-out only for {@link #DATA_OUT})
 * @param writesMedium   changes the medium: refused while software write protected (SWP)
 * @param writeGated     runs only under the disk's write token ({@link WriteGate}): the medium writes (a copy
 *                       passes each destination's gate per chunk instead, whichever unit received it)
 * @param reservation    what a persistent reservation held by another nexus lets through
 */
public record CommandSpec(
        int opcode,
        int serviceAction,
        String name,
        byte[] usage,
        boolean uaExempt,
        int nominalTimeout,
        int recommendedTimeout,
        CommandHandler handler,
        int direction,
        boolean writesMedium,
        boolean writeGated,
        Reservation reservation) {

    /**
     * How a command fares under a persistent reservation it does not hold (SPC-4 5.13.1, SBC-3 4.18).
     * Not consulted yet: {@code io.rbdgw.scsi.pr.PrAccess} decides from the opcode, and this attribute is
     * kept equal to it (CommandTableTest) until the reservations code reads it from here.
     */
    public enum Reservation {
        /** allowed under every reservation type */
        ALLOWED,
        /** reads data or state: allowed for non-holders under the Write Exclusive types only */
        READ,
        /** conflicts for non-holders */
        CONFLICT,
        /** decided by CDB fields (START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL) */
        BY_CDB
    }

    /** Moves no data (TEST UNIT READY, SYNCHRONIZE CACHE, ...). */
    public static final int NO_DATA = 0;
    /** Returns data to the initiator and never takes any (READ, INQUIRY, ...). */
    public static final int DATA_IN = 1;
    /** May take data from the initiator and never returns any (WRITE, UNMAP, VERIFY, ...). */
    public static final int DATA_OUT = 2;

    public int cdbLength() {
        return usage.length;
    }

    public boolean hasServiceAction() {
        return serviceAction >= 0;
    }

    /**
     * Rejects bits the usage data does not allow (05/24/00 with the field pointer), and NACA or LINK
     * in the CONTROL byte.
     */
    public void validate(byte[] cdb) {
        if (cdb.length < usage.length) {
            throw ScsiError.invalidCdb(0, -1);
        }
        int last = usage.length - 1;
        for (int i = 1; i < last; i++) {
            int bad = cdb[i] & ~usage[i] & 0xff;
            if (bad != 0) {
                throw ScsiError.invalidCdb(i, Cdbs.highestBit(bad));
            }
        }
        int control = cdb[last] & 0x05;
        if (control != 0) {
            throw ScsiError.invalidCdb(last, Cdbs.highestBit(control));
        }
    }
}
