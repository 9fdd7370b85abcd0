package io.rbdgw.admin.api;

import java.util.List;
import java.util.Map;

/**
 * The whole configuration as one document: what {@code GET /api/config/export} writes and
 * {@code POST /api/config/import} reads. Every list is complete: an import makes the configuration exactly this
 * (what the document lacks is deleted). Disks are configuration only: an import neither creates nor deletes RBD
 * images or files.
 *
 * @param format        always {@value #FORMAT}
 * @param formatVersion {@value #FORMAT_VERSION}; an import refuses another
 * @param epoch         the configuration epoch exported (informational on import)
 * @param version       the product version that exported it (informational)
 * @param secrets       {@code omitted} (CHAP secrets left out), {@code encrypted} (as stored, {@code enc:v1:...},
 *                      readable only with the same secret key file) or {@code plaintext} (a cluster that stores them
 *                      unencrypted); informational on import
 * @param settings      the overridden cluster settings (absent keys are defaults)
 */
public record ConfigExport(
        String format,
        Integer formatVersion,
        Long epoch,
        String version,
        String secrets,
        List<Target> targets,
        List<Disk> disks,
        List<Lun> luns,
        List<Client> clients,
        List<HostGroup> hostGroups,
        List<Gateway> gateways,
        Auth discoveryAuth,
        Map<String, String> settings) {
    public static final String FORMAT = "rbdgw-config";
    public static final int FORMAT_VERSION = 1;

    /** @param secret null when the export omitted it */
    public record Chap(String user, String secret) {
        @Override
        public String toString() {
            return "Chap[user=" + user + ", secret=" + (secret == null ? "none" : "***") + "]";
        }
    }

    /** @param chap null for no authentication */
    public record Auth(Chap chap, Chap mutualChap) {}

    public record Target(String iqn, String alias, Boolean acl, Auth auth, Map<String, String> parameters) {}

    /**
     * @param size      bytes
     * @param backstore rbd, file or memory
     * @param path      the file of a file disk (must lie in the admin API's data directory)
     */
    public record Disk(String pool, String image, Long size, String backstore, String path, String wwnSeed) {}

    /** @param disk pool/image */
    public record Lun(String target, Integer lun, String disk) {}

    public record Client(String target, String initiator, Boolean allLuns, List<Integer> luns, Auth auth) {}

    public record HostGroup(String target, String name, List<String> members, List<String> disks) {}

    /** @param portals "host:port" */
    public record Gateway(String name, List<String> portals, Integer targetPortGroup) {}
}
