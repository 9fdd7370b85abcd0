package io.rbdgw.scsi.pr;

/**
 * Which commands a reservation lets through (SPC-4 5.13.1 table "SPC commands that are allowed in
 * the presence of various reservations", SBC-3 4.18 for the block commands, SPC-2 5.5.1 for
 * RESERVE/RELEASE). Allocation-free: called for every command.
 */
public final class PrAccess {

    /** Allowed under every reservation type. */
    static final int ALLOWED = 0;
    /** Reads data or state: allowed for non-holders under the Write Exclusive types only. */
    static final int READ = 1;
    /** Everything else: conflicts for non-holders. */
    static final int CONFLICT = 2;

    private PrAccess() {}

    static boolean isReserveOrRelease(int opcode) {
        return opcode == 0x16 || opcode == 0x17 || opcode == 0x56 || opcode == 0x57;
    }

    /** The category of a command for a nexus that does not hold the persistent reservation. */
    static int category(byte[] cdb) {
        int op = cdb[0] & 0xff;
        switch (op) {
            case 0x00: // TEST UNIT READY
            case 0x03: // REQUEST SENSE
            case 0x12: // INQUIRY
            case 0x25: // READ CAPACITY (10)
            case 0x4D: // LOG SENSE
            case 0x5E: // PERSISTENT RESERVE IN
            case 0x5F: // PERSISTENT RESERVE OUT: key checks of each service action decide
            case 0xA0: // REPORT LUNS
            case 0xA3: // MAINTENANCE IN: REPORT TARGET PORT GROUPS, SUPPORTED OPCODES, ...
                return ALLOWED;
            case 0x9E: { // SERVICE ACTION IN (16)
                int sa = cdb[1] & 0x1f;
                if (sa == 0x10) {
                    return ALLOWED; // READ CAPACITY (16)
                }
                return sa == 0x12 ? READ : CONFLICT; // GET LBA STATUS
            }
            case 0xAB: // SERVICE ACTION IN (12): READ MEDIA SERIAL NUMBER
                return (cdb[1] & 0x1f) == 0x01 ? ALLOWED : CONFLICT;
            case 0x1B: // START STOP UNIT: only START=1 with power condition 0 is allowed
                return cdb.length > 4 && (cdb[4] & 0xf1) == 0x01 ? ALLOWED : CONFLICT;
            case 0x1E: // PREVENT ALLOW MEDIUM REMOVAL: allow is allowed
                return cdb.length > 4 && (cdb[4] & 0x03) == 0 ? ALLOWED : CONFLICT;
            case 0x08:
            case 0x28:
            case 0xA8:
            case 0x88: // READ 6/10/12/16
            case 0x2F:
            case 0xAF:
            case 0x8F: // VERIFY 10/12/16
            case 0x1A:
            case 0x5A: // MODE SENSE 6/10
            case 0x3C: // READ BUFFER
            case 0x1C: // RECEIVE DIAGNOSTIC RESULTS
            case 0x37:
            case 0xB7: // READ DEFECT DATA 10/12
                return READ;
            case 0x9C: // WRITE ATOMIC(16) writes the medium like any WRITE
            default:
                return CONFLICT;
        }
    }

    /**
     * Whether a nexus may run {@code cdb} under the persistent reservation in {@code s}: holders (and,
     * for the registrants-only and all-registrants types, every registrant) may run anything.
     * RESERVE/RELEASE are not decided here.
     */
    public static boolean permits(PrState s, PrNexusId nexus, byte[] cdb) {
        PrType type = s.type();
        if (type == null) {
            return true;
        }
        Registration r = s.registration(nexus);
        if (r != null && (type.registrantsHaveAccess() || r.nexus().equals(s.holder()))) {
            return true;
        }
        int category = category(cdb);
        return category == ALLOWED || (category == READ && !type.exclusiveAccess());
    }

    /** What a nexus other than the holder of an SPC-2 reservation may still run. */
    public static boolean permitsUnderSpc2Reservation(byte[] cdb) {
        int op = cdb[0] & 0xff;
        switch (op) {
            case 0x03: // REQUEST SENSE
            case 0x12: // INQUIRY
            case 0xA0: // REPORT LUNS
            case 0x17: // RELEASE (6) from a non-holder: GOOD, no effect
            case 0x57: // RELEASE (10)
                return true;
            case 0x1E: // PREVENT ALLOW MEDIUM REMOVAL with PREVENT 0
                return cdb.length > 4 && (cdb[4] & 0x03) == 0;
            default:
                return false;
        }
    }
}
