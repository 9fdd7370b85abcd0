package io.rbdgw.block.rbd;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/** The librados calls rados-java 0.6.0 lacks (fencing, the service map), bound with JNA direct mapping. */
final class LibRados {

    static {
        if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
            throw new UnsupportedOperationException("the RBD backend needs 64-bit Linux");
        }
        Native.register(LibRados.class, "rados");
    }

    private LibRados() {}

    /** {@code *addrs} receives a string to free with {@link #rados_buffer_free}. */
    static native int rados_getaddrs(long cluster, long[] addrs);

    static native void rados_buffer_free(long buf);

    static native int rados_blocklist_add(long cluster, String clientAddress, int expireSeconds);

    static native long rados_get_instance_id(long cluster);

    static native int rados_wait_for_latest_osdmap(long cluster);

    /** {@code metadata}: NUL-terminated keys and values, alternating, ended by an empty key. */
    static native int rados_service_register(long cluster, String service, String daemon, byte[] metadata);

    /** {@code status}: encoded as the metadata of {@link #rados_service_register}. */
    static native int rados_service_update_status(long cluster, byte[] status);
}
