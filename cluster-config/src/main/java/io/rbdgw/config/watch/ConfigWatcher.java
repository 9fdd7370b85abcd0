package io.rbdgw.config.watch;

import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.store.ConfigStore;
import java.io.Closeable;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands listeners whole, consistent configuration snapshots, in epoch order, on one thread of its own.
 *
 * <p>The only trigger is a watch on {@code config/epoch}: every change bumps it, and since ZooKeeper may coalesce
 * events the watcher reads from its last snapshot to whatever epoch is current ({@link ConfigStore#readSince}:
 * the change records of the epochs in between and the znodes they name, consistent; the whole configuration when
 * a record is missing). The first read, and the first after a lost session, read everything. The watch is set
 * before reading, so no change can slip between a read and the next watch.
 *
 * <p>While the connection is SUSPENDED or LOST the last snapshot stays current (a gateway keeps serving what it
 * applied last); on (RE)CONNECTED the watcher re-reads, which also re-registers the watch a session expiry dropped.
 */
public final class ConfigWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final long RETRY_MILLIS = 500;

    public enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    /** Called on the watcher's thread; keep it short (hand heavy work to another thread). */
    public interface Listener {
        void configChanged(ClusterConfig snapshot);

        /** The ZooKeeper connection went away ({@code false}) or came back ({@code true}). */
        default void connectionChanged(boolean connected) {}
    }

    private final CuratorFramework client;
    private final ConfigStore store;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor;
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    private final Object snapshotLock = new Object();
    private volatile ClusterConfig current;
    private volatile boolean connected;
    /** The next read reads everything (the first one, and after a lost session). */
    private volatile boolean readAll = true;

    private volatile Thread thread;

    // connection events (type None) also reach the watch; those are handled by the connection listener, and a
    // read started on a Disconnected event would only block this thread in Curator's retries
    private final Watcher epochWatcher = event -> {
        if (event.getType() != Watcher.Event.EventType.None) {
            requestRefresh();
        }
    };
    private final ConnectionStateListener connectionListener = (c, newState) -> onConnectionState(newState);

    public ConfigWatcher(ConfigStore store) {
        this.store = store;
        this.client = store.client();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "config-watcher " + store.layout().root());
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("cannot start a watcher that is " + state.get());
        }
        client.getConnectionStateListenable().addListener(connectionListener);
        connected = client.getZookeeperClient().isConnected(); // after adding the listener: no event is missed
        requestRefresh();
    }

    public State state() {
        return state.get();
    }

    /** The latest snapshot delivered, if any: still the last one while ZooKeeper is unreachable. */
    public Optional<ClusterConfig> current() {
        return Optional.ofNullable(current);
    }

    public boolean isConnected() {
        return connected;
    }

    /** Waits until a snapshot of at least {@code epoch} has been delivered. */
    public ClusterConfig awaitEpoch(long epoch, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (snapshotLock) {
            while (current == null || current.epoch() < epoch) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("epoch " + epoch + " not seen within " + timeout + "; at "
                            + (current == null ? "none" : current.epoch()));
                }
                TimeUnit.NANOSECONDS.timedWait(snapshotLock, left);
            }
            return current;
        }
    }

    private void onConnectionState(ConnectionState s) {
        if (s == ConnectionState.LOST) {
            readAll = true; // whatever happened meanwhile, start over from a whole read
        }
        boolean now = s.isConnected();
        if (now != connected) {
            connected = now;
            log.info(
                    "ZooKeeper connection {}: {}",
                    s,
                    now ? "re-reading the configuration" : "keeping the last snapshot");
            executor.execute(() -> listeners.forEach(l -> safely(() -> l.connectionChanged(now))));
        }
        if (now) {
            requestRefresh();
        }
    }

    private void requestRefresh() {
        if (state.get() == State.STARTED && refreshPending.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    refreshPending.set(false);
                    refresh();
                });
            } catch (RejectedExecutionException closed) {
                refreshPending.set(false);
            }
        }
    }

    private void refresh() {
        if (state.get() != State.STARTED || !connected) {
            return; // (re)connecting triggers a refresh
        }
        try {
            // watch first, then read: a change after this point fires the watch again
            Stat stat = client.checkExists()
                    .usingWatcher(epochWatcher)
                    .forPath(store.layout().epoch());
            if (stat == null) {
                return; // not initialized yet: the watch fires when the epoch is created
            }
            ClusterConfig snapshot = current;
            if (snapshot != null && stat.getVersion() <= snapshot.epoch()) {
                return;
            }
            long t0 = System.nanoTime();
            ConfigStore.ReadStats before = store.readStats();
            boolean all = readAll || snapshot == null;
            readAll = false;
            ClusterConfig next;
            try {
                next = all ? store.read() : store.readSince(snapshot);
            } catch (RuntimeException e) {
                readAll = all;
                throw e;
            }
            // one line per change, as the reconciler's: where a slow change spent its time
            ConfigStore.ReadStats after = store.readStats();
            log.info(
                    "read configuration epoch {} ({}): {} znodes in {} ms",
                    next.epoch(),
                    all
                            ? "whole"
                            : after.fullReads() > before.fullReads()
                                    ? "whole: no usable change records since epoch " + snapshot.epoch()
                                    : "changes since epoch " + snapshot.epoch(),
                    after.znodesRead() - before.znodesRead(),
                    (System.nanoTime() - t0) / 1_000_000);
            if (snapshot == null || next.epoch() > snapshot.epoch()) {
                synchronized (snapshotLock) {
                    current = next;
                    snapshotLock.notifyAll();
                }
                for (Listener l : listeners) {
                    if (state.get() == State.STARTED) {
                        safely(() -> l.configChanged(next));
                    }
                }
            }
        } catch (Exception e) {
            if (state.get() == State.STARTED && connected) {
                log.warn(
                        "cannot read the configuration ({}); keeping epoch {} and retrying",
                        e.toString(),
                        current == null ? "none" : current.epoch());
                try {
                    executor.schedule(this::requestRefresh, RETRY_MILLIS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closed) {
                    // closing
                }
            }
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.error("configuration listener failed", e);
        }
    }

    /** Stops watching; once it returns (unless called from a listener) no listener is called any more. */
    @Override
    public void close() {
        State was = state.getAndSet(State.CLOSED);
        if (was == State.CLOSED) {
            return;
        }
        client.getConnectionStateListenable().removeListener(connectionListener);
        executor.shutdownNow();
        if (Thread.currentThread() != thread) {
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("a configuration listener is still running 5 s after close");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
