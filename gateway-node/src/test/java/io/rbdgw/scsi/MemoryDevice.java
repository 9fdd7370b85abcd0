package io.rbdgw.scsi;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.MiscompareException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** Test-only synchronous in-memory block device that records the operations it gets. */
public final class MemoryDevice implements BlockDevice {

    public final byte[] data;
    public final BitSet deallocated = new BitSet();
    public final List<String> ops = new ArrayList<>();
    public volatile DeviceInfo info;
    /** When set, the next operation fails with it. */
    public BlockDeviceException failNext;

    public boolean lastFua;

    public MemoryDevice(DeviceInfo info) {
        this.info = info;
        this.data = new byte[(int) info.sizeBytes()];
    }

    public static MemoryDevice thin(int blocks, int blockSize) {
        return new MemoryDevice(new DeviceInfo(
                (long) blocks * blockSize,
                blockSize,
                true,
                true,
                true,
                blockSize * 8,
                4 << 20,
                "pool/image-" + blocks));
    }

    public static MemoryDevice thick(int blocks, int blockSize) {
        return new MemoryDevice(new DeviceInfo(
                (long) blocks * blockSize,
                blockSize,
                false,
                false,
                false,
                blockSize * 8,
                0,
                "file:/tmp/disk-" + blocks));
    }

    private boolean failed(IoCallback cb, long offset, long length) {
        if (failNext != null) {
            BlockDeviceException e = failNext;
            failNext = null;
            cb.onFailure(e);
            return true;
        }
        if (offset < 0 || offset + length > info.sizeBytes()) {
            cb.onFailure(new BlockDeviceException(BlockDeviceException.Kind.OUT_OF_RANGE, "range"));
            return true;
        }
        return false;
    }

    private void allocated(long offset, long length, boolean allocated) {
        int bs = info.blockSize();
        deallocated.set((int) (offset / bs), (int) ((offset + length) / bs), !allocated);
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCallback callback) {
        ops.add("read " + offset + " " + dst.remaining());
        if (!failed(callback, offset, dst.remaining())) {
            int n = dst.remaining();
            dst.duplicate().put(data, (int) offset, n);
            callback.onSuccess(n);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        ops.add("write " + offset + " " + src.remaining() + (fua ? " fua" : ""));
        lastFua = fua;
        if (!src.isDirect()) {
            throw new IllegalArgumentException("not direct");
        }
        if (!failed(callback, offset, src.remaining())) {
            int n = src.remaining();
            src.duplicate().get(data, (int) offset, n);
            allocated(offset, n, true);
            callback.onSuccess(n);
        }
    }

    @Override
    public void writeAtomic(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        if (info.maxAtomicWriteBytes() == 0) {
            callback.onFailure(new BlockDeviceException(BlockDeviceException.Kind.UNSUPPORTED, "no atomic"));
            return;
        }
        if (!info.atomicWriteFits(offset, src.remaining())) {
            throw new IllegalArgumentException("atomic write does not fit");
        }
        ops.add("writeAtomic " + offset + " " + src.remaining() + (fua ? " fua" : ""));
        lastFua = fua;
        if (!failed(callback, offset, src.remaining())) {
            int n = src.remaining();
            src.duplicate().get(data, (int) offset, n);
            callback.onSuccess(n);
        }
    }

    @Override
    public void flush(IoCallback callback) {
        ops.add("flush");
        if (!failed(callback, 0, 0)) {
            callback.onSuccess(0);
        }
    }

    @Override
    public void discard(long offset, long length, IoCallback callback) {
        ops.add("discard " + offset + " " + length);
        if (!failed(callback, offset, length)) {
            java.util.Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            allocated(offset, length, false);
            callback.onSuccess(length);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, IoCallback callback) {
        ops.add("writeZeroes " + offset + " " + length);
        if (!failed(callback, offset, length)) {
            java.util.Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            allocated(offset, length, true);
            callback.onSuccess(length);
        }
    }

    @Override
    public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
        ops.add("writeSame " + offset + " " + length);
        if (!failed(callback, offset, length)) {
            int bs = pattern.remaining();
            for (long o = offset; o < offset + length; o += bs) {
                pattern.duplicate().get(data, (int) o, bs);
            }
            allocated(offset, length, true);
            callback.onSuccess(length);
        }
    }

    @Override
    public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
        ops.add("caw " + offset + " " + compare.remaining());
        if (!failed(callback, offset, compare.remaining())) {
            ByteBuffer c = compare.duplicate();
            for (int i = 0; i < compare.remaining(); i++) {
                if (c.get(c.position() + i) != data[(int) offset + i]) {
                    callback.onFailure(new MiscompareException(i));
                    return;
                }
            }
            write.duplicate().get(data, (int) offset, write.remaining());
            callback.onSuccess(write.remaining());
        }
    }

    @Override
    public void allocationStatus(long offset, IoCallback callback) {
        ops.add("status " + offset);
        if (failed(callback, offset, 0)) {
            return;
        }
        int bs = info.blockSize();
        int block = (int) (offset / bs);
        int total = (int) info.blockCount();
        boolean dealloc = deallocated.get(block);
        int end = dealloc ? deallocated.nextClearBit(block) : deallocated.nextSetBit(block);
        if (end < 0 || end > total) {
            end = total;
        }
        long bytes = (long) (end - block) * bs;
        callback.onSuccess(dealloc ? -bytes : bytes);
    }

    @Override
    public void close() {
        ops.add("close");
    }
}
