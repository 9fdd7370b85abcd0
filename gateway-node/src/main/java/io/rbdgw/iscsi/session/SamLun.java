package io.rbdgw.iscsi.session;

/** The LUN field of iSCSI PDUs (SAM-5 4.7). */
final class SamLun {

    private SamLun() {}

    /** Flat LUN from the 8-byte SAM LUN field: peripheral (00b) and flat (01b) addressing; -1 for others. */
    static long decode(long raw) {
        int b0 = (int) (raw >>> 56) & 0xff;
        int b1 = (int) (raw >>> 48) & 0xff;
        long rest = raw & 0x0000ffffffffffffL;
        switch (b0 >>> 6) {
            case 0:
                return (b0 == 0 && rest == 0) ? b1 : -1;
            case 1:
                return rest == 0 ? ((long) (b0 & 0x3f) << 8) | b1 : -1;
            default:
                return -1;
        }
    }
}
