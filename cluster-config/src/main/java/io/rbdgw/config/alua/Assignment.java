package io.rbdgw.config.alua;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The coordinator's placement rule, as a pure function so it can be tested without ZooKeeper.
 *
 * <ul>
 *   <li>A disk keeps its owner while the owner is eligible (stability), or while the owner is
 *       lost but not yet fenced (moving it first would let the old owner's late writes land after the new
 *       owner's).</li>
 *   <li>Other disks go to the least-loaded eligible gateway (settled, live, not draining); ties by name.</li>
 *   <li>Then, while one eligible gateway has two disks more than another, the most loaded gives one disk
 *       (its last by name) to the least loaded: a returning gateway gets its share back, nothing else moves.</li>
 *   <li>With no eligible gateway, live unsettled ones are used, then draining ones: never leave a disk without
 *       a live owner when there is a live gateway.</li>
 * </ul>
 */
public final class Assignment {
    private Assignment() {}

    /**
     * @param disks    every disk id that needs an owner
     * @param current  current owner by disk (disks absent have none)
     * @param eligible settled, live, non-draining gateways
     * @param live     all live gateways (superset of eligible; includes unsettled and draining ones)
     * @param draining gateways being drained
     * @param unfenced lost gateways not yet fenced: their disks stay put
     * @return the owner of every disk that can have one, by disk
     */
    public static Map<String, String> assign(
            Collection<String> disks,
            Map<String, String> current,
            Set<String> eligible,
            Set<String> live,
            Set<String> draining,
            Set<String> unfenced) {
        SortedSet<String> targets = new TreeSet<>(eligible);
        boolean balance = !targets.isEmpty();
        if (targets.isEmpty()) {
            live.stream().filter(g -> !draining.contains(g)).forEach(targets::add);
        }
        if (targets.isEmpty()) {
            targets.addAll(live);
        }
        Map<String, String> out = new TreeMap<>();
        Map<String, List<String>> load = new TreeMap<>();
        targets.forEach(t -> load.put(t, new ArrayList<>()));
        List<String> homeless = new ArrayList<>();
        for (String disk : new TreeSet<>(disks)) {
            String owner = current.get(disk);
            boolean keep = owner != null && (unfenced.contains(owner) || targets.contains(owner));
            if (keep) {
                out.put(disk, owner);
                List<String> l = load.get(owner);
                if (l != null) {
                    l.add(disk);
                }
            } else {
                homeless.add(disk);
            }
        }
        if (targets.isEmpty()) {
            return out; // nobody alive: keep what can be kept
        }
        for (String disk : homeless) {
            String to = least(load);
            load.get(to).add(disk);
            out.put(disk, to);
        }
        if (balance) {
            while (true) {
                String most = most(load);
                String least = least(load);
                List<String> from = load.get(most);
                if (from.size() - load.get(least).size() <= 1) {
                    break;
                }
                from.sort(Comparator.naturalOrder());
                String disk = from.remove(from.size() - 1);
                load.get(least).add(disk);
                out.put(disk, least);
            }
        }
        return out;
    }

    private static String least(Map<String, List<String>> load) {
        String best = null;
        for (Map.Entry<String, List<String>> e : load.entrySet()) {
            if (best == null || e.getValue().size() < load.get(best).size()) {
                best = e.getKey();
            }
        }
        return best;
    }

    private static String most(Map<String, List<String>> load) {
        String best = null;
        for (Map.Entry<String, List<String>> e : load.entrySet()) {
            if (best == null || e.getValue().size() > load.get(best).size()) {
                best = e.getKey();
            }
        }
        return best;
    }
}
