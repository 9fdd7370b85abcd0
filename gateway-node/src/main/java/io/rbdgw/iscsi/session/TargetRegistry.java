package io.rbdgw.iscsi.session;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.rbdgw.iscsi.login.ChapSecret;

/**
 * The targets this gateway serves, and the discovery-session policy. Thread-safe: connections look
 * targets up from their event loops while configuration changes them.
 */
public final class TargetRegistry {

    private final Map<String, TargetEntry> targets = new ConcurrentHashMap<>();
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
    public record PortalAddress(String address, int tag) {
    }

    public void put(TargetEntry target) {
        targets.put(target.name(), target);
    }

    public TargetEntry remove(String name) {
        return targets.remove(name);
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
