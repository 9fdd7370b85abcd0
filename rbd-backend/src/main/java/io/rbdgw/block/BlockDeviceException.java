package io.rbdgw.block;

/**
 * Why a block-device operation failed. The {@link Kind} is what the SCSI layer maps to a sense code,
 * so a device must choose it deliberately (a timeout is not a medium error).
 */
public class BlockDeviceException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Failure classes that lead to distinct SCSI outcomes. */
    public enum Kind {
        /** Request outside the device (offset or length beyond its end): ILLEGAL REQUEST, LBA OUT OF RANGE. */
        OUT_OF_RANGE,
        /** COMPARE AND WRITE found different data: MISCOMPARE; see {@link MiscompareException}. */
        MISCOMPARE,
        /** The medium failed to read (EIO on read): MEDIUM ERROR, UNRECOVERED READ ERROR. */
        READ_ERROR,
        /** The medium failed to write (EIO/ENOSPC on write): MEDIUM ERROR, WRITE ERROR. */
        WRITE_ERROR,
        /** The backend is temporarily unable to serve (timeout, reconnecting): the host should retry. */
        TRANSIENT,
        /** This gateway may no longer write the device (fenced, blocklisted, lock lost). */
        FENCED,
        /** The operation is not supported by this device. */
        UNSUPPORTED,
        /** The device was closed. */
        CLOSED
    }

    private final Kind kind;

    public BlockDeviceException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public BlockDeviceException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
