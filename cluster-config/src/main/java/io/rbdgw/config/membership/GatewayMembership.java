package io.rbdgw.config.membership;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * This gateway's presence in the cluster: an ephemeral {@code members/<name>} node, re-created by Curator's
 * {@link PersistentNode} after a session loss, and a persistent {@code status/<name>} with the applied epoch.
 */
public final class GatewayMembership implements Closeable {
    public enum State { LATENT, STARTED, CLOSED }

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final PersistentNode node;
    private volatile MemberInfo self;

    public GatewayMembership(CuratorFramework client, ZkLayout layout, MemberInfo self) {
        this.client = client;
        this.layout = layout;
        this.self = self;
        // an ephemeral node, created with parents, not protected (the name is the gateway's own)
        this.node = new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.member(self.name()), docs.write(self));
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("cannot start membership that is " + state.get());
        }
        node.start();
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
        node.setData(docs.write(info));
    }

    /**
     * Records that this gateway has applied {@code appliedEpoch}, with its health. Synchronous; throws
     * {@link ConfigStoreException} while ZooKeeper is unreachable (report again after reconnecting).
     */
    public void reportStatus(long appliedEpoch, GatewayStatus.Health health, String detail) {
        GatewayStatus s = new GatewayStatus(self.name(), appliedEpoch, health, detail, System.currentTimeMillis());
        byte[] data = docs.write(s);
        String path = layout.status(self.name());
        try {
            try {
                client.setData().forPath(path, data);
            } catch (KeeperException.NoNodeException first) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(path, data);
                } catch (KeeperException.NodeExistsException raced) {
                    client.setData().forPath(path, data);
                }
            }
        } catch (Exception e) {
            throw new ConfigStoreException("cannot report status at " + path + ": " + e, e);
        }
    }

    public MembershipView view() {
        return new MembershipView(client, layout);
    }

    /** Leaves the cluster: deletes the member node (the status stays). */
    @Override
    public void close() throws IOException {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            node.close();
        }
    }
}
