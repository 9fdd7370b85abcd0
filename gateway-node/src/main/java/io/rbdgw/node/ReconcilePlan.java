package io.rbdgw.node;

import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.iscsi.session.TargetRegistry.PortalAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one reconciliation pass changes to bring this gateway's exports to a configuration snapshot: a pure
 * function of the snapshot and of what is live, so it is decided (and tested) without ZooKeeper, devices or
 * sessions. {@link LiveExports} applies it, in this order: {@link #removedTargets}, {@link #replacedDisks}
 * (their LUNs leave every target), then per target of the snapshot {@link TargetChanges#removed} LUNs, the new
 * masking, {@link TargetChanges#added} LUNs.
 *
 * @param portGroup        this gateway's target port group (1 when the snapshot does not declare the gateway)
 * @param discoveryPortals every portal of every gateway, for SendTargets
 * @param removedTargets   live targets the snapshot no longer has
 * @param replacedDisks    open disks whose backstore, path or identity changed: another device, re-opened
 * @param targets          per target of the snapshot (in its order), the LUN changes
 */
public record ReconcilePlan(
        int portGroup,
        List<PortalAddress> discoveryPortals,
        Set<String> removedTargets,
        Set<String> replacedDisks,
        Map<String, TargetChanges> targets) {

    /**
     * The LUN changes of one target.
     *
     * @param removed live LUNs that are gone or now export another disk (LUNs of a replaced disk are not listed:
     *                they leave with their disk)
     * @param added   LUNs to attach, number to disk id: new ones, changed ones, those of a replaced disk, and those
     *                whose disk could not be opened so far
     */
    public record TargetChanges(Set<Integer> removed, SortedMap<Integer, String> added) {
        public TargetChanges {
            removed = Collections.unmodifiableSortedSet(new TreeSet<>(removed));
            added = Collections.unmodifiableSortedMap(new TreeMap<>(added));
        }

        /** No LUN to remove or to add. */
        public boolean isEmpty() {
            return removed.isEmpty() && added.isEmpty();
        }
    }

    public ReconcilePlan {
        discoveryPortals = List.copyOf(discoveryPortals);
        removedTargets = Collections.unmodifiableSortedSet(new TreeSet<>(removedTargets));
        replacedDisks = Collections.unmodifiableSortedSet(new TreeSet<>(replacedDisks));
        targets = Collections.unmodifiableMap(new LinkedHashMap<>(targets));
    }

    /**
     * The plan from what is live to {@code c}.
     *
     * @param gatewayName this gateway
     * @param liveLuns    per live target, its attached LUNs: number to disk id
     * @param openDisks   the open disks: id to the spec they were opened with
     */
    public static ReconcilePlan between(
            ClusterConfig c,
            String gatewayName,
            Map<String, Map<Integer, String>> liveLuns,
            Map<String, Disk> openDisks) {
        List<PortalAddress> portals = new ArrayList<>();
        for (Gateway g : c.gateways()) {
            for (Portal p : g.portals()) {
                portals.add(new PortalAddress(p.toString(), g.targetPortGroup()));
            }
        }
        Set<String> removedTargets = new TreeSet<>();
        for (String iqn : liveLuns.keySet()) {
            if (c.target(iqn).isEmpty()) {
                removedTargets.add(iqn);
            }
        }
        Set<String> replaced = new TreeSet<>();
        openDisks.forEach(
                (id, spec) -> c.disk(id).filter(now -> !sameDevice(spec, now)).ifPresent(now -> replaced.add(id)));
        Map<String, TargetChanges> targets = new LinkedHashMap<>();
        for (Target target : c.targets()) {
            SortedMap<Integer, String> wanted = new TreeMap<>();
            for (Lun l : c.luns(target.iqn())) {
                wanted.put(l.number(), l.diskId());
            }
            Map<Integer, String> live = liveLuns.getOrDefault(target.iqn(), Map.of());
            Set<Integer> removed = new TreeSet<>();
            SortedMap<Integer, String> added = new TreeMap<>();
            live.forEach((n, disk) -> {
                if (!replaced.contains(disk) && !disk.equals(wanted.get(n))) {
                    removed.add(n);
                }
            });
            wanted.forEach((n, disk) -> {
                String now = live.get(n);
                if (now == null || removed.contains(n) || replaced.contains(now)) {
                    added.put(n, disk);
                }
            });
            targets.put(target.iqn(), new TargetChanges(removed, added));
        }
        int tag = c.gateway(gatewayName).map(Gateway::targetPortGroup).orElse(1);
        return new ReconcilePlan(tag, portals, removedTargets, replaced, targets);
    }

    /**
     * The part of {@code c} that target {@code t}'s login settings, LUN masking and LUNs are built from: the target,
     * its LUNs, clients and host groups, the disks its LUNs export, the gateways (port groups, ALUA) and the
     * cluster settings. At epoch 0: two snapshots in which a target did not change give equal slices, and a pass
     * leaves such a target alone.
     */
    public static ClusterConfig slice(ClusterConfig c, Target t) {
        String iqn = t.iqn();
        List<Lun> luns = c.luns(iqn);
        List<Disk> disks = new ArrayList<>(luns.size());
        for (Lun l : luns) {
            c.disk(l.diskId()).ifPresent(disks::add);
        }
        return new ClusterConfig(
                0,
                c.schema(),
                List.of(t),
                disks,
                c.gateways(),
                luns,
                c.clients(iqn),
                c.hostGroups(iqn),
                null,
                c.settings());
    }

    /** Whether a disk spec still names the device that was opened for {@code opened}. */
    static boolean sameDevice(Disk opened, Disk now) {
        return opened.backstore() == now.backstore()
                && Objects.equals(opened.path(), now.path())
                && opened.wwnSeed().equals(now.wwnSeed());
    }
}
