package io.rbdgw.block.rbd;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The librbd calls rados-java 0.6.0 lacks (asynchronous I/O on caller buffers, update watch,
 * feature updates, image id), bound with JNA direct mapping: a plain native call without proxy or
 * boxing. Handles and buffers are passed as {@code long} addresses (ABI-identical on 64-bit Linux),
 * so the data-path calls allocate nothing. Functions return 0 or a negative errno unless noted.
 *
 * <p>Out-parameters written during the call are {@code long[]}/{@code int[]} (JNA copies them back
 * when the call returns); {@code mismatch_off} of compare-and-write is written when the completion
 * fires, so it must be native memory that outlives the completion.
 */
final class LibRbd {

    /** {@code LIBRADOS_OP_FLAG_FADVISE_FUA}. */
    static final int OP_FLAG_FUA = 0x80;

    static {
        if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
            throw new UnsupportedOperationException("the RBD backend needs 64-bit Linux");
        }
        Native.register(LibRbd.class, "rbd");
    }

    private LibRbd() {}

    /** {@code void (*rbd_callback_t)(rbd_completion_t cb, void *arg)}. */
    interface CompletionCallback extends Callback {
        void invoke(long completion, long arg);
    }

    /**
     * {@code int (*cb)(uint64_t offset, size_t length, int exists, void *arg)} of
     * {@code rbd_diff_iterate2}: called once per changed extent; a negative return stops the iteration
     * and becomes its result.
     */
    interface DiffCallback extends Callback {
        int invoke(long offset, long length, int exists, long arg);
    }

    /**
     * {@code int (*librbd_progress_fn_t)(uint64_t offset, uint64_t total, void *ptr)}: how far a long
     * operation got ({@code offset} of {@code total} units); librbd ignores the return value of a remove's.
     */
    interface ProgressCallback extends Callback {
        int invoke(long offset, long total, long arg);
    }

    /** {@code void (*rbd_update_callback_t)(void *arg)}. */
    interface UpdateCallback extends Callback {
        void invoke(long arg);
    }

    // ---- completions
    /**
     * {@code cb} is the function pointer of a {@link CompletionCallback} (from
     * {@code CallbackReference.getFunctionPointer}, fetched once): passing the Callback object itself
     * would make JNA look it up in a synchronized map on every I/O.
     */
    static native int rbd_aio_create_completion(long cbArg, long cb, long[] completion);

    static native long rbd_aio_get_return_value(long completion);

    static native void rbd_aio_release(long completion);

    // ---- asynchronous I/O
    static native int rbd_aio_read(long image, long off, long len, long buf, long completion);

    static native int rbd_aio_write2(long image, long off, long len, long buf, long completion, int opFlags);

    /**
     * {@code iov} is a native array of {@code iovcnt} {@code struct iovec} (base, length: 16 bytes
     * each). librbd reads the array during the call (with zero-copy writes off it also copies the data
     * then), so the array may be reused as soon as the call returns.
     */
    static native int rbd_aio_writev(long image, long iov, int iovcnt, long off, long completion);

    static native int rbd_aio_discard(long image, long off, long len, long completion);

    static native int rbd_aio_write_zeroes(long image, long off, long len, long completion, int zeroFlags, int opFlags);

    static native int rbd_aio_writesame(
            long image, long off, long len, long buf, long dataLen, long completion, int opFlags);

    /** Returns a negative errno if the request was rejected at once; mismatchOff is written at completion. */
    static native long rbd_aio_compare_and_write(
            long image, long off, long len, long cmpBuf, long buf, long completion, long mismatchOff, int opFlags);

    static native int rbd_aio_flush(long image, long completion);

    // ---- allocation
    /**
     * Synchronous: reports the extents of {@code [ofs, ofs + len)} that differ from
     * {@code fromSnapName} (null = the beginning of time, so every extent holding data, exists = 1)
     * through {@code cb}, the function pointer of a {@link DiffCallback}, before it returns.
     * {@code includeParent} 1 counts a clone's parent data; {@code wholeObject} 0 asks for extents
     * inside objects rather than whole objects. The length is clipped to the image size.
     */
    static native int rbd_diff_iterate2(
            long image,
            String fromSnapName,
            long ofs,
            long len,
            byte includeParent,
            byte wholeObject,
            long cb,
            long arg);

    // ---- image handle
    /**
     * Deletes image {@code name} (synchronously), calling {@code cb} as it removes the image's objects;
     * the caller keeps {@code cb} strongly reachable until the call returns.
     */
    static native int rbd_remove_with_progress(long ioctx, String name, ProgressCallback cb, long cbdata);

    static native int rbd_snap_rollback_with_progress(long image, String snapName, ProgressCallback cb, long cbdata);

    static native int rbd_open(long ioctx, String name, long[] image, String snapName);

    static native int rbd_close(long image);

    static native int rbd_get_size(long image, long[] size);

    static native int rbd_get_features(long image, long[] features);

    /** Enables ({@code enabled} 1) or disables (0) the features in {@code features}, dependencies included. */
    static native int rbd_update_features(long image, long features, byte enabled);

    /** Bytes of contiguous image data per object before striping moves on (the object size unless fancy striping). */
    static native int rbd_get_stripe_unit(long image, long[] stripeUnit);

    /** {@code rbd_stat(image, rbd_image_info_t *info, size_t infosize)}; obj_size is at byte 8. */
    static native int rbd_stat(long image, long info, long infoSize);

    /** Returns -ERANGE if {@code len} is too small. */
    static native int rbd_get_id(long image, byte[] id, long len);

    static native int rbd_update_watch(long image, long[] handle, UpdateCallback cb, long arg);

    static native int rbd_update_unwatch(long image, long handle);
}
