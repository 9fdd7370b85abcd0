package io.rbdgw.config.alua;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.utils.ZKPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers {@link AluaSnapshot}s (disk owners, live and draining gateways) to a gateway whenever one of them
 * changes. The first snapshot comes once all three caches have loaded (never a partial one at startup); after
 * that, a burst of changes (a failover's hundreds of moves in one transaction) is delivered as few snapshots:
 * each changed ownership document is parsed once, when it changes, not once per event of the burst. Listeners
 * run on the watcher's own thread, one call at a time, and must not block. While ZooKeeper is unreachable no
 * snapshot arrives: the gateway keeps the states it last applied.
 */
public final class AluaWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(AluaWatcher.class);

    @FunctionalInterface
    public interface Listener {
        void aluaChanged(AluaSnapshot snapshot);
    }

    /** An ownership document as last seen, with its znode version (a coordinator writes against it). */
    record Versioned(LunOwnership value, int version) {}

    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final CuratorCache owners;
    private final CuratorCache members;
    private final CuratorCache drains;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /**
     * Deliveries of one burst are at least this far apart: a change after a quiet time is delivered at once, the
     * documents of a mass move that arrive over hundreds of milliseconds are applied (and published in the status)
     * a few times instead of once per arriving handful.
     */
    static final long MIN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

    private final ScheduledExecutorService deliverer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "alua watcher");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicInteger initialized = new AtomicInteger();
    private final AtomicLong parsed = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile long lastDelivery = System.nanoTime() - MIN_GAP_NANOS;
    private final Object lock = new Object();
    // under lock: ownership paths changed since the last delivery
    private final Set<String> dirty = new LinkedHashSet<>();
    // the watcher's thread only: every document as parsed, by path
    private final Map<String, Versioned> byPath = new HashMap<>();
    private volatile Map<String, Versioned> byDisk = Map.of(); // a new map per delivery: read without the lock
    private volatile boolean closed;
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
        owners.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forAll((type, oldData, data) -> {
                            ChildData d = data != null ? data : oldData;
                            if (d != null && isChild(d, layout.alua())) {
                                synchronized (lock) {
                                    dirty.add(d.getPath());
                                }
                            }
                            queue();
                        })
                        .forInitialized(this::loaded)
                        .build());
        for (CuratorCache c : List.of(members, drains)) {
            c.listenable()
                    .addListener(CuratorCacheListener.builder()
                            .forAll((type, oldData, data) -> queue())
                            .forInitialized(this::loaded)
                            .build());
        }
        owners.start();
        members.start();
        drains.start();
    }

    /** The latest snapshot delivered (empty before the first). */
    public AluaSnapshot snapshot() {
        return last;
    }

    /**
     * Every ownership document with its znode version as of the latest delivery, by disk id; empty before the
     * first delivery (the caches have not loaded yet). May lag ZooKeeper: a writer checks the versions.
     */
    Optional<Map<String, Versioned>> ownership() {
        return initialized.get() < 3 ? Optional.empty() : Optional.of(byDisk);
    }

    /** Ownership documents parsed since the start (each once per change; diagnostics and tests). */
    long documentsParsed() {
        return parsed.get();
    }

    /** Snapshots delivered since the start (tests). */
    long deliveries() {
        return delivered.get();
    }

    private void loaded() {
        if (initialized.incrementAndGet() == 3) {
            queue();
        }
    }

    /** A delivery soon, on the watcher's thread; events arriving meanwhile join it (or the one after). */
    private void queue() {
        if (closed || initialized.get() < 3 || !queued.compareAndSet(false, true)) {
            return;
        }
        long wait = lastDelivery + MIN_GAP_NANOS - System.nanoTime();
        try {
            deliverer.schedule(this::deliver, Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            queued.set(false);
        }
    }

    private void deliver() {
        queued.set(false); // from here on, a new event queues the next delivery
        lastDelivery = System.nanoTime();
        List<String> batch;
        synchronized (lock) { // held briefly: Curator's event thread adds to it
            batch = List.copyOf(dirty);
            dirty.clear();
        }
        boolean changed = false;
        for (String path : batch) {
            ChildData d = owners.get(path).orElse(null);
            Versioned was = byPath.get(path);
            if (d == null || d.getData() == null) {
                changed |= byPath.remove(path) != null;
            } else if (was == null
                    || d.getStat() == null
                    || was.version() != d.getStat().getVersion()) {
                Versioned v = parse(d);
                changed |= v == null ? byPath.remove(path) != null : !v.equals(byPath.put(path, v));
            }
        }
        if (changed) {
            Map<String, Versioned> disks = new HashMap<>();
            byPath.values().forEach(v -> disks.put(v.value().disk(), v));
            byDisk = disks;
        }
        Map<String, LunOwnership> o = new HashMap<>();
        byDisk.forEach((disk, v) -> o.put(disk, v.value()));
        AluaSnapshot next = new AluaSnapshot(o, names(members, layout.members()), names(drains, layout.drains()));
        if (next.equals(last)) {
            return;
        }
        last = next;
        delivered.incrementAndGet();
        for (Listener l : listeners) {
            try {
                l.aluaChanged(next);
            } catch (RuntimeException e) {
                log.error("ALUA listener failed", e);
            }
        }
    }

    private Versioned parse(ChildData d) {
        parsed.incrementAndGet();
        try {
            LunOwnership own =
                    docs.read(d.getPath(), d.getData(), LunOwnership.class).value();
            return new Versioned(own, d.getStat() == null ? -1 : d.getStat().getVersion());
        } catch (ConfigStoreException | IllegalArgumentException bad) {
            log.warn("ignoring unreadable ownership document {}: {}", d.getPath(), bad.getMessage());
            return null;
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
        closed = true;
        owners.close();
        members.close();
        drains.close();
        deliverer.shutdownNow();
    }
}
