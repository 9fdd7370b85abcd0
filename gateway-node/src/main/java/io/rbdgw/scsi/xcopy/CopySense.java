package io.rbdgw.scsi.xcopy;

import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.SenseData;

/** The sense data of the copy manager (SPC-4 6.4.3 and 4.5.2.4.5). */
final class CopySense {

    static final int COPY_ABORTED = 0x0A;

    private CopySense() {}

    /** 05/26/xx without a field pointer (TOO MANY ... DESCRIPTORS, UNSUPPORTED ... TYPE CODE). */
    static ScsiError parameterList(int ascq) {
        return ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x26, ascq);
    }

    /**
     * COPY ABORTED for segment descriptor {@code segment}: the COMMAND-SPECIFIC INFORMATION carries the
     * segment number, the sense-key specific segment pointer (SD=1) the byte within that descriptor
     * ({@code field}, or -1 for none).
     */
    static byte[] copyAborted(int asc, int ascq, int segment, int field) {
        byte[] s = SenseData.fixed(COPY_ABORTED, asc, ascq);
        s[10] = (byte) (segment >>> 8);
        s[11] = (byte) segment;
        if (field >= 0) {
            s[15] = (byte) 0xA0; // SKSV, SD: the field pointer is relative to the segment descriptor
            s[16] = (byte) (field >>> 8);
            s[17] = (byte) field;
        }
        return s;
    }

    static ScsiError aborted(int asc, int ascq, int segment, int field) {
        return ScsiError.check(copyAborted(asc, ascq, segment, field));
    }
}
