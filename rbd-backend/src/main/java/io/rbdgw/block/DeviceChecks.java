package io.rbdgw.block;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Argument checks and safe callback completion shared by the device implementations. */
final class DeviceChecks {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceChecks.class);

    private DeviceChecks() {
    }

    /** Throws IllegalArgumentException unless offset and length are non-negative block multiples. */
    static void checkAligned(long offset, long length, int blockSize) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " or length " + length);
        }
        if (offset % blockSize != 0 || length % blockSize != 0) {
            throw new IllegalArgumentException(
                    "offset " + offset + " and length " + length + " must be multiples of " + blockSize);
        }
    }

    static void checkBuffer(ByteBuffer buffer, String name, int blockSize) {
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
    static int checkGather(ByteBuffer[] srcs, int blockSize) {
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

    static void checkCallback(IoCallback callback) {
        if (callback == null) {
            throw new IllegalArgumentException("callback is null");
        }
    }

    /** The OUT_OF_RANGE failure for a request that does not fit in {@code sizeBytes}, or null. */
    static BlockDeviceException rangeError(long offset, long length, long sizeBytes) {
        if (offset > sizeBytes || length > sizeBytes - offset) {
            return new BlockDeviceException(BlockDeviceException.Kind.OUT_OF_RANGE,
                    "range [" + offset + ", +" + length + ") is beyond the device end " + sizeBytes);
        }
        return null;
    }

    /** Checks the COMPARE AND WRITE buffers: same length, block multiple, within the atomic limit. */
    static void checkCompareAndWrite(ByteBuffer compare, ByteBuffer write, int blockSize, int maxAtomic) {
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
    static void checkAtomicWrite(DeviceInfo info, long offset, ByteBuffer src) {
        checkBuffer(src, "atomic write", info.blockSize());
        if (!info.atomicWriteFits(offset, src.remaining())) {
            throw new IllegalArgumentException("atomic write of " + src.remaining() + " bytes at " + offset
                    + " does not fit the atomic limits (max " + info.maxAtomicWriteBytes() + ", alignment "
                    + info.atomicAlignmentBytes() + ", granularity " + info.atomicGranularityBytes() + ")");
        }
    }

    static void checkPattern(ByteBuffer pattern, int blockSize) {
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
    static void succeed(IoCallback callback, long bytes) {
        try {
            callback.onSuccess(bytes);
        } catch (RuntimeException | Error e) {
            LOG.error("block-device callback threw in onSuccess", e);
        }
    }

    static void fail(IoCallback callback, BlockDeviceException error) {
        try {
            callback.onFailure(error);
        } catch (RuntimeException | Error e) {
            LOG.error("block-device callback threw in onFailure", e);
        }
    }
}
