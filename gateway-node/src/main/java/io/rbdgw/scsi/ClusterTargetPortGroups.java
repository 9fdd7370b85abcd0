package io.rbdgw.scsi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The cluster-wide ALUA view of one logical unit: every gateway is one target port group (its id is the
 * gateway's target port group, and it has one relative target port with the same number). The LUN's owner
 * is Active/Optimized, the other live gateways Active/Non-optimized, the gateways that are not alive
 * Unavailable. Non-optimized paths serve I/O like the optimized one; only the host's path choice differs.
 *
 * <p>The I/O path only reads one volatile reference ({@link #groups}); {@link #update} replaces it and,
 * when any group's state changed, posts 2A/06 ASYMMETRIC ACCESS STATE CHANGED to every nexus of the unit
 * so that initiators re-read REPORT TARGET PORT GROUPS (SPC-4 5.15.2.4).
 */
public final class ClusterTargetPortGroups implements TargetPortGroups {

    /**
     * One gateway as the coordinator sees it.
     *
     * @param groupId the gateway's target port group (also its relative target port id), nonzero
     * @param alive   whether the gateway is a live member of the cluster
     * @param owner   whether it owns the LUN
     */
    public record Port(int groupId, boolean alive, boolean owner) {
        public Port {
            if (groupId <= 0 || groupId > 0xFFFF) {
                throw new IllegalArgumentException("target port group " + groupId + " is not 1..65535");
            }
        }
    }

    private final int transitionSeconds;
    private volatile int localGroup;
    private volatile List<Group> groups;
    private volatile UnitAttentions unitAttentions;

    /**
     * @param localGroup        this gateway's target port group
     * @param transitionSeconds the implicit transition time reported
     */
    public ClusterTargetPortGroups(int localGroup, int transitionSeconds) {
        this.localGroup = localGroup;
        this.transitionSeconds = transitionSeconds;
        // until the first update: this gateway alone, serving as Active/Optimized (as a single gateway would)
        this.groups = List.of(new Group(localGroup, ACTIVE_OPTIMIZED, false, List.of(localGroup)));
    }

    /** Where 2A/06 goes: the unit's attention queues (set once the logical unit exists). */
    public void attach(UnitAttentions unitAttentions) {
        this.unitAttentions = unitAttentions;
    }

    /**
     * Computes the groups from the gateways: owner Active/Optimized, other live ones Active/Non-optimized,
     * others Unavailable. When no live gateway owns the LUN (no coordinator decision yet, or the owner is
     * gone and not yet replaced) every live gateway is Active/Optimized: hosts keep using every path.
     * This gateway ({@code localGroup}) is always listed, as alive, even if missing from {@code ports}.
     */
    public static List<Group> states(Collection<Port> ports, int localGroup) {
        boolean owned = ports.stream().anyMatch(p -> p.owner() && p.alive());
        List<Port> sorted = new ArrayList<>(ports);
        sorted.sort(Comparator.comparingInt(Port::groupId));
        List<Group> out = new ArrayList<>(sorted.size() + 1);
        boolean local = false;
        int last = -1;
        for (Port p : sorted) {
            if (p.groupId() == last) {
                continue; // two gateways declared with one group: the configuration's problem, report it once
            }
            last = p.groupId();
            boolean alive = p.alive() || p.groupId() == localGroup;
            local |= p.groupId() == localGroup;
            int state = !alive ? UNAVAILABLE : p.owner() || !owned ? ACTIVE_OPTIMIZED : ACTIVE_NON_OPTIMIZED;
            out.add(new Group(p.groupId(), state, false, List.of(p.groupId())));
        }
        if (!local) {
            out.add(new Group(localGroup, owned ? ACTIVE_NON_OPTIMIZED : ACTIVE_OPTIMIZED, false, List.of(localGroup)));
            out.sort(Comparator.comparingInt(Group::id));
        }
        return List.copyOf(out);
    }

    /**
     * Replaces the view. Posts 2A/06 to every nexus when a group's state (or the set of groups) changed.
     *
     * @return whether anything an initiator can see changed
     */
    public boolean update(int localGroup, List<Group> next) {
        Objects.requireNonNull(next, "groups");
        List<Group> prev = groups;
        boolean changed = !prev.equals(next) || this.localGroup != localGroup;
        this.localGroup = localGroup;
        groups = List.copyOf(next);
        if (changed) {
            UnitAttentions ua = unitAttentions;
            if (ua != null) {
                ua.postAllExcept(null, 0x2A, 0x06);
            }
        }
        return changed;
    }

    /** Convenience: {@code update(localGroup, states(ports, localGroup))}. */
    public boolean update(int localGroup, Collection<Port> ports) {
        return update(localGroup, states(ports, localGroup));
    }

    /** This gateway's state for the unit. */
    public int localState() {
        int local = localGroup;
        for (Group g : groups) {
            if (g.id() == local) {
                return g.state();
            }
        }
        return ACTIVE_OPTIMIZED;
    }

    @Override
    public List<Group> groups(ItNexus asking) {
        return groups;
    }

    @Override
    public int groupOf(ItNexus nexus) {
        return localGroup;
    }

    @Override
    public int relativePortOf(ItNexus nexus) {
        return localGroup;
    }

    @Override
    public int implicitTransitionSeconds() {
        return transitionSeconds;
    }
}
