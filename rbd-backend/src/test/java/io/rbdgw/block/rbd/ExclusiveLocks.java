package io.rbdgw.block.rbd;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;

/**
 * librbd's exclusive-lock calls on an open device, which the gateway itself never makes (it disables
 * the feature, docs/rbd.md) but the tests use to show what a lock holder does to other writers.
 * Bound here with JNA direct mapping, like {@link LibRbd}, so the product carries no binding it does
 * not call.
 */
final class ExclusiveLocks {

    private static final int LOCK_MODE_EXCLUSIVE = 0;

    static {
        Native.register(ExclusiveLocks.class, "rbd");
    }

    private ExclusiveLocks() {}

    private static native int rbd_is_exclusive_lock_owner(long image, int[] isOwner);

    private static native int rbd_lock_acquire(long image, int lockMode);

    private static native int rbd_lock_release(long image);

    /** {@code lockOwners} is a native array of {@code maxOwners[0]} char pointers. */
    private static native int rbd_lock_get_owners(long image, int[] lockMode, long lockOwners, long[] maxOwners);

    private static native void rbd_lock_get_owners_cleanup(long lockOwners, long count);

    /** The image's feature bits ({@code RBD_FEATURE_*}, see {@link RbdImages}) as the device's handle sees them. */
    static long features(RbdBlockDevice device) throws CephException {
        long[] f = new long[1];
        check(LibRbd.rbd_get_features(device.handle(), f), "read the features of", device);
        return f[0];
    }

    /** Takes the exclusive lock explicitly: other clients' writes then fail (FENCED) instead of stealing it. */
    static void acquire(RbdBlockDevice device) throws CephException {
        check(rbd_lock_acquire(device.handle(), LOCK_MODE_EXCLUSIVE), "acquire the exclusive lock of", device);
    }

    static void release(RbdBlockDevice device) throws CephException {
        check(rbd_lock_release(device.handle()), "release the exclusive lock of", device);
    }

    static boolean isOwner(RbdBlockDevice device) throws CephException {
        int[] owner = new int[1];
        check(rbd_is_exclusive_lock_owner(device.handle(), owner), "query the exclusive lock of", device);
        return owner[0] != 0;
    }

    /** The current lock owners ({@code "auto <client id>"} cookies as librbd names them). */
    static List<String> owners(RbdBlockDevice device) throws CephException {
        int max = 8;
        Memory owners = new Memory(8L * max);
        owners.clear();
        long[] count = {max};
        int[] mode = new int[1];
        int rc = rbd_lock_get_owners(device.handle(), mode, Pointer.nativeValue(owners), count);
        if (rc == -Errno.ENOENT) {
            return List.of();
        }
        check(rc, "list the lock owners of", device);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            out.add(owners.getPointer(8L * i).getString(0));
        }
        rbd_lock_get_owners_cleanup(Pointer.nativeValue(owners), count[0]);
        return out;
    }

    private static void check(int rc, String what, RbdBlockDevice device) throws CephException {
        if (rc < 0) {
            throw new CephException("cannot " + what + " image " + device.pool() + "/" + device.imageName(), rc);
        }
    }
}
