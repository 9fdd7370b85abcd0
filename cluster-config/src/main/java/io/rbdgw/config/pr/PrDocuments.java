package io.rbdgw.config.pr;

import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads and writes the per-disk reservation documents ({@code reservations/<pool>@<image>}). Every change is a
 * compare-and-set on the znode version, so two gateways changing one disk's reservations at once never lose
 * either change: the loser re-reads and recomputes. Blocking: never call it on an event loop.
 */
public final class PrDocuments {

    /** A document and the znode version it was read at ({@link #ABSENT}: no znode yet). */
    public record Versioned(PrDocument document, int version) {
        public static final int ABSENT = -1;
        public static final Versioned NONE = new Versioned(PrDocument.EMPTY, ABSENT);

        /** Whether this is a later state of the same disk than {@code other}. */
        public boolean newerThan(Versioned other) {
            return other == null || version > other.version;
        }
    }

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();

    public PrDocuments(CuratorFramework client, ZkLayout layout) {
        this.client = client;
        this.layout = layout;
    }

    public ZkLayout layout() {
        return layout;
    }

    /**
     * The current document, read after a sync with the leader (so it is at least as new as any write that
     * completed before this call, through any gateway).
     */
    public Versioned readFresh(String disk, Duration syncTimeout) throws Exception {
        String path = layout.reservation(disk);
        CountDownLatch synced = new CountDownLatch(1);
        client.sync().inBackground((c, e) -> synced.countDown()).forPath(path);
        if (!synced.await(syncTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException(
                    "ZooKeeper sync of " + path + " took longer than " + syncTimeout.toMillis() + " ms");
        }
        return read(disk);
    }

    /** The document as this client's server has it. */
    public Versioned read(String disk) throws Exception {
        String path = layout.reservation(disk);
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return Versioned.NONE;
        }
        return decode(path, data, stat.getVersion());
    }

    /** Decodes a document read at {@code version} (an empty znode is the empty state). */
    public Versioned decode(String path, byte[] data, int version) {
        if (data == null || data.length == 0) {
            return new Versioned(PrDocument.EMPTY, version);
        }
        return new Versioned(docs.read(path, data, PrDocument.class).value(), version);
    }

    /**
     * Writes {@code next} if the znode is still at {@code expectedVersion} ({@link Versioned#ABSENT}: not created
     * yet). Returns the new version, or {@link Versioned#ABSENT} when another writer won (re-read and recompute).
     */
    public int compareAndSet(String disk, int expectedVersion, PrDocument next) throws Exception {
        String path = layout.reservation(disk);
        byte[] data = docs.write(next);
        if (expectedVersion == Versioned.ABSENT) {
            try {
                client.create().creatingParentContainersIfNeeded().forPath(path, data);
                return 0;
            } catch (KeeperException.NodeExistsException raced) {
                return Versioned.ABSENT;
            }
        }
        try {
            return client.setData()
                    .withVersion(expectedVersion)
                    .forPath(path, data)
                    .getVersion();
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException raced) {
            return Versioned.ABSENT;
        }
    }

    /**
     * Applies {@code change} to the current document until a compare-and-set succeeds (at most
     * {@code maxAttempts}); returns what was written, or the unchanged document when {@code change} returns its
     * argument.
     *
     * @throws IllegalStateException when every attempt lost a race
     */
    public Versioned update(String disk, UnaryOperator<PrDocument> change, int maxAttempts) throws Exception {
        for (int i = 0; i < maxAttempts; i++) {
            Versioned cur = read(disk);
            PrDocument next = change.apply(cur.document());
            if (next == cur.document()) {
                return cur;
            }
            int v = compareAndSet(disk, cur.version(), next);
            if (v != Versioned.ABSENT) {
                return new Versioned(next, v);
            }
        }
        throw new IllegalStateException(
                "reservations of " + disk + " changed " + maxAttempts + " times during one update");
    }

    /** Records (ephemeral, this client's session) that {@code gateway} applied version {@code version} of the disk. */
    public void acknowledge(String disk, String gateway, int version) throws Exception {
        String path = layout.reservationAck(disk, gateway);
        byte[] data = docs.write(new PrAck(gateway, version));
        try {
            client.setData().forPath(path, data);
        } catch (KeeperException.NoNodeException e) {
            try {
                client.create()
                        .creatingParentContainersIfNeeded()
                        .withMode(CreateMode.EPHEMERAL)
                        .forPath(path, data);
            } catch (KeeperException.NodeExistsException raced) {
                client.setData().forPath(path, data);
            }
        }
    }

    /** Removes this gateway's acknowledgement (it no longer serves the disk). */
    public void withdraw(String disk, String gateway) throws Exception {
        try {
            client.delete().forPath(layout.reservationAck(disk, gateway));
        } catch (KeeperException.NoNodeException gone) {
            // nothing to withdraw
        }
    }

    /** The gateways with an acknowledgement of {@code disk}: those serving it now. */
    public List<String> acknowledgers(String disk) throws Exception {
        try {
            return client.getChildren().forPath(layout.reservationAcks(disk));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    PrAck decodeAck(String path, byte[] data) {
        return docs.read(path, data, PrAck.class).value();
    }
}
