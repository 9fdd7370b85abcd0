package io.rbdgw.node;

import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.TargetPortGroups;
import io.rbdgw.scsi.TargetPortGroups.Group;
import java.util.ArrayList;
import java.util.List;

/** The ALUA target port groups a LUN reports: a pure function of the configuration and the ALUA snapshot. */
final class AluaStates {

    private AluaStates() {}

    /**
     * The groups of the LUNs of {@code diskId} as gateway {@code gatewayName} (group {@code tag}) reports them. With
     * {@code unknown} (fenced, or back after a lost ZooKeeper session) its own group is Transitioning.
     */
    static List<Group> groups(
            ClusterConfig c, AluaSnapshot snapshot, String gatewayName, String diskId, int tag, boolean unknown) {
        List<Group> g = ClusterTargetPortGroups.states(ports(c, snapshot, gatewayName, diskId), tag);
        if (!unknown) {
            return g;
        }
        List<Group> out = new ArrayList<>(g.size());
        for (Group x : g) {
            out.add(
                    x.id() == tag
                            ? new Group(x.id(), TargetPortGroups.TRANSITIONING, x.preferred(), x.relativePorts())
                            : x);
        }
        return out;
    }

    /** Every configured gateway as a port group of a disk's LUNs, per the ALUA snapshot (none before the first). */
    static List<ClusterTargetPortGroups.Port> ports(
            ClusterConfig c, AluaSnapshot s, String gatewayName, String diskId) {
        List<ClusterTargetPortGroups.Port> ports = new ArrayList<>();
        if (s != null) {
            String owner = s.owner(diskId).orElse(null);
            for (Gateway g : c.gateways()) {
                ports.add(new ClusterTargetPortGroups.Port(
                        g.targetPortGroup(),
                        g.name().equals(gatewayName) || s.live().contains(g.name()),
                        g.name().equals(owner)));
            }
        }
        return ports;
    }
}
