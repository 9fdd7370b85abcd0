package io.rbdgw.block.rbd;

import com.sun.jna.CallbackReference;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocation queries ({@code rbd_diff_iterate2}) for every RBD device of the JVM.
 *
 * <p>librbd has no asynchronous diff: {@code rbd_diff_iterate2} flushes the image, sends one
 * {@code list_snaps} per object of the range and returns when all have answered. It therefore runs on
 * a few dedicated daemon threads with a bounded queue, never on the caller's (an event loop): a host
 * that floods GET LBA STATUS gets BUSY instead of an unbounded backlog.
 *
 * <p>The diff callback is one static object (strongly reachable, as JNA requires while native code may
 * call it) whose {@code arg} is the id of the running query in {@link #RUNNING}.
 */
final class AllocationQueries {

    private static final Logger LOG = LoggerFactory.getLogger(AllocationQueries.class);

    /** Queries running at once over all devices; more wait in the queue. */
    static final int THREADS = Integer.getInteger("rbdgw.rbd.lbaStatusThreads", 2);
    /** Queries waiting; beyond that a query is refused (TRANSIENT, so BUSY). */
    static final int QUEUE = Integer.getInteger("rbdgw.rbd.lbaStatusQueue", 64);
    /**
     * Objects one query covers. Every object of the window costs one {@code list_snaps} round trip
     * (without fast-diff nothing says which objects exist), issued rbd_concurrent_management_ops (10)
     * at a time; 16 objects is two such rounds, a few milliseconds on a healthy cluster, and with the
     * default 4 MiB objects lets one answer describe up to 64 MiB, so a host walking a 1 TiB image needs
     * at most 16384 commands for its holes.
     */
    static final int WINDOW_OBJECTS = Math.max(1, Integer.getInteger("rbdgw.rbd.lbaStatusWindowObjects", 16));

    private static final Map<Long, DiffExtents> RUNNING = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();

    private static final class Collector implements LibRbd.DiffCallback {
        @Override
        public int invoke(long offset, long length, int exists, long arg) {
            try {
                DiffExtents extents = RUNNING.get(arg);
                if (extents == null) {
                    return -Errno.EINVAL; // not ours: stop the iteration rather than guess
                }
                extents.add(offset, length, exists != 0);
                return 0;
            } catch (Throwable t) {
                // nothing may escape into librbd
                LOG.error("rbd diff callback failed", t);
                return -Errno.EIO;
            }
        }
    }

    static final LibRbd.DiffCallback CALLBACK = new Collector();
    private static final long CALLBACK_POINTER;

    private static final ThreadPoolExecutor WORKERS;

    static {
        // librbd calls back on the querying thread; should it ever use one of its own, keep that
        // thread attached rather than attaching and detaching per extent
        Native.setCallbackThreadInitializer(CALLBACK, new CallbackThreadInitializer(true, false, "librbd-diff"));
        CALLBACK_POINTER = Pointer.nativeValue(CallbackReference.getFunctionPointer(CALLBACK));
        AtomicInteger n = new AtomicInteger();
        WORKERS = new ThreadPoolExecutor(
                THREADS,
                THREADS,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE),
                r -> {
                    Thread t = new Thread(r, "rbd-lba-status-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        WORKERS.allowCoreThreadTimeOut(true);
    }

    private AllocationQueries() {}

    /**
     * Runs {@code task} on a query thread; {@link java.util.concurrent.RejectedExecutionException} when
     * the queue is full.
     */
    static void submit(Runnable task) {
        WORKERS.execute(task);
    }

    /**
     * Collects into {@code into} the data extents of {@code [offset, end)} of {@code image}, the
     * parent's included; blocks the calling thread. Returns librbd's result (0 or a negative errno).
     */
    static int diff(long image, long offset, long end, DiffExtents into) {
        long id = IDS.incrementAndGet();
        RUNNING.put(id, into);
        try {
            return LibRbd.rbd_diff_iterate2(
                    image, null, offset, end - offset, (byte) 1, (byte) 0, CALLBACK_POINTER, id);
        } finally {
            RUNNING.remove(id);
        }
    }
}
