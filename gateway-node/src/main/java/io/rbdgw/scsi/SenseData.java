package io.rbdgw.scsi;

/**
 * Fixed-format sense data (SPC-4 4.5.3) and the sense keys and additional sense codes the engine
 * uses. Sense is built only on error paths, so a fresh array per call is fine.
 */
public final class SenseData {

    public static final int NO_SENSE = 0x0;
    public static final int RECOVERED_ERROR = 0x1;
    public static final int NOT_READY = 0x2;
    public static final int MEDIUM_ERROR = 0x3;
    public static final int HARDWARE_ERROR = 0x4;
    public static final int ILLEGAL_REQUEST = 0x5;
    public static final int UNIT_ATTENTION = 0x6;
    public static final int DATA_PROTECT = 0x7;
    public static final int ABORTED_COMMAND = 0xB;
    public static final int MISCOMPARE = 0xE;

    /** Length of the fixed-format sense this class builds. */
    public static final int LENGTH = 18;

    private SenseData() {}

    /** Fixed-format current sense without an information field. */
    public static byte[] fixed(int senseKey, int asc, int ascq) {
        byte[] s = new byte[LENGTH];
        s[0] = (byte) 0x70;
        s[2] = (byte) (senseKey & 0x0f);
        s[7] = (byte) (LENGTH - 8);
        s[12] = (byte) asc;
        s[13] = (byte) ascq;
        return s;
    }

    /** Fixed-format current sense with the VALID bit and a 32-bit INFORMATION field. */
    public static byte[] withInformation(int senseKey, int asc, int ascq, long information) {
        byte[] s = fixed(senseKey, asc, ascq);
        s[0] = (byte) 0xF0;
        s[3] = (byte) (information >>> 24);
        s[4] = (byte) (information >>> 16);
        s[5] = (byte) (information >>> 8);
        s[6] = (byte) information;
        return s;
    }

    /**
     * ILLEGAL REQUEST, INVALID FIELD IN CDB (or PARAMETER LIST) with a sense-key specific field
     * pointer: {@code cdbField} true for the CDB, false for the parameter list; {@code byteOffset}
     * and {@code bit} (or -1 for no bit pointer) locate the offending field.
     */
    public static byte[] invalidField(boolean cdbField, int byteOffset, int bit) {
        byte[] s = fixed(ILLEGAL_REQUEST, cdbField ? 0x24 : 0x26, 0x00);
        int b15 = 0x80 | (cdbField ? 0x40 : 0);
        if (bit >= 0) {
            b15 |= 0x08 | (bit & 0x07);
        }
        s[15] = (byte) b15;
        s[16] = (byte) (byteOffset >>> 8);
        s[17] = (byte) byteOffset;
        return s;
    }

    public static int senseKey(byte[] sense) {
        return sense[2] & 0x0f;
    }

    public static int asc(byte[] sense) {
        return sense[12] & 0xff;
    }

    public static int ascq(byte[] sense) {
        return sense[13] & 0xff;
    }
}
