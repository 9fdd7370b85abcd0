package io.rbdgw.config.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads many znodes with asynchronous requests, at most {@link #WINDOW} outstanding, instead of one synchronous
 * round trip each: ZooKeeper answers a session's requests in order, so a thousand reads cost a few round trips.
 * With thousands of LUNs the sequential reads of the configuration (every gateway, every change) and of the
 * ownership documents (the ALUA coordinator, every pass) took seconds.
 *
 * <p>Every wait is bounded ({@link #TIMEOUT} for the whole batch).
 */
public final class PipelinedReads {
    /** Reads outstanding at once. */
    static final int WINDOW = 1024;
    /** How long one batch may take before it fails. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A znode's data and stat. */
    public record Node(byte[] data, Stat stat) {}

    private PipelinedReads() {}

    /**
     * The children of every path. A missing path throws {@link KeeperException.NoNodeException} for it, unless
     * {@code missingAllowed}, when it is left out of the result.
     */
    public static Map<String, List<String>> children(
            CuratorFramework client, List<String> paths, boolean missingAllowed) throws Exception {
        return read(client, paths, missingAllowed, true, CuratorEvent::getChildren);
    }

    /** The data and stat of every path; missing paths as in {@link #children}. */
    public static Map<String, Node> data(CuratorFramework client, List<String> paths, boolean missingAllowed)
            throws Exception {
        return read(client, paths, missingAllowed, false, e -> new Node(e.getData(), e.getStat()));
    }

    private interface Result<T> {
        T of(CuratorEvent event);
    }

    private static <T> Map<String, T> read(
            CuratorFramework client, List<String> paths, boolean missingAllowed, boolean children, Result<T> result)
            throws Exception {
        Map<String, T> out = new ConcurrentHashMap<>();
        AtomicReference<KeeperException> failed = new AtomicReference<>();
        Semaphore window = new Semaphore(WINDOW);
        CountDownLatch done = new CountDownLatch(paths.size());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        BackgroundCallback callback = (c, event) -> {
            try {
                KeeperException.Code rc = KeeperException.Code.get(event.getResultCode());
                if (rc == KeeperException.Code.OK) {
                    out.put(event.getPath(), result.of(event));
                } else if (rc != KeeperException.Code.NONODE || !missingAllowed) {
                    failed.compareAndSet(null, KeeperException.create(rc, event.getPath()));
                }
            } finally {
                window.release();
                done.countDown();
            }
        };
        for (String path : paths) {
            if (failed.get() != null) {
                throw failed.get();
            }
            if (!window.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                throw new ConfigStoreException(
                        "ZooKeeper did not answer " + WINDOW + " reads within " + TIMEOUT + " (reading " + path + ")");
            }
            if (children) {
                client.getChildren().inBackground(callback).forPath(path);
            } else {
                client.getData().inBackground(callback).forPath(path);
            }
        }
        if (!done.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
            throw new ConfigStoreException(
                    "ZooKeeper did not answer " + done.getCount() + " of " + paths.size() + " reads within " + TIMEOUT);
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return out;
    }
}
