package io.rbdgw.config.model;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A named set of initiators of one target that all see the same disks (a cluster of hosts sharing datastores).
 * Members must be clients of the target; an initiator belongs to at most one group per target.
 */
public record HostGroup(String target, String name, SortedSet<String> members, SortedSet<String> disks) {
    public HostGroup {
        Names.iscsiName("target", target);
        Names.name("host group name", name);
        members = copy(members);
        for (String m : members) {
            Names.iscsiName("host group " + name + " member", m);
        }
        disks = copy(disks);
    }

    public static HostGroup of(String target, String name, Set<String> members, Set<String> disks) {
        return new HostGroup(target, name, new TreeSet<>(members), new TreeSet<>(disks));
    }

    private static SortedSet<String> copy(SortedSet<String> s) {
        return s == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(new TreeSet<>(s));
    }
}
