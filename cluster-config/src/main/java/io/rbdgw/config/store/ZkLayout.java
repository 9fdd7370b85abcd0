package io.rbdgw.config.store;

import io.rbdgw.config.model.Names;
import java.util.Locale;
import org.apache.curator.utils.ZKPaths;

/**
 * Where everything lives under the cluster's root znode.
 *
 * <pre>
 * /&lt;root&gt;/schema                                   layout version {"schema":"1.0"}
 * /&lt;root&gt;/config/epoch                             {"epoch":N}; N is also the znode's data version (the CAS)
 * /&lt;root&gt;/config/changes/&lt;epoch&gt;                   ChangeRecord: the config znodes the commit of that epoch wrote (the last few)
 * /&lt;root&gt;/config/targets/&lt;iqn&gt;                    Target
 * /&lt;root&gt;/config/targets/&lt;iqn&gt;/luns/&lt;n&gt;           Lun
 * /&lt;root&gt;/config/targets/&lt;iqn&gt;/clients/&lt;iqn&gt;      Client
 * /&lt;root&gt;/config/targets/&lt;iqn&gt;/hostgroups/&lt;name&gt;  HostGroup
 * /&lt;root&gt;/config/disks/&lt;pool&gt;@&lt;image&gt;            Disk ('@' is not allowed in pool or image names)
 * /&lt;root&gt;/config/gateways/&lt;name&gt;                  Gateway
 * /&lt;root&gt;/config/discovery                         Authentication for discovery sessions
 * /&lt;root&gt;/config/settings                          Settings
 * /&lt;root&gt;/members/&lt;name&gt;                          ephemeral MemberInfo
 * /&lt;root&gt;/status/&lt;name&gt;                           GatewayStatus (applied epoch, health)
 * /&lt;root&gt;/alua/&lt;pool&gt;@&lt;image&gt;                   LunOwnership (owner gateway, ownership epoch); written by the coordinator only
 * /&lt;root&gt;/writer/&lt;pool&gt;@&lt;image&gt;                 WriteToken (the one gateway that may write the disk, token epoch; CAS by version)
 * /&lt;root&gt;/coordinator/...                         leader latch of the ALUA coordinator
 * /&lt;root&gt;/drain/&lt;name&gt;                            exists while gateway &lt;name&gt; is draining (gives its LUNs away)
 * /&lt;root&gt;/failovers                               FailoverHistory: the last ownership moves; written by the coordinator only
 * /&lt;root&gt;/reservations/&lt;pool&gt;@&lt;image&gt;            PrDocument: the disk's SCSI reservations (CAS by version)
 * /&lt;root&gt;/reservations-applied/&lt;pool&gt;@&lt;image&gt;/&lt;name&gt;  ephemeral: the reservation version gateway &lt;name&gt; applied
 * /&lt;root&gt;/jobs/j-&lt;sequence&gt;                      a job of the admin API (disk create/resize/delete), the last 200
 * /&lt;root&gt;/admins/&lt;instance&gt;                      ephemeral: an admin API instance that runs jobs is alive
 * </pre>
 *
 * <p>With credentials ({@code io.rbdgw.config.zk.ZkCredentials}) every znode under the root, and the root, carries
 * one digest ACL: the gateways' and admin API's identity may do everything, nobody else anything.
 */
public record ZkLayout(String root) {
    // the segments below config/; ConfigDocs.typeOf tells documents apart by them
    static final String TARGETS = "targets";
    static final String LUNS = "luns";
    static final String CLIENTS = "clients";
    static final String HOST_GROUPS = "hostgroups";
    static final String DISKS = "disks";
    static final String GATEWAYS = "gateways";
    static final String DISCOVERY = "discovery";
    static final String SETTINGS = "settings";

    public ZkLayout {
        if (root == null || !root.startsWith("/") || root.length() > 1 && root.endsWith("/")) {
            throw new IllegalArgumentException(
                    "root '" + root + "' must be an absolute znode path without trailing '/'");
        }
        ZKPaths.PathAndNode ignored = ZKPaths.getPathAndNode(root); // validates the path
    }

    public String schema() {
        return ZKPaths.makePath(root, "schema");
    }

    public String config() {
        return ZKPaths.makePath(root, "config");
    }

    public String epoch() {
        return ZKPaths.makePath(config(), "epoch");
    }

    /** Parent of the change records, one per recent epoch ({@code ChangeRecord}). */
    public String changes() {
        return ZKPaths.makePath(config(), "changes");
    }

    /** The change record of the commit that produced {@code epoch}; names sort by epoch. */
    public String change(long epoch) {
        return ZKPaths.makePath(changes(), String.format(Locale.ROOT, "%010d", epoch));
    }

    public String targets() {
        return ZKPaths.makePath(config(), TARGETS);
    }

    public String target(String iqn) {
        return ZKPaths.makePath(targets(), iqn);
    }

