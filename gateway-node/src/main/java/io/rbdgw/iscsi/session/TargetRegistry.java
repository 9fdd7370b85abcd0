package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.login.ChapSecret;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The targets this gateway serves, and the discovery-session policy. Thread-safe: connections look
 * targets up from their event loops while configuration changes them.
 *
 * <p>A target is <em>ready</em> once its LUNs, ACL, CHAP and ALUA states are applied ({@link #markReady}):
 * only ready targets are announced by SendTargets and accept logins; a login to a known target that is not
 * ready yet is answered "service unavailable" (retryable), so that a host never mistakes a half-configured
 * target for one without its LUNs.
 */
public final class TargetRegistry {

    private final Map<String, TargetEntry> targets = new ConcurrentHashMap<>();
    private final Set<String> ready = ConcurrentHashMap.newKeySet();
    private volatile ChapSecret discoveryChap;
    private volatile ChapSecret discoveryMutualChap;
    private volatile List<PortalAddress> discoveryPortals = List.of();
    private volatile SessionSettings clusterSession;

    /**
     * A portal that discovery (SendTargets) announces besides the one the initiator is connected to.
     *
     * @param address {@code host:port} or {@code [v6]:port}
     * @param tag     its target portal group tag
     */
    public record PortalAddress(String address, int tag) {}

    /** Publishes {@code target} ready at once (everything it serves is already attached). */
    public void put(TargetEntry target) {
        targets.put(target.name(), target);
        ready.add(target.name());
    }

    /**
     * Publishes {@code target} (new login settings) without changing whether it is ready: a new target stays
     * unannounced and refuses logins retryably until {@link #markReady}.
     */
    public void publish(TargetEntry target) {
        targets.put(target.name(), target);
    }

    public TargetEntry remove(String name) {
        ready.remove(name);
        return targets.remove(name);
    }

    /** {@code name}'s LUNs, ACL, CHAP and ALUA states are applied: announce it and accept logins to it. */
    public void markReady(String name) {
        if (targets.containsKey(name)) {
            ready.add(name);
        }
    }

    /** Whether {@code name} is known and ready (see {@link #markReady}). */
    public boolean isReady(String name) {
        return name != null && ready.contains(name) && targets.containsKey(name);
    }

    /** The ready targets: what discovery announces. */
    public Collection<TargetEntry> allReady() {
        List<TargetEntry> out = new ArrayList<>();
        for (TargetEntry t : targets.values()) {
            if (ready.contains(t.name())) {
                out.add(t);
            }
        }
        return out;
    }

    public TargetEntry find(String name) {
        return name == null ? null : targets.get(name);
    }

    public Collection<TargetEntry> all() {
        return List.copyOf(targets.values());
    }

    public ChapSecret discoveryChap() {
        return discoveryChap;
    }

    public ChapSecret discoveryMutualChap() {
        return discoveryMutualChap;
    }

    /** Every portal of the cluster, announced by SendTargets so that one address finds all paths. */
    public List<PortalAddress> discoveryPortals() {
        return discoveryPortals;
    }

    public void setDiscoveryPortals(List<PortalAddress> portals) {
        this.discoveryPortals = List.copyOf(portals);
    }

    /**
     * The cluster-wide settings: what discovery sessions (and targets without settings of their own) start
     * with; null for the portal's.
     */
    public SessionSettings clusterSession() {
        return clusterSession;
    }

    public void setClusterSession(SessionSettings settings) {
        this.clusterSession = settings;
    }

    /** CHAP for discovery sessions; null secrets mean discovery needs no authentication. */
    public void setDiscoveryAuth(ChapSecret chap, ChapSecret mutual) {
        this.discoveryChap = chap;
        this.discoveryMutualChap = mutual;
    }
}
