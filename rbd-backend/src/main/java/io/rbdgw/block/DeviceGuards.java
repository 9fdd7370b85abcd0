package io.rbdgw.block;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guards every device implementation (file, memory, RBD) applies in the same way, so that the
 * SCSI layer sees the same outcome whatever the backend: argument checks that throw
 * IllegalArgumentException (programming errors: null or unaligned), admission checks that fail the
 * callback (closed: CLOSED, beyond the end: OUT_OF_RANGE), and callback completion that survives a
 * throwing callback.
 */
public final class DeviceGuards {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceGuards.class);

    private DeviceGuards() {}

    /**
     * Admission of an operation on {@code [offset, +length)}: the callback must be present and the
     * range aligned (else IllegalArgumentException); a closed device or a range beyond
     * {@code sizeBytes} fails the callback (CLOSED, OUT_OF_RANGE) and returns false.
     *
     * @param device how the errors name the device ("memory device", a path, "device rbd:pool/image")
     */
    public static boolean admit(
            long offset, long length, IoCallback callback, DeviceInfo info, boolean closed, Object device) {
        checkCallback(callback);
        checkAligned(offset, length, info.blockSize());
        BlockDeviceException refused = closed ? closedError(device) : rangeError(offset, length, info.sizeBytes());
        if (refused != null) {
            fail(callback, refused);
            return false;
        }
        return true;
    }

    /** The CLOSED failure of an operation on a closed device. */
    public static BlockDeviceException closedError(Object device) {
        return new BlockDeviceException(BlockDeviceException.Kind.CLOSED, device + " is closed");
    }

    /**
     * The OUT_OF_RANGE failure of an allocation-status query at {@code offset}, or null: unlike the
     * other operations it needs a block to exist at the offset ({@code offset < sizeBytes}).
     */
    public static BlockDeviceException statusRangeError(long offset, long sizeBytes) {
        if (offset >= sizeBytes) {
            return new BlockDeviceException(
                    BlockDeviceException.Kind.OUT_OF_RANGE,
                    "offset " + offset + " is beyond the device end " + sizeBytes);
        }
        return null;
    }

    /** Throws IllegalArgumentException unless offset and length are non-negative block multiples. */
    public static void checkAligned(long offset, long length, int blockSize) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " or length " + length);
        }
        if (offset % blockSize != 0 || length % blockSize != 0) {
            throw new IllegalArgumentException(
                    "offset " + offset + " and length " + length + " must be multiples of " + blockSize);
        }
    }

    /** Throws IllegalArgumentException unless the buffer holds a block multiple. */
    public static void checkBuffer(ByteBuffer buffer, String name, int blockSize) {
        if (buffer == null) {
            throw new IllegalArgumentException(name + " buffer is null");
        }
        if (buffer.remaining() % blockSize != 0) {
            throw new IllegalArgumentException(
                    name + " buffer has " + buffer.remaining() + " bytes, not a multiple of " + blockSize);
        }
    }

    /**
     * Checks the buffers of a gather write and returns their total length, which must be a block
     * multiple and fit an int (one SCSI transfer).
     */
    public static int checkGather(ByteBuffer[] srcs, int blockSize) {
        if (srcs == null || srcs.length == 0) {
            throw new IllegalArgumentException("gather write without buffers");
        }
        long total = 0;
        for (ByteBuffer src : srcs) {
            if (src == null) {
                throw new IllegalArgumentException("gather write buffer is null");
            }
            total += src.remaining();
        }
        if (total % blockSize != 0 || total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "gather write of " + total + " bytes is not a multiple of " + blockSize + " or too long");
        }
        return (int) total;
    }

    /** A read's destination: a block multiple the device may write into. */
    public static void checkReadBuffer(ByteBuffer dst, int blockSize) {
        checkBuffer(dst, "read", blockSize);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
    }

    public static void checkCallback(IoCallback callback) {
        if (callback == null) {
            throw new IllegalArgumentException("callback is null");
        }
    }

    /** The OUT_OF_RANGE failure for a request that does not fit in {@code sizeBytes}, or null. */
    public static BlockDeviceException rangeError(long offset, long length, long sizeBytes) {
        if (offset > sizeBytes || length > sizeBytes - offset) {
            return new BlockDeviceException(
                    BlockDeviceException.Kind.OUT_OF_RANGE,
                    "range [" + offset + ", +" + length + ") is beyond the device end " + sizeBytes);
        }
        return null;
    }

    /** Checks the COMPARE AND WRITE buffers: same length, block multiple, within the atomic limit. */
    public static void checkCompareAndWrite(ByteBuffer compare, ByteBuffer write, int blockSize, int maxAtomic) {
        checkBuffer(compare, "compare", blockSize);
        checkBuffer(write, "write", blockSize);
        if (compare.remaining() != write.remaining()) {
            throw new IllegalArgumentException("compare (" + compare.remaining() + " bytes) and write ("
                    + write.remaining() + " bytes) differ in length");
        }
        if (compare.remaining() > maxAtomic) {
            throw new IllegalArgumentException(
                    "compare and write of " + compare.remaining() + " bytes exceeds " + maxAtomic);
        }
    }

    /** Checks an atomic write against the device's atomic limits ({@link DeviceInfo#atomicWriteFits}). */
    public static void checkAtomicWrite(DeviceInfo info, long offset, ByteBuffer src) {
        checkBuffer(src, "atomic write", info.blockSize());
        if (!info.atomicWriteFits(offset, src.remaining())) {
            throw new IllegalArgumentException("atomic write of " + src.remaining() + " bytes at " + offset
                    + " does not fit the atomic limits (max " + info.maxAtomicWriteBytes() + ", alignment "
                    + info.atomicAlignmentBytes() + ", granularity " + info.atomicGranularityBytes() + ")");
        }
    }

    public static void checkPattern(ByteBuffer pattern, int blockSize) {
        if (pattern == null || pattern.remaining() != blockSize) {
            throw new IllegalArgumentException("write-same pattern must be exactly one block of " + blockSize);
        }
    }

    /** True if every byte of the buffer, from position to limit, is zero. */
    static boolean allZero(ByteBuffer buffer) {
        int i = buffer.position();
        int end = buffer.limit();
        for (; i + 8 <= end; i += 8) {
            if (buffer.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Completes with success; a throwing callback is logged, never completed a second time. */
    public static void succeed(IoCallback callback, long bytes) {
        try {
            callback.onSuccess(bytes);
        } catch (RuntimeException | Error e) {
            LOG.error("block-device callback threw in onSuccess", e);
        }
    }

    public static void fail(IoCallback callback, BlockDeviceException error) {
        try {
            callback.onFailure(error);
        } catch (RuntimeException | Error e) {
            LOG.error("block-device callback threw in onFailure", e);
        }
    }
}
