package io.rbdgw.block;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Striped read-write locks over byte ranges, so that COMPARE AND WRITE is atomic against writes.
 *
 * <p>The device is cut into regions of {@code 1 << regionShift} bytes; region {@code r} maps to stripe
 * {@code r % stripes}. Ordinary writes (and discards, write-zeroes, write-same) take the stripes of
 * their range shared, so they never wait for each other (overlapping writes interleave, as on a
 * disk); compare-and-write takes them exclusive. Stripes are always taken in ascending index order,
 * so the two modes cannot deadlock. Reads take no lock.
 */
final class RangeLocks {

    private final ReentrantReadWriteLock[] stripes;
    private final int regionShift;

    RangeLocks(int stripeCount, int regionShift) {
        if (stripeCount <= 0) {
            throw new IllegalArgumentException("stripe count must be positive");
        }
        this.stripes = new ReentrantReadWriteLock[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
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

    private enum Mode { LOCK_SHARED, UNLOCK_SHARED, LOCK_EXCLUSIVE, UNLOCK_EXCLUSIVE }

    private void apply(long offset, long length, Mode mode) {
        if (length <= 0) {
            return;
        }
        int n = stripes.length;
        long first = offset >>> regionShift;
        long last = (offset + length - 1) >>> regionShift;
        if (last - first + 1 >= n) {
            range(0, n - 1, mode);
            return;
        }
        int s = (int) (first % n);
        int e = (int) (last % n);
        if (s <= e) {
            range(s, e, mode);
        } else {
            // wrapped: ascending order is [0, e] then [s, n-1]
            range(0, e, mode);
            range(s, n - 1, mode);
        }
    }

    private void range(int from, int to, Mode mode) {
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
                    break;
                default:
                    lock.writeLock().unlock();
                    break;
            }
        }
    }
}
