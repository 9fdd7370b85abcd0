package io.rbdgw.config.rod;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.config.store.ZkReads;
import java.io.Closeable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's ODX ROD tokens in ZooKeeper ({@code rod-tokens/<creator lu>/<id>}, one persistent znode each, a
 * {@link RodTokenRecord}), so that a token created through one gateway can be used through any other, and outlives
 * the ZooKeeper session of the gateway that created it.
 *
 * <ul>
 *   <li>Bounded: at most {@link Limits#perLu} live tokens per creating logical unit and {@link Limits#total} in
 *       all; {@link #create} beyond that throws {@link TooManyTokens} (after deleting the expired ones it finds).
 *       Two gateways creating at the same instant may each pass the count, so the bound can be exceeded by the
 *       number of gateways minus one, never more.</li>
 *   <li>Bounded lifetime: a token expires {@code inactivitySeconds} after its last use ({@link #use} moves it, by
 *       compare-and-set on the znode version); an expired token is refused and deleted. A sweeper deletes expired
 *       tokens every {@code sweepInterval}. Expiry compares the wall clocks of the gateways: they must be kept in
 *       step (NTP), as the inactivity timeouts are seconds to minutes.</li>
 * </ul>
 *
 * <p>Blocking: never call it on an event loop.
 */
public final class RodTokens implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(RodTokens.class);

    /**
     * @param perLu live tokens per creating logical unit
     * @param total live tokens in the cluster
     */
    public record Limits(int perLu, int total) {
        public static final Limits DEFAULT = new Limits(256, 4096);

        public Limits {
            if (perLu < 1 || total < perLu) {
                throw new IllegalArgumentException("need 1 <= perLu <= total: " + perLu + ", " + total);
            }
        }
    }

    /** The bound of live tokens is reached. */
    public static final class TooManyTokens extends Exception {
        private static final long serialVersionUID = 1L;

        TooManyTokens(String message) {
            super(message);
        }
    }

    /** What {@link #use} found. */
    public sealed interface Lookup {}

    /** The token, now marked used. */
    public record Found(RodTokenRecord token) implements Lookup {}

    /** No such token (never created, deleted, or swept after it expired). */
    public record Unknown() implements Lookup {}

    /** The token expired before this use; it is deleted now. */
    public record Expired(RodTokenRecord token) implements Lookup {}

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Limits limits;
    private final LongSupplier clock;
    private final Documents docs = new Documents();
    private final ZkReads reads;
    private final ScheduledExecutorService sweeper;

    /**
     * @param sweepInterval how often expired tokens are deleted (null: never, only on use and when a bound is hit)
     * @param clock         wall clock in milliseconds
     */
    public RodTokens(
            CuratorFramework client, ZkLayout layout, Limits limits, Duration sweepInterval, LongSupplier clock) {
        this.client = client;
        this.layout = layout;
        this.limits = limits;
        this.clock = clock;
        this.reads = new ZkReads(client, docs);
        if (sweepInterval == null) {
            sweeper = null;
        } else {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "rod-token sweeper");
                t.setDaemon(true);
                return t;
            });
            long ms = sweepInterval.toMillis();
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    public RodTokens(CuratorFramework client, ZkLayout layout) {
        this(client, layout, Limits.DEFAULT, Duration.ofSeconds(60), System::currentTimeMillis);
    }

    public Limits limits() {
        return limits;
    }

    /** Stores a new token (created and last used now); throws {@link TooManyTokens} past a bound. */
    public RodTokenRecord create(RodTokenRecord token) throws TooManyTokens {
        RodTokenRecord stored = token.createdAt(clock.getAsLong());
        try {
            if (count(token.lu()) >= limits.perLu()) {
                sweep(token.lu());
                if (count(token.lu()) >= limits.perLu()) {
                    throw new TooManyTokens("logical unit " + token.lu() + " has " + limits.perLu()
                            + " live ROD tokens, the most one may have");
                }
            }
            if (total() >= limits.total()) {
                sweep();
                if (total() >= limits.total()) {
                    throw new TooManyTokens(
                            "the cluster has " + limits.total() + " live ROD tokens, the most it may have");
                }
            }
            client.create()
                    .creatingParentsIfNeeded()
                    .withMode(CreateMode.PERSISTENT)
                    .forPath(layout.rodToken(token.lu(), token.id()), docs.write(stored));
            return stored;
        } catch (TooManyTokens e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot store ROD token of " + token.lu() + ": " + e, e);
        }
    }

    /**
     * Looks up token {@code id} of logical unit {@code lu} and marks it used: {@link Found}, {@link Unknown}, or
     * {@link Expired} (then deleted).
     */
    public Lookup use(String lu, String id) {
        String path = layout.rodToken(lu, id);
        try {
            while (true) {
                Stat stat = new Stat();
                byte[] data;
                try {
                    data = client.getData().storingStatIn(stat).forPath(path);
                } catch (KeeperException.NoNodeException e) {
                    return new Unknown();
                }
                RodTokenRecord r = docs.read(path, data, RodTokenRecord.class).value();
                long now = clock.getAsLong();
                if (r.expiredAt(now)) {
                    deleteQuietly(path, stat.getVersion());
                    return new Expired(r);
                }
                RodTokenRecord used = r.usedAt(now);
                try {
                    client.setData().withVersion(stat.getVersion()).forPath(path, docs.write(used));
                    return new Found(used);
                } catch (KeeperException.BadVersionException raced) {
                    // used through another gateway meanwhile: read it again
                } catch (KeeperException.NoNodeException gone) {
                    return new Unknown();
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot read ROD token " + path + ": " + e, e);
        }
    }

    /** Deletes a token (WRITE USING TOKEN with DEL_TKN); false if it was not there. */
    public boolean delete(String lu, String id) {
        String path = layout.rodToken(lu, id);
        try {
            client.delete().forPath(path);
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot delete ROD token " + path + ": " + e, e);
        }
    }

    /** Deletes every expired token; returns how many. */
    public int sweep() {
        int n = 0;
        for (String lu : children(layout.rodTokens())) {
            n += sweep(lu);
        }
        return n;
    }

    /** Live tokens of {@code lu} (expired ones not swept yet included). */
    public int count(String lu) {
        return children(layout.rodTokens(lu)).size();
    }

    /** Tokens in the cluster (expired ones not swept yet included). */
    public int total() {
        int n = 0;
        for (String lu : children(layout.rodTokens())) {
            n += count(lu);
        }
        return n;
    }

    private int sweep(String lu) {
        int n = 0;
        long now = clock.getAsLong();
        for (String id : children(layout.rodTokens(lu))) {
            String path = layout.rodToken(lu, id);
            try {
                Stat stat = new Stat();
                byte[] data = client.getData().storingStatIn(stat).forPath(path);
                if (docs.read(path, data, RodTokenRecord.class).value().expiredAt(now)
                        && deleteQuietly(path, stat.getVersion())) {
                    n++;
                }
            } catch (KeeperException.NoNodeException gone) {
                // deleted meanwhile
            } catch (Exception e) {
                log.warn("ROD token {}: cannot check its expiry: {}", path, e.toString());
            }
        }
        return n;
    }

    private void sweepQuietly() {
        try {
            int n = sweep();
            if (n > 0) {
                log.info("deleted {} expired ROD tokens", n);
            }
        } catch (RuntimeException e) {
            log.warn("ROD token sweep failed (retried in the next round): {}", e.toString());
        }
    }

    /** Deletes the znode if still at {@code version} (a use in between keeps it alive). */
    private boolean deleteQuietly(String path, int version) {
        try {
            client.delete().withVersion(version).forPath(path);
            return true;
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            return false;
        } catch (Exception e) {
            log.warn("ROD token {}: cannot delete it: {}", path, e.toString());
            return false;
        }
    }

    private List<String> children(String path) {
        return reads.children(path);
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }
}
