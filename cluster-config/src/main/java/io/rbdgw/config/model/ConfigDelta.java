package io.rbdgw.config.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What differs between two snapshots: what a gateway's reconciler must add, remove or reconfigure, and which
 * unit attentions to raise (REPORTED LUNS DATA CHANGED for targets whose LUNs changed, CAPACITY DATA HAS CHANGED
 * for resized disks).
 */
public record ConfigDelta(long fromEpoch, long toEpoch, Changes<Target> targets, Changes<Disk> disks,
                          Changes<Gateway> gateways, Changes<Lun> luns, Changes<Client> clients,
                          Changes<HostGroup> hostGroups, boolean discoveryAuthChanged, boolean settingsChanged) {

    /** Items only in the new snapshot, only in the old one, and present in both but different (new value). */
    public record Changes<T>(List<T> added, List<T> removed, List<T> changed) {
        public Changes {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
            changed = List.copyOf(changed);
        }

        public boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
        }
    }

    public static ConfigDelta between(ClusterConfig from, ClusterConfig to) {
        return new ConfigDelta(from.epoch(), to.epoch(),
                diff(from.targets(), to.targets(), Target::iqn),
                diff(from.disks(), to.disks(), Disk::id),
                diff(from.gateways(), to.gateways(), Gateway::name),
                diff(from.luns(), to.luns(), l -> l.target() + " " + l.number()),
                diff(from.clients(), to.clients(), c -> c.target() + " " + c.initiator()),
                diff(from.hostGroups(), to.hostGroups(), g -> g.target() + " " + g.name()),
                !from.discoveryAuth().equals(to.discoveryAuth()),
                !from.settings().equals(to.settings()));
    }

    private static <T> Changes<T> diff(List<T> from, List<T> to, Function<T, String> key) {
        Map<String, T> old = new LinkedHashMap<>();
        from.forEach(t -> old.put(key.apply(t), t));
        List<T> added = new ArrayList<>();
        List<T> changed = new ArrayList<>();
        for (T t : to) {
            T before = old.remove(key.apply(t));
            if (before == null) {
                added.add(t);
            } else if (!before.equals(t)) {
                changed.add(t);
            }
        }
        return new Changes<>(added, new ArrayList<>(old.values()), changed);
    }

    public boolean isEmpty() {
        return targets.isEmpty() && disks.isEmpty() && gateways.isEmpty() && luns.isEmpty() && clients.isEmpty()
                && hostGroups.isEmpty() && !discoveryAuthChanged && !settingsChanged;
    }

    /** Targets whose LUN inventory changed (LUNs added, removed or pointed at another disk). */
    public Set<String> targetsWithLunChanges() {
        Set<String> out = new TreeSet<>();
        luns.added().forEach(l -> out.add(l.target()));
        luns.removed().forEach(l -> out.add(l.target()));
        luns.changed().forEach(l -> out.add(l.target()));
        return out;
    }

    /** Disks present in both snapshots whose size changed (new values). */
    public List<Disk> resizedDisks(ClusterConfig from) {
        List<Disk> out = new ArrayList<>();
        for (Disk d : disks.changed()) {
            from.disk(d.id()).filter(old -> old.size() != d.size()).ifPresent(old -> out.add(d));
        }
        return out;
    }

    /** Gateways whose portal list or target port group changed, were added or removed: discovery answers change. */
    public boolean portalsChanged() {
        return !gateways.isEmpty();
    }

    @Override
    public String toString() {
        return "ConfigDelta[" + fromEpoch + "->" + toEpoch + ": targets " + count(targets) + ", disks " + count(disks)
                + ", gateways " + count(gateways) + ", luns " + count(luns) + ", clients " + count(clients)
                + ", host groups " + count(hostGroups) + (discoveryAuthChanged ? ", discovery auth" : "")
                + (settingsChanged ? ", settings" : "") + "]";
    }

    private static String count(Changes<?> c) {
        return "+" + c.added().size() + "/-" + c.removed().size() + "/~" + c.changed().size();
    }
}
