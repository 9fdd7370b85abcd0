package io.rbdgw.admin.core;

import io.rbdgw.block.rbd.CephException;
import io.rbdgw.block.rbd.RbdCluster;
import java.io.Closeable;

/**
 * The Ceph cluster connection for image operations: none (file disks only), one handed in by an embedding process,
 * or one opened lazily from configuration on first use (so the API starts while Ceph is down, and says so in its
 * health check and in 503 answers).
 */
public final class CephAccess implements Closeable {
    private final RbdCluster.Options options;
    private final boolean owned;
    private RbdCluster cluster;

    private CephAccess(RbdCluster.Options options, RbdCluster cluster, boolean owned) {
        this.options = options;
        this.cluster = cluster;
        this.owned = owned;
    }

    public static CephAccess none() {
        return new CephAccess(null, null, false);
    }

    /** Connects on first use with {@code options}; closes the connection on {@link #close()}. */
    public static CephAccess lazy(RbdCluster.Options options) {
        return new CephAccess(options, null, true);
    }

    /** Uses a connection owned by someone else (not closed here). */
    public static CephAccess of(RbdCluster cluster) {
        return new CephAccess(null, cluster, false);
    }

    public boolean configured() {
        return options != null || cluster != null;
    }

    /** The connection, connecting now if needed. */
    public synchronized RbdCluster cluster() throws CephException {
        if (cluster == null) {
            if (options == null) {
                throw new ApiException(400, "Ceph is not configured on this admin API: only file disks are available");
            }
            cluster = RbdCluster.connect(options);
        }
        return cluster;
    }

    @Override
    public synchronized void close() {
        if (owned && cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
