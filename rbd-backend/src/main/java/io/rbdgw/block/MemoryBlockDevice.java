package io.rbdgw.block;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A sparse in-memory block device, for tests and for measuring the gateway without storage.
 *
 * <p>Memory is held in chunks of {@value #CHUNK_BYTES} bytes (heap arrays), allocated on the first
 * write that touches them; unallocated chunks read as zeros. Every operation completes synchronously
 * on the caller's thread before the method returns.
 *
 * <p>Concurrency: writes, discards, write-zeroes and write-same take the {@link RangeLocks} stripes
 * of their range shared (they never wait for each other, and overlapping writes may interleave, as on
 * a disk); compare-and-write and atomic writes take them exclusive, so they are atomic against every
 * write to their range. Reads are optimistic (no lock; copied again under the shared lock if an
 * exclusive operation overlapped them), so they never see part of an atomic write. A write or read
 * may therefore wait for a concurrent exclusive operation on the same region: at most one memory copy
 * of {@link #MAX_ATOMIC_WRITE_BYTES}.
 *
 * <p>Discard and write-zeroes free the chunks they cover entirely and zero the partial ones
 * ({@code discardZeroes}); {@link #allocationStatus} reports extents of whole chunks.
 */
public final class MemoryBlockDevice implements BlockDevice {

    // 256 KiB: below G1's humongous-object threshold (half a region, regions are at least 1 MiB), so
    // a chunk costs its size and not a whole region pair.
    static final int CHUNK_SHIFT = 18;
    /** Allocation unit and allocation-status granularity. */
    public static final int CHUNK_BYTES = 1 << CHUNK_SHIFT;
    /** Largest atomic COMPARE AND WRITE. */
    public static final int MAX_ATOMIC_CAW_BYTES = 64 * 1024;
    /**
     * Largest atomic write (any alignment, any number of blocks): 1 MiB, so that 256 blocks of 4096
     * bytes fit (what initiators such as libiscsi's conformance suite try), while the exclusive hold
     * stays one short memory copy.
     */
    public static final int MAX_ATOMIC_WRITE_BYTES = 1 << 20;

    private static final long CHUNK_MASK = CHUNK_BYTES - 1;
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final DeviceInfo info;
    private final AtomicReferenceArray<byte[]> chunks;
    private final RangeLocks locks = new RangeLocks(64, CHUNK_SHIFT);
    private volatile boolean closed;

    public MemoryBlockDevice(long sizeBytes, int blockSize, String identity) {
        this.info = new DeviceInfo(
                sizeBytes,
                blockSize,
                true,
                true,
                false,
                MAX_ATOMIC_CAW_BYTES,
                CHUNK_BYTES,
                identity,
                MAX_ATOMIC_WRITE_BYTES,
                0,
                0);
        long chunkCount = (sizeBytes + CHUNK_MASK) >>> CHUNK_SHIFT;
        if (chunkCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size " + sizeBytes + " is too large for a memory device");
        }
        this.chunks = new AtomicReferenceArray<>((int) chunkCount);
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    /** Bytes of memory currently allocated for data (whole chunks). */
    public long allocatedBytes() {
        long n = 0;
        for (int i = 0; i < chunks.length(); i++) {
            if (chunks.get(i) != null) {
                n += CHUNK_BYTES;
            }
        }
        return n;
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCallback callback) {
        DeviceGuards.checkBuffer(dst, "read", info.blockSize());
        int length = dst.remaining();
        if (!admit(offset, length, callback)) {
            return;
        }
        locks.readConsistent(offset, length, () -> copyOut(offset, dst, length));
        DeviceGuards.succeed(callback, length);
    }

    private void copyOut(long offset, ByteBuffer dst, int length) {
        int pos = dst.position();
        long done = 0;
        while (done < length) {
            long at = offset + done;
            int idx = (int) (at >>> CHUNK_SHIFT);
            int inChunk = (int) (at & CHUNK_MASK);
            int n = (int) Math.min(length - done, CHUNK_BYTES - inChunk);
            byte[] chunk = chunks.get(idx);
            int dstAt = pos + (int) done;
            if (chunk == null) {
                zero(dst, dstAt, n);
            } else {
                dst.put(dstAt, chunk, inChunk, n);
            }
            done += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkBuffer(src, "write", info.blockSize());
        int length = src.remaining();
        if (!admit(offset, length, callback)) {
            return;
        }
        locks.shared(offset, length, () -> copyIn(offset, src, src.position(), length));
        DeviceGuards.succeed(callback, length);
    }

    @Override
    public void writev(long offset, ByteBuffer[] srcs, boolean fua, IoCallback callback) {
        int length = DeviceGuards.checkGather(srcs, info.blockSize());
        if (!admit(offset, length, callback)) {
            return;
        }
        locks.shared(offset, length, () -> {
            long at = offset;
            for (ByteBuffer src : srcs) {
                copyIn(at, src, src.position(), src.remaining());
                at += src.remaining();
            }
        });
        DeviceGuards.succeed(callback, length);
    }

    @Override
    public void writeAtomic(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkAtomicWrite(info, offset, src);
        int length = src.remaining();
        if (!admit(offset, length, callback)) {
            return;
        }
        locks.exclusive(offset, length, () -> copyIn(offset, src, src.position(), length));
        DeviceGuards.succeed(callback, length);
    }

    @Override
    public void flush(IoCallback callback) {
        if (admit(0, 0, callback)) {
            DeviceGuards.succeed(callback, 0);
        }
    }

    @Override
    public void discard(long offset, long length, IoCallback callback) {
        if (!admit(offset, length, callback)) {
            return;
        }
        locks.shared(offset, length, () -> deallocate(offset, length));
        DeviceGuards.succeed(callback, length);
    }

    @Override
    public void writeZeroes(long offset, long length, IoCallback callback) {
        discard(offset, length, callback);
    }

    @Override
    public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
        DeviceGuards.checkPattern(pattern, info.blockSize());
        if (DeviceGuards.allZero(pattern)) {
            writeZeroes(offset, length, callback);
            return;
        }
        if (!admit(offset, length, callback)) {
            return;
        }
        int block = info.blockSize();
        locks.shared(offset, length, () -> {
            for (long at = offset; at < offset + length; at += block) {
                copyIn(at, pattern, pattern.position(), block);
            }
        });
        DeviceGuards.succeed(callback, length);
    }

    @Override
    public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
        DeviceGuards.checkCompareAndWrite(compare, write, info.blockSize(), MAX_ATOMIC_CAW_BYTES);
        int length = compare.remaining();
        if (!admit(offset, length, callback)) {
            return;
        }
        long mismatch;
        locks.lockExclusive(offset, length);
        try {
            mismatch = firstDifference(offset, compare);
            if (mismatch < 0) {
                copyIn(offset, write, write.position(), length);
            }
        } finally {
            locks.unlockExclusive(offset, length);
        }
        if (mismatch < 0) {
            DeviceGuards.succeed(callback, length);
        } else {
            DeviceGuards.fail(callback, new MiscompareException(mismatch));
        }
    }

    @Override
    public void allocationStatus(long offset, IoCallback callback) {
        if (!admit(offset, 0, callback)) {
            return;
        }
        long size = info.sizeBytes();
        BlockDeviceException beyond = DeviceGuards.statusRangeError(offset, size);
        if (beyond != null) {
            DeviceGuards.fail(callback, beyond);
            return;
        }
        int idx = (int) (offset >>> CHUNK_SHIFT);
        boolean mapped = chunks.get(idx) != null;
        int end = idx + 1;
        while (end < chunks.length() && (chunks.get(end) != null) == mapped) {
            end++;
        }
        long extent = Math.min((long) end << CHUNK_SHIFT, size) - offset;
        DeviceGuards.succeed(callback, mapped ? extent : -extent);
    }

    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < chunks.length(); i++) {
            chunks.set(i, null);
        }
    }

    private boolean admit(long offset, long length, IoCallback callback) {
        return DeviceGuards.admit(offset, length, callback, info, closed, "memory device");
    }

    /** Copies {@code length} bytes of {@code src} from index {@code srcAt} to the device at offset. */
    private void copyIn(long offset, ByteBuffer src, int srcAt, int length) {
        long done = 0;
        while (done < length) {
            long at = offset + done;
            int idx = (int) (at >>> CHUNK_SHIFT);
            int inChunk = (int) (at & CHUNK_MASK);
            int n = (int) Math.min(length - done, CHUNK_BYTES - inChunk);
            src.get(srcAt + (int) done, chunk(idx), inChunk, n);
            done += n;
        }
    }

    private byte[] chunk(int idx) {
        byte[] chunk = chunks.get(idx);
        if (chunk != null) {
            return chunk;
        }
        byte[] fresh = new byte[CHUNK_BYTES];
        return chunks.compareAndSet(idx, null, fresh) ? fresh : chunks.get(idx);
    }

    private void deallocate(long offset, long length) {
        long done = 0;
        while (done < length) {
            long at = offset + done;
            int idx = (int) (at >>> CHUNK_SHIFT);
            int inChunk = (int) (at & CHUNK_MASK);
            int n = (int) Math.min(length - done, CHUNK_BYTES - inChunk);
            if (n == CHUNK_BYTES) {
                chunks.set(idx, null);
            } else {
                byte[] chunk = chunks.get(idx);
                if (chunk != null) {
                    Arrays.fill(chunk, inChunk, inChunk + n, (byte) 0);
                }
            }
            done += n;
        }
    }

    /** Offset in {@code compare} of the first byte that differs from the device, or -1. */
    private long firstDifference(long offset, ByteBuffer compare) {
        int length = compare.remaining();
        int pos = compare.position();
        long done = 0;
        while (done < length) {
            long at = offset + done;
            int idx = (int) (at >>> CHUNK_SHIFT);
            int inChunk = (int) (at & CHUNK_MASK);
            int n = (int) Math.min(length - done, CHUNK_BYTES - inChunk);
            ByteBuffer expected = compare.slice(pos + (int) done, n);
            byte[] chunk = chunks.get(idx);
            int diff;
            if (chunk == null) {
                diff = firstNonZero(expected);
            } else {
                diff = expected.mismatch(ByteBuffer.wrap(chunk, inChunk, n));
            }
            if (diff >= 0) {
                return done + diff;
            }
            done += n;
        }
        return -1;
    }

    private static int firstNonZero(ByteBuffer b) {
        for (int i = 0; i < b.remaining(); i++) {
            if (b.get(i) != 0) {
                return i;
            }
        }
        return -1;
    }

    private static void zero(ByteBuffer dst, int at, int n) {
        for (int done = 0; done < n; done += ZEROS.length) {
            dst.put(at + done, ZEROS, 0, Math.min(ZEROS.length, n - done));
        }
    }
}
