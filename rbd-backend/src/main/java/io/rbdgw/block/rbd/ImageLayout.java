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
