package io.rbdgw.block.rbd;

import java.io.IOException;

/** A management operation on the cluster or an image failed; {@link #reason()} says why in a way callers can act on. */
public final class CephException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Failure classes of the management path. */
    public enum Reason {
        /** The image, snapshot or pool does not exist (-ENOENT). */
        NOT_FOUND,
        /** The cephx user lacks the caps, or its key is wrong (-EPERM, -EACCES). */
        PERMISSION_DENIED,
        /** The cluster did not answer in time (-ETIMEDOUT, connection refused, no monitor). */
        UNREACHABLE,
        /** The name is taken (-EEXIST). */
        ALREADY_EXISTS,
        /** The image is in use, has snapshots or watchers (-EBUSY, -ENOTEMPTY). */
        BUSY,
        /** This client was blocklisted (-ESHUTDOWN). */
        FENCED,
        /** Anything else, see {@link #errno()}. */
        OTHER
    }

    private final Reason reason;
    private final int errno;

    public CephException(String message, int errno, Throwable cause) {
        super(message + " (" + Errno.describe(errno) + ")", cause);
        this.errno = Math.abs(errno);
        this.reason = reasonOf(this.errno);
    }

    public CephException(String message, int errno) {
        this(message, errno, null);
    }

    static Reason reasonOf(int errno) {
        switch (errno) {
            case Errno.ENOENT:
                return Reason.NOT_FOUND;
            case Errno.EPERM:
            case Errno.EACCES:
                return Reason.PERMISSION_DENIED;
            case Errno.ETIMEDOUT:
            case Errno.ECONNREFUSED:
            case Errno.ENOTCONN:
                return Reason.UNREACHABLE;
            case Errno.EEXIST:
                return Reason.ALREADY_EXISTS;
            case Errno.EBUSY:
            case Errno.ENOTEMPTY:
                return Reason.BUSY;
            case Errno.ESHUTDOWN:
                return Reason.FENCED;
            default:
                return Reason.OTHER;
        }
    }

    public Reason reason() {
        return reason;
    }

    /** The positive errno librados/librbd returned. */
    public int errno() {
        return errno;
    }
}
