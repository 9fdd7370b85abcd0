package io.rbdgw.config.alua;

import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Writes {@code fenced/<gateway>} ({@link FenceRecord}), where the fenced gateway watches for it: the one writer
 * of fence records for ALUA, the write tokens and the reservation acknowledgements.
 */
public final class FenceRecords {
    private FenceRecords() {}

    public static void record(
            CuratorFramework client, ZkLayout layout, Documents docs, String gateway, String address, String by)
            throws Exception {
        byte[] data = docs.write(new FenceRecord(gateway, address, System.currentTimeMillis(), by));
        String path = layout.fence(gateway);
        try {
            client.setData().forPath(path, data);
        } catch (KeeperException.NoNodeException e) {
            try {
                client.create().creatingParentsIfNeeded().forPath(path, data);
            } catch (KeeperException.NodeExistsException raced) {
                client.setData().forPath(path, data);
            }
        }
    }
}