    public String luns(String iqn) {
        return ZKPaths.makePath(target(iqn), LUNS);
    }

    public String lun(String iqn, int number) {
        return ZKPaths.makePath(luns(iqn), Integer.toString(number));
    }

    public String clients(String iqn) {
        return ZKPaths.makePath(target(iqn), CLIENTS);
    }

    public String client(String iqn, String initiator) {
        return ZKPaths.makePath(clients(iqn), initiator);
    }

    public String hostGroups(String iqn) {
        return ZKPaths.makePath(target(iqn), HOST_GROUPS);
    }

    public String hostGroup(String iqn, String name) {
        return ZKPaths.makePath(hostGroups(iqn), name);
    }

    public String disks() {
        return ZKPaths.makePath(config(), DISKS);
    }

    public String disk(String id) {
        return ZKPaths.makePath(disks(), diskNode(id));
    }

    /** The znode name of a disk id {@code pool/image}. */
    public static String diskNode(String id) {
        int slash = id.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("disk id '" + id + "' is not pool/image");
        }
        return Names.name("pool", id.substring(0, slash)) + "@" + Names.name("image", id.substring(slash + 1));
    }

    public String gateways() {
        return ZKPaths.makePath(config(), GATEWAYS);
    }

    public String gateway(String name) {
        return ZKPaths.makePath(gateways(), name);
    }

    public String discovery() {
        return ZKPaths.makePath(config(), DISCOVERY);
    }

    public String settings() {
        return ZKPaths.makePath(config(), SETTINGS);
    }

    public String members() {
        return ZKPaths.makePath(root, "members");
    }

    public String member(String name) {
        return ZKPaths.makePath(members(), Names.name("gateway name", name));
    }

    public String statuses() {
        return ZKPaths.makePath(root, "status");
    }

    public String status(String name) {
        return ZKPaths.makePath(statuses(), Names.name("gateway name", name));
    }

    public String alua() {
        return ZKPaths.makePath(root, "alua");
    }

    public String aluaDisk(String diskId) {
        return ZKPaths.makePath(alua(), diskNode(diskId));
    }

    /** The disk id {@code pool/image} of a znode name {@code pool@image}. */
    public static String diskId(String node) {
        int at = node.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("'" + node + "' is not pool@image");
        }
        return node.substring(0, at) + "/" + node.substring(at + 1);
    }

    /** Parent of the per-disk write tokens. */
    public String writers() {
        return ZKPaths.makePath(root, "writer");
    }

    public String writer(String diskId) {
        return ZKPaths.makePath(writers(), diskNode(diskId));
    }

    public String coordinator() {
        return ZKPaths.makePath(root, "coordinator");
    }

    public String drains() {
        return ZKPaths.makePath(root, "drain");
    }

    public String drain(String name) {
        return ZKPaths.makePath(drains(), Names.name("gateway name", name));
    }

    /** Fence records, one per gateway the coordinator blocklisted ({@code FenceRecord}). */
    public String fences() {
        return ZKPaths.makePath(root, "fenced");
    }

    public String fence(String name) {
        return ZKPaths.makePath(fences(), Names.name("gateway name", name));
    }

    public String failovers() {
        return ZKPaths.makePath(root, "failovers");
    }

    /** Parent of the per-disk reservation documents ({@code PrDocument}). */
    public String reservations() {
        return ZKPaths.makePath(root, "reservations");
    }

    public String reservation(String diskId) {
        return ZKPaths.makePath(reservations(), diskNode(diskId));
    }

    /** Parent of the acknowledgements: which reservation version each gateway applied, per disk. */
    public String reservationAcks() {
        return ZKPaths.makePath(root, "reservations-applied");
    }

    public String reservationAcks(String diskId) {
        return ZKPaths.makePath(reservationAcks(), diskNode(diskId));
    }

    public String reservationAck(String diskId, String gateway) {
        return ZKPaths.makePath(reservationAcks(diskId), Names.name("gateway name", gateway));
    }

    /** Parent of the ODX ROD tokens: one child per creating logical unit (its NAA designator in hex). */
    public String rodTokens() {
        return ZKPaths.makePath(root, "rod-tokens");
    }

    /** The ROD tokens created by the logical unit with NAA designator {@code naaHex}. */
    public String rodTokens(String naaHex) {
        return ZKPaths.makePath(rodTokens(), Names.name("logical unit designator", naaHex));
    }

    public String rodToken(String naaHex, String id) {
        return ZKPaths.makePath(rodTokens(naaHex), Names.name("ROD token id", id));
    }

    /** The admin API's jobs, one persistent sequential znode each. */
    public String jobs() {
        return ZKPaths.makePath(root, "jobs");
    }

    /** Ephemeral znodes of the admin API instances alive: a job whose instance is not here was interrupted. */
    public String adminInstances() {
        return ZKPaths.makePath(root, "admins");
    }
}
