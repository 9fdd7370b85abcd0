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

    private void flush() {
        GatewayStatus s = pending.get();
        if (s == null || state.get() == State.CLOSED) {
            return;
        }
        String path = layout.status(self.name());
        byte[] data = docs.write(s);
        try {
            client.setData()
                    .inBackground((c, event) -> {
                        int rc = event.getResultCode();
                        if (rc == KeeperException.Code.OK.intValue()) {
                            pending.compareAndSet(s, null);
                        } else if (rc == KeeperException.Code.NONODE.intValue()) {
                            c.create()
                                    .creatingParentsIfNeeded()
                                    .inBackground((c2, created) -> {
                                        if (created.getResultCode() == KeeperException.Code.OK.intValue()) {
                                            pending.compareAndSet(s, null);
                                        } else if (created.getResultCode()
                                                == KeeperException.Code.NODEEXISTS.intValue()) {
                                            flush(); // raced with another report's create: write the latest with
                                            // setData
                                        }
                                    })
                                    .forPath(path, data);
                        }
                        // connection problems: the status stays pending and is written on RECONNECTED
                    })
                    .forPath(path, data);
        } catch (Exception e) {
            log.warn("cannot publish status {} yet: {}", s, e.toString());
        }
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
