package io.rbdgw.block;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Striped read-write locks over byte ranges, so that COMPARE AND WRITE and atomic writes are atomic
 * against writes and reads.
 *
 * <p>The device is cut into regions of {@code 1 << regionShift} bytes; region {@code r} maps to stripe
 * {@code r % stripes}. Ordinary writes (and discards, write-zeroes, write-same) take the stripes of
 * their range shared, so they never wait for each other (overlapping writes interleave, as on a
 * disk); compare-and-write and atomic writes take them exclusive. Stripes are always taken in
 * ascending index order, so the two modes cannot deadlock.
 *
 * <p>Reads are optimistic (a seqlock per stripe): each stripe has a version that an exclusive holder
 * makes odd while it holds the stripe and even again before releasing it. A reader notes the
 * versions of its stripes ({@link #readVersion}), copies, and keeps the copy only if the versions are
 * unchanged ({@link #validate}); otherwise it copies again holding the stripes shared. So a read never
 * sees half of an exclusive operation and, in the normal case, neither locks nor waits. The versions
 * only grow, so the sum over the stripes of a range changes exactly when one of them changed.
 */
final class RangeLocks {

    private final ReentrantReadWriteLock[] stripes;
    private final AtomicLongArray versions;
    private final int regionShift;

    RangeLocks(int stripeCount, int regionShift) {
        if (stripeCount <= 0) {
            throw new IllegalArgumentException("stripe count must be positive");
        }
        this.stripes = new ReentrantReadWriteLock[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
        this.versions = new AtomicLongArray(stripeCount);
        this.regionShift = regionShift;
    }

    void lockShared(long offset, long length) {
        apply(offset, length, Mode.LOCK_SHARED);
    }

    void unlockShared(long offset, long length) {
        apply(offset, length, Mode.UNLOCK_SHARED);
    }

    void lockExclusive(long offset, long length) {
        apply(offset, length, Mode.LOCK_EXCLUSIVE);
    }

    void unlockExclusive(long offset, long length) {
        apply(offset, length, Mode.UNLOCK_EXCLUSIVE);
    }

    /**
     * The combined version of the range's stripes for an optimistic read, or -1 if an exclusive
     * operation holds one of them (the reader should then lock shared).
     */
    long readVersion(long offset, long length) {
        return apply(offset, length, Mode.READ_VERSION);
    }

    /** Whether no exclusive operation touched the range since {@link #readVersion} returned {@code version}. */
    boolean validate(long offset, long length, long version) {
        VarHandle.acquireFence(); // the copied data is read before the versions are read again
        return version >= 0 && apply(offset, length, Mode.READ_VERSION) == version;
    }

    /** A critical section over a locked range; may throw the device's checked I/O failure. */
    @FunctionalInterface
    interface Section<E extends Exception> {
        void run() throws E;
    }

    /**
     * Runs {@code copy} (a read of the range) so that it sees no part of an exclusive operation:
     * optimistically without a lock, and once more under the shared lock if an exclusive operation
     * overlapped the first copy.
     */
    <E extends Exception> void readConsistent(long offset, long length, Section<E> copy) throws E {
        long version = readVersion(offset, length);
        if (version >= 0) {
            copy.run();
        }
        if (!validate(offset, length, version)) {
            shared(offset, length, copy);
        }
    }

    /** Runs {@code body} holding the range shared (ordinary writes, discards, the read retry). */
    <E extends Exception> void shared(long offset, long length, Section<E> body) throws E {
        lockShared(offset, length);
        try {
            body.run();
        } finally {
            unlockShared(offset, length);
        }
    }

    /** Runs {@code body} holding the range exclusive (atomic writes, compare-and-write). */
    <E extends Exception> void exclusive(long offset, long length, Section<E> body) throws E {
        lockExclusive(offset, length);
        try {
            body.run();
        } finally {
            unlockExclusive(offset, length);
        }
    }

    private enum Mode {
        LOCK_SHARED,
        UNLOCK_SHARED,
        LOCK_EXCLUSIVE,
        UNLOCK_EXCLUSIVE,
        READ_VERSION
    }

    /** Applies {@code mode} to the range's stripes; the combined version for READ_VERSION. */
    private long apply(long offset, long length, Mode mode) {
        if (length <= 0) {
            return 0;
        }
        int n = stripes.length;
        long first = offset >>> regionShift;
        long last = (offset + length - 1) >>> regionShift;
        if (last - first + 1 >= n) {
            return range(0, n - 1, mode);
        }
        int s = (int) (first % n);
        int e = (int) (last % n);
        if (s <= e) {
            return range(s, e, mode);
        }
        // wrapped: ascending order is [0, e] then [s, n-1]
        long a = range(0, e, mode);
        long b = range(s, n - 1, mode);
        return a < 0 || b < 0 ? -1 : a + b;
    }

    private long range(int from, int to, Mode mode) {
        long sum = 0;
        for (int i = from; i <= to; i++) {
            ReentrantReadWriteLock lock = stripes[i];
            switch (mode) {
                case LOCK_SHARED:
                    lock.readLock().lock();
                    break;
                case UNLOCK_SHARED:
                    lock.readLock().unlock();
                    break;
                case LOCK_EXCLUSIVE:
                    lock.writeLock().lock();
                    versions.incrementAndGet(i); // odd: optimistic readers of this stripe will retry
                    VarHandle.storeStoreFence();
                    break;
                case UNLOCK_EXCLUSIVE:
                    versions.incrementAndGet(i); // even again, after the data
                    lock.writeLock().unlock();
                    break;
                default:
                    long v = versions.get(i);
                    if ((v & 1) != 0) {
                        return -1;
                    }
                    sum += v;
                    break;
            }
        }
        return sum;
    }
}
