package io.rbdgw.block;

import java.nio.ByteBuffer;

/**
 * An asynchronous block device: the interface between the SCSI engine and the storage (RBD, file,
 * memory).
 *
 * <p>Contract shared by every operation:
 * <ul>
 *   <li>Offsets and lengths are in bytes and must be multiples of {@link DeviceInfo#blockSize()};
 *       a request beyond {@link DeviceInfo#sizeBytes()} fails with
 *       {@link BlockDeviceException.Kind#OUT_OF_RANGE}. The SCSI layer checks ranges first; devices
 *       check again because the size can change underneath (resize).</li>
 *   <li>Buffers are used from their position to their limit and are direct buffers on the data path
 *       (so that native backends need no copy). The device neither changes their position/limit nor
 *       keeps a reference after completion. The caller must not touch them until completion.</li>
 *   <li>Methods never block the caller on I/O: they start the operation and return. The callback
 *       runs exactly once, possibly on the calling thread before the method returns.</li>
 *   <li>Programming errors in the arguments (null buffers, unaligned offsets) may throw
 *       IllegalArgumentException immediately; everything else is reported through the callback.</li>
 * </ul>
 */
public interface BlockDevice extends AutoCloseable {

    /** Current description; cheap, may change after a resize. */
    DeviceInfo info();

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    void read(long offset, ByteBuffer dst, IoCallback callback);

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}. With {@code fua} the data is durable when
     * the callback reports success (force unit access), even with a volatile write cache.
     */
    void write(long offset, ByteBuffer src, boolean fua, IoCallback callback);

    /**
     * Gather write: writes {@code srcs} back to back at {@code offset}, exactly as {@link #write} of
     * their concatenation (one operation for ordering, FUA and errors; only the total length must be a
     * block multiple). The transport hands over a write that arrived in several PDUs this way, without
     * assembling it first. The default assembles it; devices that can write scattered memory override.
     */
    default void writev(long offset, ByteBuffer[] srcs, boolean fua, IoCallback callback) {
        if (srcs.length == 1) {
            write(offset, srcs[0], fua, callback);
            return;
        }
        ByteBuffer joined = ByteBuffer.allocateDirect(DeviceGuards.checkGather(srcs, info().blockSize()));
        for (ByteBuffer src : srcs) {
            joined.put(src.duplicate());
        }
        write(offset, joined.flip(), fua, callback);
    }

    /** Makes every write acknowledged so far durable (SYNCHRONIZE CACHE). */
    void flush(IoCallback callback);

    /**
     * Deallocates the range if the device can (UNMAP). Reads of the range afterwards return zeros only
     * if {@link DeviceInfo#discardZeroes()}; otherwise they return zeros or the old data.
     */
    void discard(long offset, long length, IoCallback callback);

    /** Writes zeros over the range; the range reads back as zeros afterwards (it may be deallocated). */
    void writeZeroes(long offset, long length, IoCallback callback);

    /**
     * Writes {@code pattern} (one block, {@code pattern.remaining() == blockSize}) repeatedly over the
     * range (WRITE SAME).
     */
    void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback);

    /**
     * Atomically compares {@code compare} with the data at {@code offset} and, only if equal, writes
     * {@code write} there (both the same length, at most
     * {@link DeviceInfo#maxAtomicCompareAndWriteBytes()}). A difference fails the operation with a
     * {@link MiscompareException} carrying the offset of the first differing byte; nothing is written.
     */
    void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback);

    /**
     * Writes {@code src.remaining()} bytes at {@code offset} all or nothing with respect to every
     * concurrent read and write of this device (WRITE ATOMIC): a read overlapping the range sees
     * either none or all of the new data, never part of it, and an overlapping write lands either
     * wholly before or wholly after it. FUA as for {@link #write}.
     *
     * <p>The request must fit {@link DeviceInfo#atomicWriteFits} (length at most
     * {@link DeviceInfo#maxAtomicWriteBytes()}, aligned, a multiple of the granularity); a request that
     * does not may throw IllegalArgumentException. Devices without atomic writes (the default,
     * {@code maxAtomicWriteBytes == 0}) fail it with {@link BlockDeviceException.Kind#UNSUPPORTED}.
     */
    default void writeAtomic(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        callback.onFailure(new BlockDeviceException(
                BlockDeviceException.Kind.UNSUPPORTED, getClass().getSimpleName() + " has no atomic writes"));
    }

    /**
     * Whether the block-aligned range starting at {@code offset} is allocated, and for how many bytes
     * that answer holds (GET LBA STATUS). The callback's {@code bytes} is the length of the extent
     * starting at {@code offset} with the same state, positive if mapped, negative if deallocated.
     * Devices that cannot tell report the whole remaining device as mapped.
     */
    void allocationStatus(long offset, IoCallback callback);

    /** Releases the device; operations in flight complete (possibly with CLOSED) before it is gone. */
    @Override
    void close();
}
