package io.rbdgw.node;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.IscsiServer;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway driven by the configuration in ZooKeeper: its portals, its membership, the watcher and
 * the reconciler. The standalone command runs one against an embedded ZooKeeper.
 */
final class ClusterGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterGateway.class);

    private final String name;
    private final IscsiServer server;
    private final GatewayMembership membership;
    private final BackstoreOpener opener;
    private final Reconciler reconciler;
    private final ConfigWatcher watcher;
    private final List<Portal> portals = new ArrayList<>();

    /** Opens the portals at once (they serve nothing until the first configuration is applied). */
    ClusterGateway(String name, ConfigStore store, List<InetSocketAddress> listen, ConnectionSettings settings,
                   int ioThreads, Path dataDir, Path cephConf, String cephId, Duration retryInterval)
            throws InterruptedException {
        this.name = name;
        TargetRegistry targets = new TargetRegistry();
        SessionRegistry sessions = new SessionRegistry();
        this.server = new IscsiServer(targets, sessions, settings, ioThreads);
        for (InetSocketAddress a : listen) {
            InetSocketAddress bound = server.bind(a);
            portals.add(new Portal(bound.getAddress().getHostAddress(), bound.getPort()));
        }
        this.membership = new GatewayMembership(store.client(), store.layout(),
                new MemberInfo(name, portals, null, Main.VERSION, System.currentTimeMillis()));
        this.opener = new BackstoreOpener(dataDir, cephConf, cephId, this::publishRados);
        this.reconciler = new Reconciler(name, targets, sessions, opener, membership::reportStatus, retryInterval);
        this.watcher = new ConfigWatcher(store);
        watcher.addListener(reconciler);
    }

    void start() {
        membership.start();
        reconciler.start();
        watcher.start();
        if (opener.cephConfigured()) {
            try {
                opener.cluster(); // publish the RADOS address early; RBD disks retry on their own
            } catch (Exception e) {
                log.warn("Ceph is not reachable yet ({}); RBD disks will be retried", e.toString());
            }
        }
    }

    List<Portal> portals() {
        return portals;
    }

    Reconciler reconciler() {
        return reconciler;
    }

    private void publishRados(RbdCluster cluster) {
        try {
            membership.update(membership.self().withRadosAddress(cluster.clientAddress()));
        } catch (Exception e) {
            log.warn("cannot publish the RADOS client address: {}", e.toString());
        }
    }

    /** Stops in order: stop watching, leave the membership, close the portals, then the LUNs and disks. */
    @Override
    public void close() {
        log.info("stopping gateway {}", name);
        watcher.close();
        try {
            membership.close();
        } catch (java.io.IOException e) {
            log.warn("leaving the membership: {}", e.toString());
        }
        server.close();
        reconciler.close();
        opener.close();
    }
}
