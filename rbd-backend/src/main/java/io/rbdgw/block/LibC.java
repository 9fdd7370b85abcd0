package io.rbdgw.block;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * The few libc calls the file device needs, bound with JNA direct mapping (a plain native call, no
 * proxy or argument boxing). Pointers are passed as {@code long} addresses, which is ABI-identical on
 * the 64-bit Linux platforms this supports, so a call allocates nothing. {@code errno} is read with
 * {@link Native#getLastError()}, which JNA saves after every call on the calling thread.
 */
final class LibC {

    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    /** Fail with ELOOP on a symbolic link (asm-generic value on arm64, x86's elsewhere). */
    static final int O_NOFOLLOW = Platform.isARM() ? 0x8000 : 0x20000;

    static final int ELOOP = 40;

    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EINVAL = 22;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int EDQUOT = 122;

    static {
        if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
            throw new UnsupportedOperationException("the file device needs 64-bit Linux");
        }
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {}

    /** open(2) with an explicit mode (the variadic argument is passed like a fixed one on LP64). */
    static native int open(String path, int flags, int mode);

    static native int close(int fd);

    static native long pread(int fd, long buf, long count, long offset);

    static native long pwrite(int fd, long buf, long count, long offset);

    static native int fdatasync(int fd);

    static native int fallocate(int fd, int mode, long offset, long length);

    static native long lseek(int fd, long offset, int whence);

    static native int ftruncate(int fd, long length);

    static int errno() {
        return Native.getLastError();
    }

    /** Native address of a direct buffer's first byte (index 0, not its position). */
    static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
