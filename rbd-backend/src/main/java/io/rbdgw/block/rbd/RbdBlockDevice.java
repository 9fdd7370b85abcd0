package io.rbdgw.block.rbd;

import com.ceph.rados.IoCTX;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.BlockDeviceException.Kind;
import io.rbdgw.block.DeviceGuards;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.MiscompareException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block device on an RBD image: asynchronous librbd I/O straight from and into the caller's
 * direct buffers (no copy; heap buffers go through a temporary direct copy). Callbacks run on
 * librbd's completion threads (allocation status: on an allocation-query thread), or on the caller's
 * thread for errors found before submission; callers hop to their own thread.
 *
 * <p>What the device reports ({@link DeviceInfo}): 512-byte blocks; thin-provisioned; discards do
 * not promise zeros (librbd leaves data behind on discards smaller than an object); no volatile
 * write cache (the cluster connection runs with {@code rbd_cache=false}, so an acknowledged write is
 * committed in RADOS and a FUA write needs no extra flush); atomic compare-and-write of one 512-byte
 * sector (Pacific rejects anything longer or crossing a 512-byte boundary); optimal transfer = the
 * object size; identity {@code "rbd:" + pool + "/" + image id} (the id survives renames and is the
 * same on every gateway); atomic writes of exactly A bytes at multiples of A.
 *
 * <p>Why those atomic writes are atomic, and how A is chosen: {@link ImageLayout#atomicWriteBytes}.
 *
 * <p>Operation mapping: read/write → {@code rbd_aio_read}/{@code rbd_aio_write2} (FUA op flag on FUA
 * writes; gather writes → {@code rbd_aio_writev}), flush → {@code rbd_aio_flush}, discard →
 * {@code rbd_aio_discard}, writeZeroes →
 * {@code rbd_aio_write_zeroes}, writeSame → {@code rbd_aio_writesame}, compareAndWrite →
 * {@code rbd_aio_compare_and_write}; allocationStatus → {@code rbd_diff_iterate2} over a bounded
 * window on a dedicated thread (see {@link #allocationStatus}).
 *
 * <p>librbd errors map to {@link Kind}s deliberately, see {@link RbdErrors}.
 * Range errors against the size this device knows are OUT_OF_RANGE (checked before submission); a
 * closed device answers CLOSED; more than {@link Aio#CAPACITY} operations in flight in the JVM answer
 * TRANSIENT.
 *
 * <p>Resize: the device watches the image header ({@link ImageWatch}); on a notification it
 * re-reads the size on a separate thread (calling librbd from the watch callback could deadlock),
 * updates {@link #info()} and runs the {@link #onResize} listeners.
 */
public final class RbdBlockDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(RbdBlockDevice.class);

    public static final int BLOCK_SIZE = 512;
    /** Pacific's compare-and-write limit: one 512-byte sector. */
    public static final int MAX_ATOMIC_CAW_BYTES = 512;
    /** Upper bound of the atomic write size (see the class comment). */
    public static final int MAX_ATOMIC_WRITE_BYTES = 128 * 1024;

    /** Most buffers one gather write passes to librbd (IOV_MAX); more are assembled into one first. */
    static final int MAX_IOV = 1024;
    /** Per-thread iovec array for {@link #writev}: librbd is done with it when the call returns. */
    private static final ThreadLocal<Memory> IOV = ThreadLocal.withInitial(() -> new Memory(16L * MAX_IOV));

    private final String pool;
    private final String name;
    private final String imageId;
    private final long image;
    private final ImageWatch watch;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Runnable> resizeListeners = new CopyOnWriteArrayList<>();
    private final BlocklistSignal blocklisted = new BlocklistSignal();
    private volatile DeviceInfo info;
    private volatile boolean closed;
    private boolean released;

    private RbdBlockDevice(String pool, String name, String imageId, long image, DeviceInfo info) {
        this.pool = pool;
        this.name = name;
        this.imageId = imageId;
        this.image = image;
        this.info = info;
        this.watch = ImageWatch.start(image, pool + "/" + name, this::refreshSize);
    }

    /** Opens {@code pool/name} for I/O on the cluster connection. */
    public static RbdBlockDevice open(RbdCluster cluster, String pool, String name) throws CephException {
        IoCTX ioCtx = cluster.ioCtx(pool);
        long[] handle = new long[1];
        int rc = LibRbd.rbd_open(Pointer.nativeValue(ioCtx.getPointer()), name, handle, null);
        if (rc < 0) {
            throw new CephException(
                    "open image " + pool + "/" + name + " as client."
                            + cluster.options().clientId(),
                    rc);
        }
        long image = handle[0];
        try {
            ImageLayout layout = ImageLayout.read(image, pool + "/" + name);
            int atomic = ImageLayout.atomicWriteBytes(layout.stripeUnit());
            DeviceInfo info = new DeviceInfo(
                    layout.size() - layout.size() % BLOCK_SIZE,
                    BLOCK_SIZE,
                    true,
                    false,
                    false,
                    MAX_ATOMIC_CAW_BYTES,
                    (int) Math.min(layout.objectSize(), Integer.MAX_VALUE),
                    "rbd:" + pool + "/" + layout.id(),
                    atomic,
                    atomic,
                    atomic);
            return new RbdBlockDevice(pool, name, layout.id(), image, info);
        } catch (CephException | RuntimeException e) {
            LibRbd.rbd_close(image);
            throw e;
        }
    }

    public String pool() {
        return pool;
    }

    public String imageName() {
        return name;
    }

    /** The image's stable id (not its name). */
    public String imageId() {
        return imageId;
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    /**
     * Runs {@code listener} (on an internal event thread) after the device noticed a size change; the
     * SCSI layer raises CAPACITY DATA HAS CHANGED from it.
     */
    public void onResize(Runnable listener) {
        resizeListeners.add(listener);
    }

    /** Re-reads the image size now (also done on every header update notification). */
    public void refreshSize() {
        if (closed) {
            return;
        }
        long[] size = new long[1];
        int rc;
        if (!enter()) {
            return;
        }
        try {
            rc = LibRbd.rbd_get_size(image, size);
        } finally {
            leave();
        }
        if (rc < 0) {
            LOG.warn("rbd {}/{}: cannot read the size after an update: {}", pool, name, Errno.describe(rc));
            return;
        }
        long newSize = size[0] - size[0] % BLOCK_SIZE;
        DeviceInfo old = info;
        if (old.sizeBytes() != newSize) {
            info = old.withSize(newSize);
            LOG.info("rbd {}/{}: size changed from {} to {} bytes", pool, name, old.sizeBytes(), newSize);
            for (Runnable listener : resizeListeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.error("resize listener failed", e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ data path

    @Override
    public void read(long offset, ByteBuffer dst, IoCallback callback) {
        DeviceGuards.checkReadBuffer(dst, BLOCK_SIZE);
        DeviceGuards.checkAligned(offset, 0, BLOCK_SIZE);
        int length = dst.remaining();
        Aio.Op op = start(Aio.Type.READ, offset, length, callback);
        if (op == null) {
            return;
        }
        long address;
        if (dst.isDirect()) {
            address = Aio.address(dst);
        } else {
            op.heapDestination = dst;
            op.bounce = ByteBuffer.allocateDirect(length);
            address = Aio.address(op.bounce);
        }
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_read(image, offset, length, address, c), c);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkBuffer(src, "write", BLOCK_SIZE);
        DeviceGuards.checkAligned(offset, 0, BLOCK_SIZE);
        int length = src.remaining();
        Aio.Op op = start(Aio.Type.WRITE, offset, length, callback);
        if (op == null) {
            return;
        }
        long address = Aio.directAddress(op, src);
        long c = Aio.newCompletion(op);
        // With rbd_cache off an acknowledged write is committed; the FUA flag documents intent.
        submitted(
                op,
                c < 0 ? c : LibRbd.rbd_aio_write2(image, offset, length, address, c, fua ? LibRbd.OP_FLAG_FUA : 0),
                c);
    }

    /**
     * {@code rbd_aio_writev} over the caller's buffers: librbd copies them into its own buffer list
     * during the call, which is the one copy a write needs anyway, so a write that arrived in several
     * PDUs is not assembled first. There is no op-flags variant, so FUA is not passed on; with the
     * cache off every acknowledged write is committed regardless.
     */
    @Override
    public void writev(long offset, ByteBuffer[] srcs, boolean fua, IoCallback callback) {
        long length = 0;
        boolean direct = srcs != null && srcs.length > 1 && srcs.length <= MAX_IOV;
        for (int i = 0; direct && i < srcs.length; i++) {
            direct = srcs[i] != null && srcs[i].isDirect();
            length += direct ? srcs[i].remaining() : 0;
        }
        if (!direct) {
            BlockDevice.super.writev(offset, srcs, fua, callback); // checks and assembles
            return;
        }
        DeviceGuards.checkAligned(offset, length, BLOCK_SIZE);
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("gather write of " + length + " bytes is too long");
        }
        Aio.Op op = start(Aio.Type.WRITE, offset, (int) length, callback);
        if (op == null) {
            return;
        }
        Memory iov = IOV.get();
        for (int i = 0; i < srcs.length; i++) {
            iov.setLong(16L * i, Aio.address(srcs[i]));
            iov.setLong(16L * i + 8, srcs[i].remaining());
        }
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_writev(image, Pointer.nativeValue(iov), srcs.length, offset, c), c);
    }

    /**
     * One {@code rbd_aio_write2}, refused (IllegalArgumentException) unless the range fits the atomic
     * limits and lies inside one object: see the class comment for why that is atomic.
     */
    @Override
    public void writeAtomic(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkBuffer(src, "atomic write", BLOCK_SIZE);
        DeviceInfo current = info;
        int length = src.remaining();
        long window = current.atomicAlignmentBytes();
        if (current.maxAtomicWriteBytes() == 0) {
            DeviceGuards.checkCallback(callback);
            DeviceGuards.fail(callback, new BlockDeviceException(Kind.UNSUPPORTED, "no atomic writes on " + this));
            return;
        }
        if (!current.atomicWriteFits(offset, length) || offset / window != (offset + length - 1) / window) {
            throw new IllegalArgumentException("atomic write of " + length + " bytes at " + offset
                    + " is not inside one aligned " + window + "-byte window of an object");
        }
        write(offset, src, fua, callback);
    }

    @Override
    public void flush(IoCallback callback) {
        Aio.Op op = start(Aio.Type.FLUSH, 0, 0, callback);
        if (op == null) {
            return;
        }
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_flush(image, c), c);
    }

    @Override
    public void discard(long offset, long length, IoCallback callback) {
        DeviceGuards.checkAligned(offset, length, BLOCK_SIZE);
        Aio.Op op = start(Aio.Type.DISCARD, offset, length, callback);
        if (op == null) {
            return;
        }
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_discard(image, offset, length, c), c);
    }

    @Override
    public void writeZeroes(long offset, long length, IoCallback callback) {
        DeviceGuards.checkAligned(offset, length, BLOCK_SIZE);
        Aio.Op op = start(Aio.Type.WRITE_ZEROES, offset, length, callback);
        if (op == null) {
            return;
        }
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_write_zeroes(image, offset, length, c, 0, 0), c);
    }

    @Override
    public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
        DeviceGuards.checkAligned(offset, length, BLOCK_SIZE);
        DeviceGuards.checkPattern(pattern, BLOCK_SIZE);
        Aio.Op op = start(Aio.Type.WRITE_SAME, offset, length, callback);
        if (op == null) {
            return;
        }
        long address = Aio.directAddress(op, pattern);
        long c = Aio.newCompletion(op);
        submitted(op, c < 0 ? c : LibRbd.rbd_aio_writesame(image, offset, length, address, BLOCK_SIZE, c, 0), c);
    }

    @Override
    public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
        DeviceGuards.checkCompareAndWrite(compare, write, BLOCK_SIZE, MAX_ATOMIC_CAW_BYTES);
        DeviceGuards.checkAligned(offset, 0, BLOCK_SIZE);
        int length = compare.remaining();
        Aio.Op op = start(Aio.Type.COMPARE_AND_WRITE, offset, length, callback);
        if (op == null) {
            return;
        }
        long cmp;
        long wr;
        if (compare.isDirect() && write.isDirect()) {
            cmp = Aio.address(compare);
            wr = Aio.address(write);
        } else {
            // one bounce for both halves
            ByteBuffer both = ByteBuffer.allocateDirect(2 * length);
            both.put(compare.duplicate()).put(write.duplicate()).flip();
            op.bounce = both;
            cmp = Aio.address(both);
            wr = cmp + length;
        }
        long c = Aio.newCompletion(op);
        submitted(
                op,
                c < 0 ? c : LibRbd.rbd_aio_compare_and_write(image, offset, length, cmp, wr, c, op.mismatchAddress, 0),
                c);
    }

    /**
     * Queries librbd on an {@link AllocationQueries} thread (rbd_diff_iterate2 is synchronous) over a
     * window of {@link AllocationQueries#WINDOW_OBJECTS} objects and reports the extent that starts at
     * {@code offset}, clipped to the window; the callback runs on that thread. A full queue answers
     * TRANSIENT.
     */
    @Override
    public void allocationStatus(long offset, IoCallback callback) {
        DeviceGuards.checkAligned(offset, 0, BLOCK_SIZE);
        DeviceGuards.checkCallback(callback);
        if (!enter()) {
            DeviceGuards.fail(callback, closedError());
            return;
        }
        BlockDeviceException beyond = DeviceGuards.statusRangeError(offset, info.sizeBytes());
        if (beyond != null) {
            leave();
            DeviceGuards.fail(callback, beyond);
            return;
        }
        try {
            AllocationQueries.submit(() -> runAllocationStatus(offset, callback));
        } catch (RejectedExecutionException e) {
            leave();
            DeviceGuards.fail(
                    callback,
                    new BlockDeviceException(
                            Kind.TRANSIENT,
                            "allocation status of " + this + ": " + AllocationQueries.QUEUE
                                    + " queries already waiting for rbd_diff_iterate2"));
        }
    }

    /** On a query thread; admitted by {@link #allocationStatus} (counted in flight). */
    private void runAllocationStatus(long offset, IoCallback callback) {
        long result = 0;
        BlockDeviceException error = null;
        try {
            DeviceInfo current = info;
            long size = current.sizeBytes();
            if (closed) {
                error = closedError();
            } else if (offset >= size) {
                error = DeviceGuards.statusRangeError(offset, size);
            } else {
                long end = DiffExtents.windowEnd(
                        offset,
                        size,
                        Math.max(BLOCK_SIZE, current.optimalTransferBytes()),
                        AllocationQueries.WINDOW_OBJECTS);
                DiffExtents extents = new DiffExtents();
                int rc = AllocationQueries.diff(image, offset, end, extents);
                if (rc == -Errno.EINVAL && offset >= info.sizeBytes()) {
                    error = new BlockDeviceException(
                            Kind.OUT_OF_RANGE,
                            "offset " + offset + " is beyond the device end " + info.sizeBytes()
                                    + " (shrunk during the query)");
                } else if (rc < 0) {
                    error = error(Aio.Type.ALLOCATION_STATUS, offset, end - offset, rc);
                } else {
                    result = extents.statusAt(offset, end, BLOCK_SIZE);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("rbd {}/{}: allocation status at {} failed", pool, name, offset, e);
            error = new BlockDeviceException(Kind.READ_ERROR, "allocation status of " + this + " failed: " + e, e);
        }
        leave();
        if (error != null) {
            DeviceGuards.fail(callback, error);
        } else {
            DeviceGuards.succeed(callback, result);
        }
    }

    /**
     * Admits an operation: range and closed checks, an op from the table. Null if the callback was
     * already completed with an error.
     */
    private Aio.Op start(Aio.Type type, long offset, long length, IoCallback callback) {
        DeviceGuards.checkCallback(callback);
        if (!enter()) {
            DeviceGuards.fail(callback, closedError());
            return null;
        }
        BlockDeviceException beyond = DeviceGuards.rangeError(offset, length, info.sizeBytes());
        if (beyond != null) {
            leave();
            DeviceGuards.fail(callback, beyond);
            return null;
        }
        if (length == 0 && type != Aio.Type.FLUSH) {
            leave();
            DeviceGuards.succeed(callback, 0);
            return null;
        }
        Aio.Op op = Aio.acquire();
        if (op == null) {
            leave();
            DeviceGuards.fail(
                    callback,
                    new BlockDeviceException(Kind.TRANSIENT, Aio.CAPACITY + " RBD operations already in flight"));
            return null;
        }
        op.device = this;
        op.callback = callback;
        op.type = type;
        op.offset = offset;
        op.length = length;
        return op;
    }

    /** After the native submit call: a negative result means no callback will come. */
    private void submitted(Aio.Op op, long rc, long completion) {
        if (rc >= 0) {
            return;
        }
        if (completion >= 0) {
            LibRbd.rbd_aio_release(completion);
        }
        IoCallback callback = op.callback;
        BlockDeviceException error = error(op, rc);
        Aio.release(op);
        leave();
        DeviceGuards.fail(callback, error);
    }

    /**
     * Tells {@code listener} (once, on a separate thread) when an operation fails because this client is
     * blocklisted: the owner of the connection must stop using it and reconnect with a new client.
     */
    public void onBlocklisted(Runnable listener) {
        blocklisted.listen(listener);
    }

    /** Called on a librbd thread with the operation's return value. */
    void complete(Aio.Op op, long rv) {
        IoCallback callback = op.callback;
        if (rv < 0) {
            BlockDeviceException error = error(op, rv);
            Aio.release(op);
            leave();
            DeviceGuards.fail(callback, error);
            return;
        }
        if (op.heapDestination != null) {
            op.heapDestination.duplicate().put(op.bounce);
        }
        long bytes = op.type == Aio.Type.FLUSH ? 0 : op.length;
        Aio.release(op);
        leave();
        DeviceGuards.succeed(callback, bytes);
    }

    private BlockDeviceException error(Aio.Op op, long rv) {
        if (rv == -Errno.EILSEQ && op.type == Aio.Type.COMPARE_AND_WRITE) {
            long at = RbdErrors.miscompareOffset(
                    Aio.mismatchOffset(op), op.offset, op.length, info.optimalTransferBytes());
            if (at < 0) {
                LOG.warn(
                        "rbd {}/{}: librbd reported miscompare offset {} outside the compared range [{}, +{})",
                        pool,
                        name,
                        Aio.mismatchOffset(op),
                        op.offset,
                        op.length);
                at = 0;
            }
            return new MiscompareException(at);
        }
        return error(op.type, op.offset, op.length, rv);
    }

    private BlockDeviceException error(Aio.Type type, long offset, long length, long rv) {
        int errno = (int) -rv;
        String what = type + " [" + offset + ", +" + length + ") on rbd " + pool + "/" + name;
        if (errno == Errno.EINVAL) {
            LOG.error("librbd rejected {} as invalid (EINVAL): a gateway bug", what);
        }
        if (errno == Errno.ESHUTDOWN) {
            blocklisted.raise();
        }
        return new BlockDeviceException(RbdErrors.kindOf(type, errno), what + " failed: " + RbdErrors.reasonOf(errno));
    }

    private boolean enter() {
        inFlight.incrementAndGet();
        if (closed) {
            leave();
            return false;
        }
        return true;
    }

    private void leave() {
        inFlight.decrementAndGet();
    }

    private BlockDeviceException closedError() {
        return DeviceGuards.closedError("device " + this);
    }

    // ------------------------------------------------------------------ image management

    /**
     * Disables exclusive-lock and the features that need it (object-map, fast-diff), see
     * {@link RbdImages#disableExclusiveLock}; returns the bits it disabled (0 when there was nothing to do).
     */
    public long disableExclusiveLock() throws CephException {
        return RbdImages.disableExclusiveLock(image, pool + "/" + name);
    }

    /**
     * The lock-related features the image has (exclusive-lock, object-map, fast-diff, journaling), without changing
     * it; librbd refreshes the image first when another client changed it.
     */
    public long lockFeatures() throws CephException {
        return RbdImages.lockFeatures(image, pool + "/" + name);
    }

    /** The open librbd image handle, for management calls made within this package. */
    long handle() {
        return image;
    }

    // ------------------------------------------------------------------ close

    /** Waits (up to 60 s) for operations in flight, then closes the image. */
    @Override
    public void close() {
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
            closed = true;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("rbd {}/{}: closing with {} operations still in flight", pool, name, inFlight.get());
        }
        watch.close();
        int rc = LibRbd.rbd_close(image);
        if (rc < 0) {
            LOG.warn("rbd {}/{}: close failed: {}", pool, name, Errno.describe(rc));
        }
    }

    @Override
    public String toString() {
        return "rbd:" + pool + "/" + name;
    }
}
