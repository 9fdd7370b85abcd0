package io.rbdgw.config.pr;

import io.rbdgw.config.pr.PrDocuments.Versioned;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands this gateway every disk's reservation document as it changes (immutable {@link Versioned} snapshots,
 * never an older version after a newer one), tells it when its view may be stale (ZooKeeper SUSPENDED or LOST)
 * and when it is current again (after RECONNECTED every document has been read again, after a sync), and lets a
 * writer wait until the other gateways acknowledged a version ({@link #awaitAcknowledged}).
 *
 * <p>Listeners are called on the watcher's own thread ({@code pr-watcher}), one at a time.
 */
public final class PrWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(PrWatcher.class);
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(5);

    /** Told of reservation changes. */
    public interface Listener {
        /** A newer document of {@code disk}. */
        void changed(String disk, Versioned document);

        /** false: ZooKeeper is unreachable and the documents may be stale; true: every document was read again. */
        default void current(boolean current) {}
    }

    private record Waiter(
            String disk,
            int version,
            Set<String> gateways,
            long deadlineNanos,
            CompletableFuture<Set<String>> result) {}

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final PrDocuments docs;
    private final CuratorCache documents;
    private final CuratorCache acks;
    private final ScheduledExecutorService executor;
    private final ConnectionStateListener connectionListener;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Versioned> latest = new ConcurrentHashMap<>();
    /** disk -> gateway -> acknowledged version (executor thread only). */
    private final Map<String, Map<String, Integer>> acknowledged = new HashMap<>();

    private final List<Waiter> waiters = new ArrayList<>(); // executor thread only
    private volatile boolean current = true;
    private volatile boolean closed;

    public PrWatcher(CuratorFramework client, ZkLayout layout) {
        this.client = client;
        this.layout = layout;
        this.docs = new PrDocuments(client, layout);
        this.documents = CuratorCache.build(client, layout.reservations());
        this.acks = CuratorCache.build(client, layout.reservationAcks());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pr-watcher");
            t.setDaemon(true);
            return t;
        });
        this.connectionListener = (c, state) -> {
            if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
                post(() -> setCurrent(false, state.toString()));
            } else if (state == ConnectionState.RECONNECTED) {
                post(this::rereadAll);
            }
        };
    }

    public PrDocuments documents() {
        return docs;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    public void start() {
        documents.listenable().addListener((type, oldData, data) -> {
            ChildData d = data != null ? data : oldData;
            if (d != null && data != null) {
                onDocument(d);
            }
        });
        acks.listenable().addListener((type, oldData, data) -> {
            ChildData d = data != null ? data : oldData;
            if (d != null) {
                post(() -> onAck(d.getPath(), data));
            }
        });
        client.getConnectionStateListenable().addListener(connectionListener);
        documents.start();
        acks.start();
    }

    /** Whether the documents are current (ZooKeeper connected and every document read since it came back). */
    public boolean isCurrent() {
        return current;
    }

    /** The latest document seen of {@code disk}, or null. */
    public Versioned latest(String disk) {
        return latest.get(disk);
    }

    /**
     * Reads {@code disk}'s document after a sync and delivers it if it is newer than the one seen: what a
     * gateway does before it serves a disk, and before it answers PERSISTENT RESERVE IN. Blocking.
     */
    public Versioned refresh(String disk) throws Exception {
        Versioned v = docs.readFresh(disk, SYNC_TIMEOUT);
        offer(disk, v);
        return latest.getOrDefault(disk, v);
    }

    /** Delivers {@code v} unless a newer version was delivered already. Returns whether it was delivered. */
    public boolean offer(String disk, Versioned v) {
        Versioned[] delivered = new Versioned[1];
        latest.compute(disk, (k, old) -> {
            if (v.newerThan(old)) {
                delivered[0] = v;
                return v;
            }
            return old;
        });
        if (delivered[0] == null) {
            return false;
        }
        for (Listener l : listeners) {
            try {
                l.changed(disk, v);
            } catch (RuntimeException e) {
                log.error("reservation listener failed on {} version {}", disk, v.version(), e);
            }
        }
        return true;
    }

    private void onDocument(ChildData d) {
        String parent = ZKPaths.getPathAndNode(d.getPath()).getPath();
        if (!parent.equals(layout.reservations())) {
            return;
        }
        String disk = ZkLayout.diskId(ZKPaths.getNodeFromPath(d.getPath()));
        Versioned v;
        try {
            v = docs.decode(d.getPath(), d.getData(), d.getStat().getVersion());
        } catch (RuntimeException e) {
            log.error(
                    "unreadable reservation document {}: {}; this gateway keeps the state it had for {}",
                    d.getPath(),
                    e.getMessage(),
                    disk);
            return;
        }
        post(() -> offer(disk, v));
    }

    private void setCurrent(boolean now, String why) {
        if (current == now) {
            return;
        }
        current = now;
        if (now) {
            log.info("reservation state current again ({})", why);
        } else {
            log.warn(
                    "ZooKeeper {}: reservation state may be stale; LUNs with reservations answer BUSY until it is "
                            + "read again",
                    why);
        }
        for (Listener l : listeners) {
            l.current(now);
        }
    }

    /** After a reconnect: every document again, after a sync, before the state counts as current. */
    private void rereadAll() {
        if (closed) {
            return;
        }
        try {
            List<String> children;
            try {
                children = client.getChildren().forPath(layout.reservations());
            } catch (KeeperException.NoNodeException none) {
                children = List.of();
            }
            Set<String> disks = new TreeSet<>(latest.keySet());
            for (String c : children) {
                disks.add(ZkLayout.diskId(c));
            }
            for (String disk : disks) {
                offer(disk, docs.readFresh(disk, SYNC_TIMEOUT));
            }
            setCurrent(true, "reconnected, " + disks.size() + " documents read");
        } catch (Exception e) {
            log.info("cannot read the reservation documents yet ({}); retrying", e.toString());
            try {
                executor.schedule(this::rereadAll, 500, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // closing
            }
        }
    }

    private void onAck(String path, ChildData data) {
        ZKPaths.PathAndNode pn = ZKPaths.getPathAndNode(path);
        ZKPaths.PathAndNode parent = ZKPaths.getPathAndNode(pn.getPath());
        if (!parent.getPath().equals(layout.reservationAcks())) {
            return;
        }
        String disk = ZkLayout.diskId(parent.getNode());
        String gateway = pn.getNode();
        if (data == null || data.getData() == null || data.getData().length == 0) {
            Map<String, Integer> m = acknowledged.get(disk);
            if (m != null) {
                m.remove(gateway);
            }
        } else {
            try {
                acknowledged
                        .computeIfAbsent(disk, k -> new HashMap<>())
                        .put(gateway, docs.decodeAck(path, data.getData()).version());
            } catch (RuntimeException e) {
                log.warn("ignoring unreadable acknowledgement {}: {}", path, e.getMessage());
            }
        }
        evaluateWaiters();
    }

    /**
     * Completes once each of {@code gateways} acknowledged {@code version} of {@code disk} or a later one, or at
     * {@code timeout} with those that did not. A gateway whose acknowledgement disappears meanwhile (its session
     * ended) counts as not acknowledging.
     *
     * @param gateways the gateways serving the disk, as {@link PrDocuments#acknowledgers} read them after the change
     */
    public CompletableFuture<Set<String>> awaitAcknowledged(
            String disk, int version, Set<String> gateways, Duration timeout) {
        CompletableFuture<Set<String>> result = new CompletableFuture<>();
        post(() -> {
            waiters.add(new Waiter(disk, version, Set.copyOf(gateways), System.nanoTime() + timeout.toNanos(), result));
            evaluateWaiters();
            try {
                executor.schedule(this::evaluateWaiters, timeout.toMillis() + 1, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                result.completeExceptionally(closing);
            }
        });
        return result;
    }

    private void evaluateWaiters() {
        long now = System.nanoTime();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            Map<String, Integer> m = acknowledged.getOrDefault(w.disk(), Map.of());
            Set<String> missing = new TreeSet<>();
            for (String g : w.gateways()) {
                Integer v = m.get(g);
                if (v == null || v < w.version()) {
                    missing.add(g);
                }
            }
            if (missing.isEmpty()) {
                it.remove();
                w.result().complete(Set.of());
            } else if (now - w.deadlineNanos() >= 0) {
                it.remove();
                w.result().complete(missing);
            }
        }
    }

    private void post(Runnable r) {
        try {
            executor.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.error("reservation watcher task failed", e);
                }
            });
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        client.getConnectionStateListenable().removeListener(connectionListener);
        documents.close();
        acks.close();
        executor.shutdownNow();
        for (Waiter w : waiters) {
            w.result().completeExceptionally(new IllegalStateException("closed"));
        }
    }
}
