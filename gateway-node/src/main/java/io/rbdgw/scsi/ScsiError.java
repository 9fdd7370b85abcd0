package io.rbdgw.scsi;

/**
 * A command that ends in CHECK CONDITION (or another non-GOOD status) detected while the command is
 * being decoded. Thrown by command handlers before any I/O starts; {@link LogicalUnit} turns it into
 * the task's completion. No stack trace: it is control flow on error paths only.
 */
public final class ScsiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient byte[] sense;
    private final int transferLength;

    public ScsiError(int status, byte[] sense) {
        this(status, sense, -1);
    }

    public ScsiError(int status, byte[] sense, int transferLength) {
        super(null, null, false, false);
        this.status = status;
        this.sense = sense;
        this.transferLength = transferLength;
    }

    /** CHECK CONDITION with the given sense. */
    public static ScsiError check(byte[] sense) {
        return new ScsiError(ScsiStatus.CHECK_CONDITION, sense);
    }

    /** CHECK CONDITION with sense key / ASC / ASCQ. */
    public static ScsiError check(int key, int asc, int ascq) {
        return check(SenseData.fixed(key, asc, ascq));
    }

    /** 05/24/00 INVALID FIELD IN CDB pointing at {@code byteOffset} (and {@code bit}, or -1). */
    public static ScsiError invalidCdb(int byteOffset, int bit) {
        return check(SenseData.invalidField(true, byteOffset, bit));
    }

    /** 05/26/00 INVALID FIELD IN PARAMETER LIST pointing at {@code byteOffset} (and {@code bit}, or -1). */
    public static ScsiError invalidParameter(int byteOffset, int bit) {
        return check(SenseData.invalidField(false, byteOffset, bit));
    }

    /** 05/21/00 LOGICAL BLOCK ADDRESS OUT OF RANGE. */
    public static ScsiError lbaOutOfRange() {
        return check(SenseData.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    /** 05/1A/00 PARAMETER LIST LENGTH ERROR. */
    public static ScsiError parameterListLength() {
        return check(SenseData.ILLEGAL_REQUEST, 0x1A, 0x00);
    }

    /**
     * 05/0E/03 INVALID FIELD IN COMMAND INFORMATION UNIT: the initiator sent less data-out than the CDB
     * calls for (FCP-4/SAM-5 option b, which libiscsi's residual tests accept: nothing is written).
     */
    public static ScsiError shortDataOut(int transferLength) {
        return new ScsiError(
                ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x0E, 0x03), transferLength);
    }

    /** The same error reporting {@code length} as the command's transfer length. */
    public ScsiError withTransferLength(int length) {
        return new ScsiError(status, sense, length);
    }

    public int status() {
        return status;
    }

    public byte[] sense() {
        return sense;
    }

    /** Transfer length to report with the error (-1: none). */
    public int transferLength() {
        return transferLength;
    }
}
