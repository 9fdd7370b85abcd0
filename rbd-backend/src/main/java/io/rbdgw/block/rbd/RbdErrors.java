package io.rbdgw.block.rbd;

import io.rbdgw.block.BlockDeviceException.Kind;
import io.rbdgw.block.MiscompareException;

/**
 * How librbd's results become the {@link Kind}s the SCSI layer maps to sense data, chosen deliberately:
 * <table>
 *   <caption>errno to Kind</caption>
 *   <tr><th>librbd result</th><th>Kind</th><th>why</th></tr>
 *   <tr><td>-EILSEQ on compare-and-write</td><td>MISCOMPARE</td><td>{@link MiscompareException} with
 *       mismatch_off minus the request offset ({@link #miscompareOffset})</td></tr>
 *   <tr><td>-ESHUTDOWN (Ceph's EBLOCKLISTED), -EROFS (exclusive lock lost/held elsewhere),
 *       -EPERM/-EACCES (caps revoked)</td><td>FENCED</td><td>this gateway may no longer write</td></tr>
 *   <tr><td>-ETIMEDOUT (rados_osd_op_timeout), -EAGAIN, -ENOTCONN, -ENOMEM, -ENOBUFS</td>
 *       <td>TRANSIENT</td><td>the cluster is slow or reconnecting; the host retries</td></tr>
 *   <tr><td>-EOPNOTSUPP</td><td>UNSUPPORTED</td><td></td></tr>
 *   <tr><td>-EIO, -ENOSPC, -EDQUOT, -ENOENT (image gone), anything else</td><td>READ_ERROR for
 *       reads and allocation status, WRITE_ERROR for all others</td><td>medium error</td></tr>
 *   <tr><td>-EINVAL</td><td>READ_ERROR/WRITE_ERROR</td><td>a request librbd considers malformed is a
 *       gateway bug: logged at ERROR with the request</td></tr>
 * </table>
 */
final class RbdErrors {

    private RbdErrors() {}

    /** The Kind of a failed operation of {@code type} with librbd's {@code errno} (miscompare aside). */
    static Kind kindOf(Aio.Type type, int errno) {
        switch (errno) {
            case Errno.ESHUTDOWN:
            case Errno.EROFS:
            case Errno.EPERM:
            case Errno.EACCES:
                return Kind.FENCED;
            case Errno.ETIMEDOUT:
            case Errno.EAGAIN:
            case Errno.ENOTCONN:
            case Errno.ENOMEM:
            case Errno.ENOBUFS:
                return Kind.TRANSIENT;
            case Errno.EOPNOTSUPP:
                return Kind.UNSUPPORTED;
            default:
                return type == Aio.Type.READ || type == Aio.Type.ALLOCATION_STATUS ? Kind.READ_ERROR : Kind.WRITE_ERROR;
        }
    }

    /** What an operator reads in the failure message. */
    static String reasonOf(int errno) {
        switch (errno) {
            case Errno.ESHUTDOWN:
                return "this client is blocklisted (" + Errno.describe(errno) + ")";
            case Errno.EROFS:
                return "the exclusive lock is held by another client (" + Errno.describe(errno) + ")";
            case Errno.EPERM:
            case Errno.EACCES:
                return "permission denied (" + Errno.describe(errno) + ")";
            case Errno.EINVAL:
                return "rejected by librbd as invalid, a gateway bug (" + Errno.describe(errno) + ")";
            default:
                return Errno.describe(errno);
        }
    }

    /**
     * The first differing byte relative to the compared range {@code [offset, +length)}, or -1 if librbd's
     * {@code reported} mismatch_off fits neither reading. Pacific's librbd is supposed to report the absolute
     * image offset, but converts the OSD's answer (relative to the compared extent) as if it were relative to the
     * object start: a request at object offset X reports object start + m instead of object start + X + m. Both
     * readings are accepted; they are unambiguous because a compared range (at most 512 bytes, 512-aligned) at
     * X > 0 starts at least 512 bytes into the object.
     */
    static long miscompareOffset(long reported, long offset, long length, long objectSize) {
        long relative = reported - offset;
        if (relative >= 0 && relative < length) {
            return relative;
        }
        long objectStart = objectSize > 0 ? offset - offset % objectSize : 0;
        relative = reported - objectStart;
        if (relative >= 0 && relative < length) {
            return relative;
        }
        return -1;
    }
}
