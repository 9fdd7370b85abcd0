package io.rbdgw.block.rbd;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * What an open image is made of, read once when a device opens it: its stable id, its size, and how its data
 * is laid out in RADOS objects (the object size and the stripe unit, the contiguous run of image data per object).
 *
 * @param stripeUnit bytes of contiguous image data in one object: the object size unless the image uses fancy
 *                   striping (or librbd cannot tell)
 */
record ImageLayout(String id, long size, long objectSize, long stripeUnit) {

    /** Reads the layout of the open {@code image} ({@code what}: pool/name, for errors). */
    static ImageLayout read(long image, String what) throws CephException {
        byte[] id = new byte[128];
        check(LibRbd.rbd_get_id(image, id, id.length), "get the id of", what);
        long[] size = new long[1];
        check(LibRbd.rbd_get_size(image, size), "get the size of", what);
        Memory stat = new Memory(512);
        stat.clear();
        check(LibRbd.rbd_stat(image, Pointer.nativeValue(stat), 512), "stat", what);
        long objectSize = stat.getLong(8);
        long[] stripeUnit = new long[1];
        if (LibRbd.rbd_get_stripe_unit(image, stripeUnit) < 0 || stripeUnit[0] <= 0) {
            stripeUnit[0] = objectSize;
        }
        return new ImageLayout(
                new String(id, 0, strlen(id), StandardCharsets.US_ASCII),
                size[0],
                objectSize,
                Math.min(stripeUnit[0], objectSize));
    }

    /**
     * The atomic write size A for a stripe unit of {@code stripeUnit} bytes: the largest block multiple
     * dividing both it and {@link RbdBlockDevice#MAX_ATOMIC_WRITE_BYTES} (so A-aligned windows never
     * straddle a stripe unit), 0 if there is none.
     *
     * <p>Why those atomic writes are atomic: librbd cuts a write into one request per RADOS object it
     * touches, and each object request is a single OSD operation, which the OSD applies as one transaction
     * under the placement group's lock. Every read or write of that object, from this gateway or any
     * other, is ordered wholly before or wholly after it. So a single {@code rbd_aio_write} whose range
     * lies inside one object is atomic cluster-wide, with no lock in the gateway (the cache is off, so
     * nothing is merged or split on the way). A write across an object boundary is two independent
     * operations and is not atomic. The window that is contiguous inside one object is the stripe unit
     * (the object size unless the image uses fancy striping). The device therefore advertises
     * {@code A = gcd(stripe unit, 128 KiB)} as maximum, alignment and granularity: a write starting at a
     * multiple of A and at most A long never crosses an object boundary. The granularity equals the
     * alignment (atomic writes are exactly A) because initiators such as Linux assume naturally aligned
     * atomic writes of any size between granularity and maximum; a smaller granularity would let them send
     * writes that are not A-aligned. 128 KiB = 256 blocks of 512 bytes, the most libiscsi's conformance
     * suite writes atomically. {@link RbdBlockDevice#writeAtomic} additionally refuses any range that crosses an object
     * boundary.
     */
    static int atomicWriteBytes(long stripeUnit) {
        long a = gcd(stripeUnit, RbdBlockDevice.MAX_ATOMIC_WRITE_BYTES);
        return a % RbdBlockDevice.BLOCK_SIZE == 0 ? (int) a : 0;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static void check(int rc, String what, String image) throws CephException {
        if (rc < 0) {
            throw new CephException("cannot " + what + " image " + image, rc);
        }
    }

    private static int strlen(byte[] s) {
        int n = 0;
        while (n < s.length && s[n] != 0) {
            n++;
        }
        return n;
    }
}
