package io.rbdgw.admin.api;

import java.util.List;

/**
 * What the cluster is: versions, where its configuration lives, its epoch, its gateways and how much is configured.
 * While ZooKeeper is not connected, {@code epoch}, {@code schemaVersion} and {@code counts} are null and
 * {@code gateways} is empty (nothing is read, so the answer does not wait for ZooKeeper).
 *
 * @param version       the admin API's product version
 * @param schemaVersion the stored configuration's schema version ("MAJOR.MINOR")
 */
public record SysinfoView(
        String version, String schemaVersion, ZooKeeper zookeeper, Long epoch, List<Gateway> gateways, Counts counts) {

    /**
     * @param connectString the ZooKeeper servers as configured (host:port list; credentials are never part of it)
     * @param root          the znode under which the configuration lives
     */
    public record ZooKeeper(String connectString, String root, boolean connected) {}

    /**
     * @param alive         its ZooKeeper session is live (its member node exists)
     * @param appliedEpoch  the configuration epoch it reports applied; null if it never reported
     * @param upToDate      alive and applied the current epoch
     * @param version       the version it runs (null while it is not alive)
     * @param portals       the portals it listens on, as it registered them (empty while it is not alive)
     * @param uptimeSeconds since the process started (null while it is not alive)
     * @param cephConnected whether it has a RADOS client (it connects once it serves an RBD disk, or at start
     *                      when configured with Ceph); null while it is not alive
     */
    public record Gateway(
            String name,
            boolean declared,
            boolean alive,
            String health,
            Long appliedEpoch,
            boolean upToDate,
            String version,
            List<String> portals,
            Long uptimeSeconds,
            Boolean cephConnected) {}

    public record Counts(int targets, int disks, int luns, int clients, int hostGroups, int gateways) {}
}
