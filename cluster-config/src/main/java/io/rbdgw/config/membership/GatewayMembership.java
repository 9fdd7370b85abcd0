package io.rbdgw.config.membership;

import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway's presence in the cluster: an ephemeral {@code members/<name>} node, re-created by Curator's
 * {@link PersistentNode} after a session loss, and a persistent {@code status/<name>} with the applied epoch.
 */
public final class GatewayMembership implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(GatewayMembership.class);

    public enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final PersistentNode node;
    private volatile MemberInfo self;
    private volatile boolean unpublished;
    /** A status write is in flight (guarded by this). */
    private boolean writing;

    private final AtomicReference<GatewayStatus> pending = new AtomicReference<>();
    private GatewayStatus last;
    private List<GatewayStatus.Session> sessions = List.of();
    private GatewayStatus.AluaSummary alua;
    private final ConnectionStateListener reconnect = (c, newState) -> {
        if (newState.isConnected()) {
            flush();
        }
    };

    public GatewayMembership(CuratorFramework client, ZkLayout layout, MemberInfo self) {
        this.client = client;
        this.layout = layout;
        this.self = self;
        // an ephemeral node, created with parents, not protected (the name is the gateway's own)
        this.node =
                new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.member(self.name()), docs.write(self));
        // An update made before the first creation (the RADOS address, published as soon as Ceph is connected) would
        // otherwise be lost, and a lost gateway without an address cannot be fenced.
        node.getListenable().addListener(path -> {
            if (unpublished) {
                node.setData(docs.write(this.self)); // the field: the parameter is the initial info
                unpublished = false;
            }
        });
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("cannot start membership that is " + state.get());
        }
        client.getConnectionStateListenable().addListener(reconnect);
        node.start();
        flush();
    }

    public State state() {
        return state.get();
    }

    /** Waits for the member node's first creation. */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return node.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public MemberInfo self() {
        return self;
    }

    /** Publishes new member data (e.g. a new RADOS client address after re-connecting to Ceph). */
    public void update(MemberInfo info) throws Exception {
        if (!info.name().equals(self.name())) {
            throw new IllegalArgumentException("a gateway cannot rename itself: " + self.name() + " -> " + info.name());
        }
        self = info;
        unpublished = true;
        try {
            node.setData(docs.write(info));
            unpublished = false;
        } catch (IllegalStateException notCreatedYet) {
            // the node's first creation is still under way; it publishes this when it is created
        }
    }

    /**
     * Records that this gateway has applied {@code appliedEpoch}, with its health, and publishes it in the
     * background. Never blocks and never fails: while ZooKeeper is unreachable the latest status waits and is
     * written on reconnection (later reports replace earlier ones that were not written yet).
     */
    public synchronized void reportStatus(long appliedEpoch, GatewayStatus.Health health, String detail) {
        last = new GatewayStatus(self.name(), appliedEpoch, health, detail, System.currentTimeMillis(), sessions, alua);
        pending.set(last);
        flush();
    }

    /** Publishes this gateway's iSCSI sessions with the status reported last (never blocks). */
    public synchronized void reportSessions(List<GatewayStatus.Session> current) {
        sessions = List.copyOf(current);
        republish();
    }

    /** Publishes the disk ownership this gateway has applied, with the status reported last (never blocks). */
    public synchronized void reportAlua(GatewayStatus.AluaSummary applied) {
        alua = applied;
        republish();
    }

    private void republish() {
        GatewayStatus l = last;
        last = l == null
                ? new GatewayStatus(
                        self.name(), 0, GatewayStatus.Health.OK, null, System.currentTimeMillis(), sessions, alua)
                : new GatewayStatus(
                        l.name(), l.appliedEpoch(), l.health(), l.detail(), System.currentTimeMillis(), sessions, alua);
        pending.set(last);
        flush();
    }

    /** The status reported last and not yet written, if any. */
    public Optional<GatewayStatus> unpublishedStatus() {
        return Optional.ofNullable(pending.get());
    }

    /**
     * Writes the pending status unless a write is already in flight. One write at a time: ZooKeeper applies a
     * session's requests in order, but two writers (a report on the reconciler's thread and the reconnection's
     * flush on Curator's event thread, each taking the pending status a moment apart) could otherwise submit an
     * older status after a newer one, and the node would show an epoch this gateway applied long ago until its
     * next report. The write's callback starts the next one when a newer status arrived meanwhile.
     */
    synchronized void flush() { // package-private: a test calls it as the reconnection listener does
        if (writing || state.get() == State.CLOSED) {
            return;
        }
        GatewayStatus s = pending.get();
        if (s == null) {
            return;
        }
        writing = true;
        write(s, false);
    }

    /** Submits {@code s} (setData, or create when the node does not exist yet); {@link #writing} is set. */
    private void write(GatewayStatus s, boolean create) {
        String path = layout.status(self.name());
        byte[] data = docs.write(s);
        BackgroundCallback done = (c, event) -> written(s, create, event.getResultCode());
        try {
            if (create) {
                client.create().creatingParentsIfNeeded().inBackground(done).forPath(path, data);
            } else {
                client.setData().inBackground(done).forPath(path, data);
            }
        } catch (Exception e) {
            log.warn("cannot publish status {} yet: {}", s, e.toString());
            synchronized (this) {
                writing = false;
            }
        }
    }

    private void written(GatewayStatus s, boolean create, int rc) {
        if (rc == KeeperException.Code.OK.intValue()) {
            pending.compareAndSet(s, null);
        } else if ((rc == KeeperException.Code.NONODE.intValue() && !create)
                || (rc == KeeperException.Code.NODEEXISTS.intValue() && create)) {
            // the first status creates the node; a create that finds it (after a lost answer) updates it
            GatewayStatus latest = pending.get();
            write(latest != null ? latest : s, !create);
            return;
        }
        synchronized (this) {
            writing = false;
        }
        if (rc == KeeperException.Code.OK.intValue()) {
            flush(); // a newer status reported while this one was being written
        } else if (isConnectionProblem(rc)) {
            // the status stays pending and is written on RECONNECTED, or now if that came before this answer
            if (client.getZookeeperClient().isConnected()) {
                flush();
            }
        } else {
            log.warn(
                    "cannot publish this gateway's status to {}: {}; it is written with the next report",
                    layout.status(self.name()),
                    KeeperException.Code.get(rc));
        }
    }

    private static boolean isConnectionProblem(int rc) {
        return rc == KeeperException.Code.CONNECTIONLOSS.intValue()
                || rc == KeeperException.Code.OPERATIONTIMEOUT.intValue()
                || rc == KeeperException.Code.SESSIONEXPIRED.intValue()
                || rc == KeeperException.Code.SESSIONMOVED.intValue();
    }

    public MembershipView view() {
        return new MembershipView(client, layout);
    }

    /** Leaves the cluster: deletes the member node (the status stays). */
    @Override
    public void close() throws IOException {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            client.getConnectionStateListenable().removeListener(reconnect);
            node.close();
        }
    }
}
