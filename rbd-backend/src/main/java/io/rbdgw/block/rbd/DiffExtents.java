package io.rbdgw.block.rbd;

import java.util.Arrays;

/**
 * The data extents {@code rbd_diff_iterate2} reported for one window of an image, reduced to the
 * answer of {@link io.rbdgw.block.BlockDevice#allocationStatus}: the state of the block at the start
 * of the window and how far that state reaches.
 *
 * <p>Only extents that exist count as data; anything not reported is a hole (librbd reports nothing
 * for an absent object, and {@code exists = 0} for data a snapshot has but the image no longer has).
 * Extents are widened to whole blocks, so a block holding any data is mapped: reporting an unwritten
 * block as mapped is harmless, reporting data as deallocated is not. Extents may arrive in any order
 * and may overlap. Not thread-safe: one query fills it, then reads it.
 */
final class DiffExtents {

    /**
     * The end of the window a query at {@code offset} covers: {@code objects} objects from the one
     * holding {@code offset}, ending on an object boundary (a partial object costs as much as a whole
     * one), and at most the image size.
     */
    static long windowEnd(long offset, long sizeBytes, long objectSize, int objects) {
        long first = offset - offset % objectSize;
        long span = objectSize * objects;
        if (span / objects != objectSize || first > Long.MAX_VALUE - span) {
            return sizeBytes;
        }
        return Math.min(sizeBytes, first + span);
    }

    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private int count;

    /** One extent from the diff callback; kept sorted by start (librbd sends them in order). */
    void add(long offset, long length, boolean exists) {
        if (!exists || length <= 0 || offset < 0) {
            return;
        }
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            ends = Arrays.copyOf(ends, count * 2);
        }
        int i = count++;
        while (i > 0 && starts[i - 1] > offset) {
            starts[i] = starts[i - 1];
            ends[i] = ends[i - 1];
            i--;
        }
        starts[i] = offset;
        ends[i] = offset + length;
    }

    int size() {
        return count;
    }

    /**
     * The state at {@code offset} within the window {@code [offset, end)}: the number of contiguous
     * mapped bytes from {@code offset} (positive), or minus the number of bytes up to the next data
     * (negative). The extent stops at {@code end}, since nothing beyond the window was asked. Both
     * arguments are multiples of {@code blockSize}, {@code offset < end}.
     */
    long statusAt(long offset, long end, int blockSize) {
        if (offset >= end) {
            throw new IllegalArgumentException("empty window [" + offset + ", " + end + ")");
        }
        long reach = offset; // end of the data that runs contiguously from offset
        long nextData = end; // start of the first data after offset when offset is in a hole
        for (int i = 0; i < count; i++) {
            long s = starts[i] - Math.floorMod(starts[i], blockSize);
            long e = ends[i] + (Math.floorMod(-ends[i], blockSize));
            if (e <= reach) {
                continue;
            }
            if (s > reach) {
                if (reach == offset) {
                    nextData = s;
                }
                break;
            }
            reach = e;
        }
        if (reach > offset) {
            return Math.min(reach, end) - offset;
        }
        return -(Math.min(nextData, end) - offset);
    }
}
