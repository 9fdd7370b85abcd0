package io.rbdgw.config.alua;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.config.store.ZkReads;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Reads what the coordinator decided (disk owners, the failover history) and which gateways are draining, and
 * starts or ends a drain: for the admin API. Direct reads, no caches: each call sees ZooKeeper as it is.
 */
public final class AluaView {
    private final CuratorFramework client;
    private final ZkLayout layout;
    private final ZkReads zk;

    public AluaView(CuratorFramework client, ZkLayout layout) {
        this.client = client;
        this.layout = layout;
        this.zk = new ZkReads(client, new Documents());
    }

    /** Every disk's ownership document, by disk id. Unreadable documents are skipped. */
    public Map<String, LunOwnership> owners() {
        Map<String, LunOwnership> out = new TreeMap<>();
        for (String node : zk.children(layout.alua())) {
            String path = layout.alua() + "/" + node;
            try {
                zk.read(path, LunOwnership.class).ifPresent(o -> out.put(o.disk(), o));
            } catch (ConfigStoreException | IllegalArgumentException bad) {
                // the coordinator rewrites it on its next pass
            }
        }
        return out;
    }

    /** The gateways with a drain node. */
    public SortedSet<String> draining() {
        return new TreeSet<>(zk.children(layout.drains()));
    }

    /** The recorded ownership moves, oldest first (empty before the first). */
    public FailoverHistory history() {
        return zk.read(layout.failovers(), FailoverHistory.class).orElse(FailoverHistory.EMPTY);
    }

    /**
     * Starts draining {@code gateway}: the coordinator moves its disks away and gives it none.
     *
     * @return false if it was draining already
     */
    public boolean drain(String gateway) {
        String path = layout.drain(gateway);
        try {
            client.create().creatingParentsIfNeeded().forPath(path, new byte[0]);
            return true;
        } catch (KeeperException.NodeExistsException already) {
            return false;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot create " + path + ": " + e, e);
        }
    }

    /**
     * Ends draining {@code gateway}: it gets disks again (after the settling delay if it restarted meanwhile).
     *
     * @return false if it was not draining
     */
    public boolean undrain(String gateway) {
        String path = layout.drain(gateway);
        try {
            client.delete().forPath(path);
            return true;
        } catch (KeeperException.NoNodeException notDraining) {
            return false;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot delete " + path + ": " + e, e);
        }
    }
}
