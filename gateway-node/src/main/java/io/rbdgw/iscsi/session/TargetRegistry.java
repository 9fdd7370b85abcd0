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

    /** CHAP for discovery sessions; null secrets mean discovery needs no authentication. */
    public void setDiscoveryAuth(ChapSecret chap, ChapSecret mutual) {
        this.discoveryChap = chap;
        this.discoveryMutualChap = mutual;
    }
}
