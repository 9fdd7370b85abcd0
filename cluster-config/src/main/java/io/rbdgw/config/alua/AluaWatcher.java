package io.rbdgw.config.alua;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.utils.ZKPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers {@link AluaSnapshot}s (disk owners, live and draining gateways) to a gateway whenever one of them
 * changes. Listeners run on Curator's cache thread, one call at a time, and must not block. While ZooKeeper
 * is unreachable no snapshot arrives: the gateway keeps the states it last applied.
 */
public final class AluaWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(AluaWatcher.class);

    @FunctionalInterface
    public interface Listener {
        void aluaChanged(AluaSnapshot snapshot);
    }

    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final CuratorCache owners;
    private final CuratorCache members;
    private final CuratorCache drains;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile AluaSnapshot last = AluaSnapshot.EMPTY;

    public AluaWatcher(CuratorFramework client, ZkLayout layout) {
        this.layout = layout;
        this.owners = CuratorCache.build(client, layout.alua());
        this.members = CuratorCache.build(client, layout.members());
        this.drains = CuratorCache.build(client, layout.drains());
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void start() {
        for (CuratorCache c : List.of(owners, members, drains)) {
            c.listenable().addListener((type, oldData, data) -> refresh());
            c.start();
        }
    }

    /** The latest snapshot delivered (empty before the first). */
    public AluaSnapshot snapshot() {
        return last;
    }

    private void refresh() {
        synchronized (lock) {
            Map<String, LunOwnership> o = new HashMap<>();
            owners.stream().filter(d -> isChild(d, layout.alua())).forEach(d -> {
                try {
                    LunOwnership own = docs.read(d.getPath(), d.getData(), LunOwnership.class)
                            .value();
                    o.put(own.disk(), own);
                } catch (ConfigStoreException | IllegalArgumentException bad) {
                    log.warn("ignoring unreadable ownership document {}: {}", d.getPath(), bad.getMessage());
                }
            });
            AluaSnapshot next = new AluaSnapshot(o, names(members, layout.members()), names(drains, layout.drains()));
            if (next.equals(last)) {
                return;
            }
            last = next;
            for (Listener l : listeners) {
                try {
                    l.aluaChanged(next);
                } catch (RuntimeException e) {
                    log.error("ALUA listener failed", e);
                }
            }
        }
    }

    private static Set<String> names(CuratorCache cache, String parent) {
        Set<String> out = new TreeSet<>();
        cache.stream().filter(d -> isChild(d, parent)).forEach(d -> out.add(ZKPaths.getNodeFromPath(d.getPath())));
        return out;
    }

    private static boolean isChild(ChildData d, String parent) {
        return ZKPaths.getPathAndNode(d.getPath()).getPath().equals(parent);
    }

    @Override
    public void close() {
        owners.close();
        members.close();
        drains.close();
    }
}
