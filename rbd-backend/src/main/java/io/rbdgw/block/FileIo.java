package io.rbdgw.block;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The blocking libc calls of a {@link FileBlockDevice} on its open file: retried on EINTR, short
 * transfers continued, errno mapped to the {@link BlockDeviceException} kind the SCSI layer turns into
 * sense data. Called on the device's worker threads only. Remembers which fallocate modes the file
 * system lacks, so that each is tried once.
 */
final class FileIo {

    static final int FILL_BYTES = 1 << 20;
    /** Shared source of zeros for the write-zeroes fallback; only ever read. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(FILL_BYTES);

    private final Path path;
    private final int fd;
    private volatile boolean noZeroRange;
    private volatile boolean noPunchHole;

    FileIo(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    void preadFully(long address, long length, long offset) throws BlockDeviceException {
        long done = 0;
        while (done < length) {
            long n = LibC.pread(fd, address + done, length - done, offset + done);
            if (n > 0) {
                done += n;
            } else if (n == 0) {
                throw new BlockDeviceException(
                        Kind.READ_ERROR, path + ": end of file at " + (offset + done) + " (was the image truncated?)");
            } else {
                int errno = LibC.errno();
                if (errno != LibC.EINTR) {
                    throw error(errno, Kind.READ_ERROR, "pread at " + (offset + done));
                }
            }
        }
    }

    void pwriteFully(long address, long length, long offset) throws BlockDeviceException {
        long done = 0;
        while (done < length) {
            long n = LibC.pwrite(fd, address + done, length - done, offset + done);
            if (n > 0) {
                done += n;
            } else if (n == 0) {
                throw new BlockDeviceException(Kind.WRITE_ERROR, path + ": pwrite wrote nothing at " + (offset + done));
            } else {
                int errno = LibC.errno();
                if (errno != LibC.EINTR) {
                    throw error(errno, Kind.WRITE_ERROR, "pwrite at " + (offset + done));
                }
            }
        }
    }

    void sync() throws BlockDeviceException {
        while (LibC.fdatasync(fd) != 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                throw error(errno, Kind.WRITE_ERROR, "fdatasync");
            }
        }
    }

    void zeroRange(long offset, long length, boolean preferAllocated) throws BlockDeviceException {
        if (length == 0) {
            return;
        }
        if (preferAllocated && !noZeroRange) {
            int errno = fallocate(LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, offset, length);
            if (errno == 0) {
                return;
            }
            if (!unsupported(errno)) {
                throw error(errno, Kind.WRITE_ERROR, "fallocate(ZERO_RANGE)");
            }
            noZeroRange = true;
        }
        if (!noPunchHole) {
            int errno = fallocate(LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length);
            if (errno == 0) {
                return;
            }
            if (!unsupported(errno)) {
                throw error(errno, Kind.WRITE_ERROR, "fallocate(PUNCH_HOLE)");
            }
            noPunchHole = true;
        }
        long zeros = LibC.address(ZEROS);
        for (long done = 0; done < length; done += FILL_BYTES) {
            pwriteFully(zeros, Math.min(FILL_BYTES, length - done), offset + done);
        }
    }

    /** fallocate, retried on EINTR; 0 or the errno. */
    private int fallocate(int mode, long offset, long length) {
        while (LibC.fallocate(fd, mode, offset, length) != 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                return errno;
            }
        }
        return 0;
    }

    private static boolean unsupported(int errno) {
        return errno == LibC.EOPNOTSUPP || errno == LibC.ENOSYS || errno == LibC.EINVAL;
    }

    /** Maps an errno to the failure class the SCSI layer turns into sense data. */
    BlockDeviceException error(int errno, Kind ioKind, String what) {
        Kind kind;
        switch (errno) {
            case LibC.EAGAIN:
            case LibC.ENOMEM:
            case LibC.EINTR:
                kind = Kind.TRANSIENT;
                break;
            case LibC.EOPNOTSUPP:
            case LibC.ENOSYS:
                kind = Kind.UNSUPPORTED;
                break;
            case LibC.ENOSPC:
            case LibC.EDQUOT:
            case LibC.EFBIG:
            case LibC.EROFS:
                kind = Kind.WRITE_ERROR;
                break;
            default:
                kind = ioKind;
                break;
        }
        return new BlockDeviceException(kind, path + ": " + what + " failed, errno " + errno);
    }
}
