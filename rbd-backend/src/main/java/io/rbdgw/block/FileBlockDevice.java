package io.rbdgw.block;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block device backed by a (sparse) file, with pread/pwrite through libc on the caller's direct
 * buffers (no copy).
 *
 * <p>The libc calls block, so every operation runs on a small worker pool owned by the device; the
 * caller only enqueues (the queue is unbounded, its depth is bounded by the initiators' command
 * windows) and is never blocked. Callbacks run on a worker thread; argument errors (alignment) throw
 * immediately, range errors and a closed device are reported on the caller's thread.
 *
 * <p>Writes go to the page cache ({@code volatileWriteCache}): {@link #flush} and FUA writes call
 * fdatasync. Discard punches holes (FALLOC_FL_PUNCH_HOLE), which read back as zeros; write-zeroes uses
 * FALLOC_FL_ZERO_RANGE where the file system has it, else a hole, else written zeros. Allocation status
 * comes from lseek SEEK_DATA/SEEK_HOLE.
 *
 * <p>COMPARE AND WRITE and atomic writes are atomic against every write and read of this gateway to
 * their range: writes take the {@link RangeLocks} stripes of their range shared, compare-and-write
 * and atomic writes take them exclusive, and reads are optimistic (pread, then pread again under the
 * shared lock if an exclusive operation overlapped), only ever in the worker threads. (pwrite itself
 * is not atomic against a concurrent pread beyond a page.) Other processes writing the file are not
 * covered.
 *
 * <p>Identity: {@code "file:" + absolute path + "#" + uuid}, the UUID being kept in a sidecar file
 * {@code <name>.id} next to the image (created once; a sidecar rather than an xattr because not every
 * file system stores user xattrs). It survives restarts and differs between copies of an image.
 */
public final class FileBlockDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(FileBlockDevice.class);

    public static final int DEFAULT_IO_THREADS = 4;
    /** Largest atomic COMPARE AND WRITE. */
    public static final int MAX_ATOMIC_CAW_BYTES = 64 * 1024;
    /** Largest atomic write (any alignment): 1 MiB, one pwrite under the exclusive range lock. */
    public static final int MAX_ATOMIC_WRITE_BYTES = 1 << 20;

    private static final int LOCK_REGION_SHIFT = 20;
    private static final int LOCK_STRIPES = 256;
    private static final int FILL_BYTES = FileIo.FILL_BYTES;

    private final Path path;
    private final int fd;
    private final FileIo io;
    /** Replaced (never shrunk) by {@link #grow}; operations read it once each. */
    private volatile DeviceInfo info;

    private final ThreadPoolExecutor workers;
    private final RangeLocks locks = new RangeLocks(LOCK_STRIPES, LOCK_REGION_SHIFT);
    private final ThreadLocal<ByteBuffer> compareScratch =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(MAX_ATOMIC_CAW_BYTES));
    private volatile boolean closed;
    private boolean fdClosed;
    private volatile boolean noSeekData;

    private FileBlockDevice(Path path, int fd, DeviceInfo info, int ioThreads) {
        this.path = path;
        this.fd = fd;
        this.io = new FileIo(path, fd);
        this.info = info;
        AtomicInteger n = new AtomicInteger();
        String name = path.getFileName().toString();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "file-io-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers =
                new ThreadPoolExecutor(ioThreads, ioThreads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        workers.prestartAllCoreThreads();
    }

    /**
     * Opens the image at {@code path}, creating a sparse file of {@code sizeIfNew} bytes if it is
     * missing or empty. An existing file keeps its size (rounded down to a block multiple).
     */
    public static FileBlockDevice open(Path path, long sizeIfNew, int blockSize) throws IOException {
        return open(path, sizeIfNew, blockSize, false, DEFAULT_IO_THREADS);
    }

    /**
     * Opens or creates the image; with {@code growToSize} an existing smaller file is extended
     * (sparsely) to {@code size}. A larger existing file is never shrunk.
     */
    public static FileBlockDevice open(Path path, long size, int blockSize, boolean growToSize, int ioThreads)
            throws IOException {
        if (size <= 0 || size % blockSize != 0) {
            throw new IllegalArgumentException("size " + size + " must be a positive multiple of " + blockSize);
        }
        if (ioThreads <= 0) {
            throw new IllegalArgumentException("need at least one I/O thread");
        }
        Path abs = path.toAbsolutePath().normalize();
        try {
            // the image is the disk's data: for the gateway's user only, whatever the umask
            Files.createFile(abs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            // keep the existing image
        }
        String identity = "file:" + abs + "#" + sidecarUuid(abs);
        // never through a symbolic link: an image path must name the image itself
        int fd = LibC.open(abs.toString(), LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0);
        if (fd < 0) {
            int errno = LibC.errno();
            throw new IOException(
                    "open " + abs + ": " + (errno == LibC.ELOOP ? "is a symbolic link" : "errno " + errno));
        }
        try {
            long current = LibC.lseek(fd, 0, 2 /* SEEK_END */);
            if (current < 0) {
                throw new IOException("lseek " + abs + ": errno " + LibC.errno());
            }
            long deviceSize = current - current % blockSize;
            if (current == 0 || (growToSize && current < size)) {
                if (LibC.ftruncate(fd, size) != 0) {
                    throw new IOException("ftruncate " + abs + " to " + size + ": errno " + LibC.errno());
                }
                deviceSize = size;
            } else if (deviceSize != current) {
                LOG.warn(
                        "{}: size {} is not a multiple of {}; the last {} bytes are not used",
                        abs,
                        current,
                        blockSize,
                        current - deviceSize);
            }
            DeviceInfo info = new DeviceInfo(
                    deviceSize,
                    blockSize,
                    true,
                    true,
                    true,
                    MAX_ATOMIC_CAW_BYTES,
                    0,
                    identity,
                    MAX_ATOMIC_WRITE_BYTES,
                    0,
                    0);
            return new FileBlockDevice(abs, fd, info, ioThreads);
        } catch (IOException | RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The UUID in {@code <image>.id}, created atomically (link of a complete temp file) if missing. */
    private static String sidecarUuid(Path image) throws IOException {
        Path sidecar = image.resolveSibling(image.getFileName() + ".id");
        if (!Files.exists(sidecar)) {
            Path tmp = Files.createTempFile(image.getParent(), image.getFileName() + ".id.", ".tmp");
            try {
                Files.writeString(
                        tmp, UUID.randomUUID() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
                Files.createLink(sidecar, tmp);
            } catch (FileAlreadyExistsException e) {
                // another process created it first: use theirs
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        String uuid = Files.readString(sidecar, StandardCharsets.US_ASCII).trim();
        try {
            return UUID.fromString(uuid).toString();
        } catch (IllegalArgumentException e) {
            throw new IOException(sidecar + " does not hold a UUID: '" + uuid + "'", e);
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Grows the device online to {@code newSize} bytes (rounded down to a block multiple): the file is
     * extended (sparsely) if it is shorter, then {@link #info()} reports the new size. Operations in flight
     * keep the range they were checked against; later ones see the new size. Never shrinks: a size at or
     * below the current one changes nothing.
     *
     * @return whether the size changed (the caller tells the hosts: CAPACITY DATA HAS CHANGED)
     * @throws IOException the file cannot be extended (no space, closed)
     */
    public synchronized boolean grow(long newSize) throws IOException {
        DeviceInfo old = info;
        long size = newSize - newSize % old.blockSize();
        if (size <= old.sizeBytes()) {
            return false;
        }
        if (closed) {
            throw new IOException(path + " is closed");
        }
        long current = LibC.lseek(fd, 0, 2 /* SEEK_END */);
        if (current < 0) {
            throw new IOException("lseek " + path + ": errno " + LibC.errno());
        }
        if (current < size && LibC.ftruncate(fd, size) != 0) {
            throw new IOException("ftruncate " + path + " to " + size + ": errno " + LibC.errno());
        }
        info = old.withSize(size);
        LOG.info("{}: grown from {} to {} bytes", path, old.sizeBytes(), size);
        return true;
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCallback callback) {
        DeviceGuards.checkReadBuffer(dst, info.blockSize());
        int length = dst.remaining();
        if (admit(offset, length, callback)) {
            submit(() -> runRead(offset, dst, length, callback), callback);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkBuffer(src, "write", info.blockSize());
        int length = src.remaining();
        if (admit(offset, length, callback)) {
            submit(() -> runWrite(offset, new ByteBuffer[] {src}, length, fua, false, callback), callback);
        }
    }

    @Override
    public void writev(long offset, ByteBuffer[] srcs, boolean fua, IoCallback callback) {
        int length = DeviceGuards.checkGather(srcs, info.blockSize());
        if (admit(offset, length, callback)) {
            submit(() -> runWrite(offset, srcs, length, fua, false, callback), callback);
        }
    }

    @Override
    public void writeAtomic(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
        DeviceGuards.checkAtomicWrite(info, offset, src);
        int length = src.remaining();
        if (admit(offset, length, callback)) {
            submit(() -> runWrite(offset, new ByteBuffer[] {src}, length, fua, true, callback), callback);
        }
    }

    @Override
    public void flush(IoCallback callback) {
        if (admit(0, 0, callback)) {
            submit(() -> runFlush(callback), callback);
        }
    }

    @Override
    public void discard(long offset, long length, IoCallback callback) {
        if (admit(offset, length, callback)) {
            submit(() -> runZero(offset, length, false, callback), callback);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, IoCallback callback) {
        if (admit(offset, length, callback)) {
            submit(() -> runZero(offset, length, true, callback), callback);
        }
    }

    @Override
    public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
        DeviceGuards.checkPattern(pattern, info.blockSize());
        if (DeviceGuards.allZero(pattern)) {
            writeZeroes(offset, length, callback);
        } else if (admit(offset, length, callback)) {
            submit(() -> runWriteSame(offset, length, pattern, callback), callback);
        }
    }

    @Override
    public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
        DeviceGuards.checkCompareAndWrite(compare, write, info.blockSize(), MAX_ATOMIC_CAW_BYTES);
        int length = compare.remaining();
        if (admit(offset, length, callback)) {
            submit(() -> runCompareAndWrite(offset, compare, write, length, callback), callback);
        }
    }

    @Override
    public void allocationStatus(long offset, IoCallback callback) {
        if (!admit(offset, 0, callback)) {
            return;
        }
        BlockDeviceException beyond = DeviceGuards.statusRangeError(offset, info.sizeBytes());
        if (beyond != null) {
            DeviceGuards.fail(callback, beyond);
            return;
        }
        submit(() -> runAllocationStatus(offset, callback), callback);
    }

    /** Refuses new operations, waits for those queued or running, then closes the file. */
    @Override
    public void close() {
        synchronized (this) {
            if (fdClosed) {
                return;
            }
            closed = true;
            workers.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (workers.awaitTermination(10, TimeUnit.SECONDS)) {
                        break;
                    }
                    LOG.warn("{}: still waiting for {} operations before closing", path, workers.getActiveCount());
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            LibC.close(fd);
            fdClosed = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- admission (caller's thread)

    private boolean admit(long offset, long length, IoCallback callback) {
        return DeviceGuards.admit(offset, length, callback, info, closed, path);
    }

    private void submit(Runnable task, IoCallback callback) {
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) {
            DeviceGuards.fail(callback, DeviceGuards.closedError(path));
        }
    }

    // ---- operations (worker threads)

    private void runRead(long offset, ByteBuffer dst, int length, IoCallback callback) {
        try {
            ByteBuffer target = dst.isDirect() ? dst : ByteBuffer.allocateDirect(length);
            long address = LibC.address(target) + (dst.isDirect() ? dst.position() : 0);
            locks.readConsistent(offset, length, () -> io.preadFully(address, length, offset));
            if (!dst.isDirect()) {
                dst.put(dst.position(), target, 0, length);
            }
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.READ_ERROR));
            return;
        }
        DeviceGuards.succeed(callback, length);
    }

    /**
     * One pwrite per buffer (a plain write has one), all under one range lock: exclusive for an atomic
     * write, so that no read sees part of it; shared otherwise.
     */
    private void runWrite(
            long offset, ByteBuffer[] srcs, int length, boolean fua, boolean atomic, IoCallback callback) {
        try {
            RangeLocks.Section<BlockDeviceException> pwrites = () -> {
                long at = offset;
                for (ByteBuffer src : srcs) {
                    ByteBuffer direct = direct(src);
                    io.pwriteFully(LibC.address(direct) + direct.position(), direct.remaining(), at);
                    at += direct.remaining();
                }
            };
            if (atomic) {
                locks.exclusive(offset, length, pwrites);
            } else {
                locks.shared(offset, length, pwrites);
            }
            if (fua) {
                io.sync();
            }
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.WRITE_ERROR));
            return;
        }
        DeviceGuards.succeed(callback, length);
    }

    private void runFlush(IoCallback callback) {
        try {
            io.sync();
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.WRITE_ERROR));
            return;
        }
        DeviceGuards.succeed(callback, 0);
    }

    /** Discard ({@code preferAllocated} false) or write-zeroes (true) over the range. */
    private void runZero(long offset, long length, boolean preferAllocated, IoCallback callback) {
        try {
            locks.shared(offset, length, () -> io.zeroRange(offset, length, preferAllocated));
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.WRITE_ERROR));
            return;
        }
        DeviceGuards.succeed(callback, length);
    }

    private void runWriteSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
        try {
            int block = pattern.remaining();
            int fillLength = (int) Math.min(length, FILL_BYTES);
            ByteBuffer fill = ByteBuffer.allocateDirect(fillLength);
            for (int at = 0; at < fillLength; at += block) {
                fill.put(at, pattern, pattern.position(), block);
            }
            long address = LibC.address(fill);
            locks.shared(offset, length, () -> {
                for (long done = 0; done < length; done += fillLength) {
                    io.pwriteFully(address, (int) Math.min(fillLength, length - done), offset + done);
                }
            });
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.WRITE_ERROR));
            return;
        }
        DeviceGuards.succeed(callback, length);
    }

    private void runCompareAndWrite(
            long offset, ByteBuffer compare, ByteBuffer write, int length, IoCallback callback) {
        int mismatch;
        try {
            ByteBuffer directWrite = direct(write);
            ByteBuffer current = compareScratch.get().clear().limit(length);
            locks.lockExclusive(offset, length);
            try {
                io.preadFully(LibC.address(current), length, offset);
                mismatch = compare.slice(compare.position(), length).mismatch(current);
                if (mismatch < 0) {
                    io.pwriteFully(LibC.address(directWrite) + directWrite.position(), length, offset);
                }
            } finally {
                locks.unlockExclusive(offset, length);
            }
        } catch (BlockDeviceException e) {
            DeviceGuards.fail(callback, e);
            return;
        } catch (RuntimeException e) {
            DeviceGuards.fail(callback, unexpected(e, Kind.WRITE_ERROR));
            return;
        }
        if (mismatch < 0) {
            DeviceGuards.succeed(callback, length);
        } else {
            DeviceGuards.fail(callback, new MiscompareException(mismatch));
        }
    }

    private void runAllocationStatus(long offset, IoCallback callback) {
        long size = info.sizeBytes();
        int block = info.blockSize();
        long extent;
        if (noSeekData) {
            extent = size - offset;
        } else {
            long data = LibC.lseek(fd, offset, LibC.SEEK_DATA);
            if (data < 0) {
                int errno = LibC.errno();
                if (errno == LibC.ENXIO) {
                    extent = -(size - offset); // no data from here to the end of the file
                } else if (errno == LibC.EINVAL || errno == LibC.EOPNOTSUPP) {
                    noSeekData = true;
                    extent = size - offset;
                } else {
                    DeviceGuards.fail(callback, io.error(errno, Kind.READ_ERROR, "lseek(SEEK_DATA)"));
                    return;
                }
            } else if (data > offset) {
                long hole = (Math.min(data, size) - offset) / block * block;
                extent = hole > 0 ? -hole : block; // a hole smaller than a block counts as mapped
            } else {
                long holeAt = LibC.lseek(fd, offset, LibC.SEEK_HOLE);
                if (holeAt < 0) {
                    DeviceGuards.fail(callback, io.error(LibC.errno(), Kind.READ_ERROR, "lseek(SEEK_HOLE)"));
                    return;
                }
                long mapped = Math.min(holeAt, size) - offset;
                extent = Math.min((mapped + block - 1) / block * block, size - offset);
            }
        }
        DeviceGuards.succeed(callback, extent);
    }

    private static ByteBuffer direct(ByteBuffer buffer) {
        if (buffer.isDirect()) {
            return buffer;
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(buffer.remaining());
        copy.put(0, buffer, buffer.position(), buffer.remaining());
        return copy;
    }

    /** A bug in this class must still complete the operation exactly once. */
    private BlockDeviceException unexpected(RuntimeException e, Kind kind) {
        LOG.error("{}: unexpected failure", path, e);
        return new BlockDeviceException(kind, path + ": unexpected " + e, e);
    }
}
