package io.rbdgw.node;

import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.config.alua.AluaCoordinator;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.AluaWatcher;
import io.rbdgw.config.alua.FenceRecord;
import io.rbdgw.config.alua.FenceRecords;
import io.rbdgw.config.alua.WriteTokens;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.rod.RodTokens;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.IscsiServer;
import io.rbdgw.iscsi.session.PortalLimits;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.node.metrics.GatewayMetrics;
import io.rbdgw.node.metrics.MetricsServer;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.state.ConnectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway driven by the configuration in ZooKeeper: its portals, its membership, the configuration
 * watcher and reconciler, and its part in ALUA (electing the coordinator, applying its ownership
 * decisions). {@code run} builds one against a ZooKeeper ensemble, {@code standalone} against the
 * embedded server: the same code paths in a smaller world.
 */
final class ClusterGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterGateway.class);

    /** What a gateway needs to know besides the configuration it will find in ZooKeeper. */
    record Options(
            String name,
            List<InetSocketAddress> listen,
            ConnectionSettings settings,
            int ioThreads,
            Path dataDir,
            Path cephConf,
            String cephId,
            Duration retryInterval,
            Duration aluaSettle,
            int fenceSeconds,
            InetSocketAddress metricsListen,
            SecretBox secrets,
            List<Path> fileDiskRoots,
            WriteTokens.Options writeTokens,
            Duration writeWait,
            Duration prAckTimeout) {
        /**
         * @param secrets       decrypts the configuration's CHAP secrets (null: only plaintext ones can be used)
         * @param fileDiskRoots the only directories file disks may live in (empty: the data directory)
         * @param writeTokens   hand-over timeout and minimum hold of the per-disk write tokens (null: defaults)
         * @param writeWait     how long a write waits for its disk's token (null: default)
         * @param prAckTimeout  how long a reservation change waits for the other gateways to apply it before it
         *                      fences them (null: {@link ClusterReservations#DEFAULT_ACK_TIMEOUT})
         */
        Options {
            fileDiskRoots =
                    fileDiskRoots == null || fileDiskRoots.isEmpty() ? List.of(dataDir) : List.copyOf(fileDiskRoots);
            writeTokens = writeTokens == null ? WriteTokens.Options.DEFAULT : writeTokens;
            writeWait = writeWait == null ? DEFAULT_WRITE_WAIT : writeWait;
            prAckTimeout = prAckTimeout == null ? ClusterReservations.DEFAULT_ACK_TIMEOUT : prAckTimeout;
        }
    }

    /** How long a write waits for its disk's write token before it ends retryably (below hosts' 2 s path timeout). */
    static final Duration DEFAULT_WRITE_WAIT = Duration.ofMillis(1500);
    /** Writes per disk that may wait for the token at once. */
    static final int MAX_WAITING_WRITES = 1024;
    /** {@code -Drbdgw.write-token=off}: no write token (for the negative run of the stale-write tests only). */
    static final boolean WRITE_TOKEN = !"off".equals(System.getProperty("rbdgw.write-token"));

    private final String name;
    private final ConfigStore store;
    private final IscsiServer server;
    private final GatewayMembership membership;
    private final BackstoreOpener opener;
    private final Reconciler reconciler;
    private final ConfigWatcher watcher;
    private final AluaCoordinator coordinator;
    private final AluaWatcher alua;
    /** The service name of the gateways in Ceph's service map. */
    static final String CEPH_SERVICE = "rbdgw";

    private final List<Portal> portals = new ArrayList<>();
    private final SessionRegistry sessions;
    private final GatewayMetrics metrics;
    private final InetSocketAddress metricsListen;
    private MetricsServer metricsServer;
    // Session changes come in bursts (a host logging in on every path): publish once per burst.
    private final ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "session-status");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean publishScheduled = new AtomicBoolean();
    private final CuratorCache fenceRecord;
    private final AtomicBoolean reconnecting = new AtomicBoolean();
    /** The ZooKeeper session was lost (an outage, or this gateway was cut off or frozen). */
    private final AtomicBoolean sessionLost = new AtomicBoolean();
    /** Connected again after a lost session, and this gateway's fence record not read yet. */
    private final AtomicBoolean zkRechecking = new AtomicBoolean();

    private final WriteTokens writeTokens;
    private final ZkRodTokenService rodTokens;
    private final ClusterReservations reservations;

    /**
     * Binds the portals at once (their addresses are known) but serves them only once the first configuration
     * pass and the first ALUA state (or {@link #ALUA_WAIT}) are applied: until then connections are reset.
     */
    ClusterGateway(ConfigStore store, Options o) throws InterruptedException {
        this.name = o.name();
        this.store = store;
        TargetRegistry targets = new TargetRegistry();
        this.sessions = new SessionRegistry();
        this.server = new IscsiServer(targets, sessions, o.settings(), o.ioThreads());
        log.info("rbdgw gateway {} version {} starting", name, Main.version());
        this.metrics = new GatewayMetrics(name);
        metrics.buildInfo(Main.version());
        this.metricsListen = o.metricsListen();
        server.stats(metrics.iscsiStats());
        metrics.bindSessions(sessions);
        metrics.bindWriteBudget(server.budget());
        if (server.polling() != null) {
            metrics.bindCompletionPolling(server.polling());
        }
        // bound now (the addresses are published in the membership and seeded by standalone), served only once
        // the first configuration and ALUA state are applied (openWhenApplied)
        server.hold();
        for (InetSocketAddress a : o.listen()) {
            InetSocketAddress bound = server.bind(a);
            portals.add(new Portal(bound.getAddress().getHostAddress(), bound.getPort()));
        }
        this.membership = new GatewayMembership(
                store.client(),
                store.layout(),
                new MemberInfo(name, portals, null, Main.version(), System.currentTimeMillis()));
        this.opener = new BackstoreOpener(o.dataDir(), o.fileDiskRoots(), o.cephConf(), o.cephId(), this::publishRados);
        this.reconciler = new Reconciler(
                name,
                targets,
                sessions,
                opener,
                (epoch, health, detail) -> {
                    configApplied(epoch); // first: a status that says "applied" finds the portals serving
                    membership.reportStatus(epoch, health, detail);
                },
                o.retryInterval());
        reconciler.secrets(o.secrets());
        // ODX tokens in ZooKeeper: a token populated through one gateway is written through any other
        this.rodTokens = new ZkRodTokenService(new RodTokens(store.client(), store.layout()));
        reconciler.rodTokens(rodTokens);
        // one budget of copy buffers for every LUN of this gateway: what all hosts' copies may hold at once
        PortalLimits limits = o.settings().limits();
        CopyBuffers copyBuffers = new CopyBuffers(limits.copyBuffer(), limits.maxWaitingCopies());
        reconciler.copyBuffers(copyBuffers);
        metrics.bindCopyBuffers(copyBuffers);
        reconciler.portal(o.settings());
        this.watcher = new ConfigWatcher(store);
        watcher.addListener(reconciler);
        reconciler.observe(observer(metrics.reconcilerObserver()));
        metrics.bindConfigEpochs(
                () -> reconciler.status().map(Reconciler.Status::appliedEpoch).orElse(-1L), reconciler::latestEpoch);
        // ALUA: every gateway takes part in electing the coordinator; every gateway applies its decisions
        this.coordinator = new AluaCoordinator(
                store.client(),
                store.layout(),
                name,
                new RadosFencer(opener, o.fenceSeconds()),
                o.aluaSettle(),
                Duration.ofSeconds(2));
        coordinator.addListener(metrics.failoverListener());
        metrics.bindCoordinator(coordinator::isLeader);
        this.alua = new AluaWatcher(store.client(), store.layout());
        alua.addListener(reconciler);
        // an elected coordinator decides on the documents this gateway already watches (no full re-read)
        coordinator.ownershipFrom(alua);
        if (WRITE_TOKEN && opener.cephConfigured()) {
            this.writeTokens = new WriteTokens(
                    store.client(),
                    store.layout(),
                    name,
                    o.writeTokens(),
                    new RadosFencer(opener, o.fenceSeconds()),
                    () -> opener.cluster().clientAddress(),
                    disk -> alua.snapshot().owner(disk).map(name::equals).orElse(false));
            reconciler.writeTokens(writeTokens, MAX_WAITING_WRITES, o.writeWait());
        } else {
            this.writeTokens = null;
            if (!WRITE_TOKEN) {
                log.warn("write tokens are OFF (-Drbdgw.write-token=off): a write a host retried through another "
                        + "gateway can be overwritten by this one's late copy. For tests only.");
            }
        }
        // SCSI reservations of RBD disks: one document per disk in ZooKeeper, shared by every gateway
        RadosFencer prFencer = new RadosFencer(opener, o.fenceSeconds());
        this.reservations = new ClusterReservations(
                store.client(),
                store.layout(),
                name,
                o.prAckTimeout(),
                gateway -> fenceForReservations(prFencer, gateway));
        reconciler.reservations(LunReservations.cluster(reservations));
        sessions.onChange(this::schedulePublish);
        if (store.client().getZookeeperClient().isConnected()) {
            metrics.zookeeperState(ConnectionState.CONNECTED);
        }
        store.client().getConnectionStateListenable().addListener((c, newState) -> {
            metrics.zookeeperState(newState);
            // LOST alone proves nothing: while the whole ensemble is down nobody can move or fence anything, so
            // the states applied last are still true and hosts must keep using them (Transitioning on every
            // gateway would stop ALUA hosts). Once connected again under a new session, peers may have fenced
            // this gateway and moved its LUNs meanwhile: Transitioning until its fence record has been read.
            if (newState == ConnectionState.LOST) {
                sessionLost.set(true);
            } else if ((newState == ConnectionState.RECONNECTED || newState == ConnectionState.CONNECTED)
                    && sessionLost.getAndSet(false)) {
                zkRechecking.set(true);
                reconciler.aluaKnown(false);
                publisher.execute(this::recheckFenceRecord);
            }
        });
        // A lost ZooKeeper session alone proves nothing: when the whole ensemble is down every gateway loses
        // its session and the data path must go on. The RADOS client is replaced only once it is known to be
        // fenced: librbd answers EBLOCKLISTED, or the coordinator recorded a fence of its address.
        opener.onBlocklisted(c -> fenced(c, "librbd reports EBLOCKLISTED"));
        this.fenceRecord = CuratorCache.build(store.client(), store.layout().fence(name));
        fenceRecord.listenable().addListener((type, oldData, data) -> {
            if (data != null && data.getData() != null && data.getData().length > 0) {
                onFenceRecord(store.layout().fence(name), data.getData());
            }
        });
    }

    private void onFenceRecord(String path, byte[] data) {
        FenceRecord r;
        try {
            r = new Documents().read(path, data, FenceRecord.class).value();
        } catch (RuntimeException e) {
            log.warn("ignoring unreadable fence record {}: {}", path, e.toString());
            return;
        }
        RbdCluster current = opener.current();
        if (current != null && r.radosAddress().equals(addressOf(current))) {
            fenced(current, "coordinator " + r.by() + " recorded that it fenced this gateway");
        }
    }

    private static String addressOf(RbdCluster c) {
        try {
            return c.clientAddress();
        } catch (Exception e) {
            return null; // closed meanwhile
        }
    }

    /** Replaces a fenced RADOS client (once per client): the RBD disks close (hosts see 3F/0E) and re-open. */
    private void fenced(RbdCluster which, String why) {
        if (which != opener.current() || !reconnecting.compareAndSet(false, true)) {
            return; // already replaced, or being replaced
        }
        log.warn(
                "{}: RADOS client {} is blocklisted; closing the RBD disks, reconnecting to Ceph with a new client "
                        + "and re-opening them",
                why,
                addressOf(which));
        reconciler.aluaKnown(false); // its peers have moved on without it: Transitioning until it knows
        reconciler.reopen(d -> d.backstore() == Backstore.RBD, () -> {
            try {
                if (writeTokens != null) {
                    writeTokens.dropAll(); // taken again under the new client, which fences nothing of ours
                }
                opener.reconnect();
            } finally {
                reconnecting.set(false);
                maybeAluaKnown();
            }
        });
    }

    /** Reports the applied ALUA states again once the client is replaced and, after a lost session, the fence record read. */
    private void maybeAluaKnown() {
        if (!reconnecting.get() && !zkRechecking.get()) {
            reconciler.aluaKnown(true);
        }
    }

    /**
     * After a new ZooKeeper session: was this gateway fenced while it was away? The record is read directly (the
     * cache may not have caught up); a fence of the current client goes through {@link #fenced}, which keeps
     * the state unknown until the new client is up. Retried while ZooKeeper does not answer.
     */
    private void recheckFenceRecord() {
        String path = store.layout().fence(name);
        try {
            byte[] data = store.client().checkExists().forPath(path) == null
                    ? null
                    : store.client().getData().forPath(path);
            if (data != null && data.length > 0) {
                onFenceRecord(path, data);
            }
            zkRechecking.set(false);
            maybeAluaKnown();
        } catch (Exception e) {
            if (!publisher.isShutdown()) {
                log.debug("cannot read {} yet ({}); retrying", path, e.toString());
                publisher.schedule(this::recheckFenceRecord, 500, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Fences a gateway that did not apply a reservation change in time: blocklists its published RADOS address and
     * records the fence where it watches ({@code fenced/<gateway>}), as ALUA and the write tokens do.
     */
    private void fenceForReservations(RadosFencer fencer, String gateway) throws Exception {
        String address = membership.view().members().stream()
                .filter(m -> m.name().equals(gateway))
                .map(MemberInfo::radosAddress)
                .findFirst()
                .orElse(null);
        fencer.fence(gateway, address);
        if (address != null) {
            FenceRecords.record(store.client(), store.layout(), new Documents(), gateway, address, name);
        }
    }

    /** The metrics' observer, plus the ownership this gateway applied (published in its status). */
    private Reconciler.Observer observer(Reconciler.Observer metricsObserver) {
        // the version of the ownership published last (reconciler thread only)
        String[] published = {null};
        return new Reconciler.Observer() {
            @Override
            public void lunAdded(String target, int lun, String disk, LogicalUnit lu, ClusterTargetPortGroups tpgs) {
                metricsObserver.lunAdded(target, lun, disk, lu, tpgs);
            }

            @Override
            public void lunRemoved(String target, int lun, String disk, LogicalUnit lu) {
                metricsObserver.lunRemoved(target, lun, disk, lu);
            }

            @Override
            public void aluaApplied(AluaSnapshot snapshot, int transitions, long nanos) {
                metricsObserver.aluaApplied(snapshot, transitions, nanos);
                if (snapshot == null) {
                    return;
                }
                if (transitions > 0) {
                    log.info(
                            "ALUA states of {} LUNs changed, applied {} ms after the ownership change arrived",
                            transitions,
                            TimeUnit.NANOSECONDS.toMillis(nanos));
                }
                if (aluaApplied.compareAndSet(false, true) && configApplied.get()) {
                    openPortals("configuration and ALUA states applied");
                }
                // a summary, not a list of every disk: the status is rewritten on every change it reports
                GatewayStatus.AluaSummary summary =
                        GatewayStatus.AluaSummary.of(snapshot.owners().values(), name, System.currentTimeMillis());
                if (!summary.version().equals(published[0])) {
                    published[0] = summary.version();
                    membership.reportAlua(summary);
                }
            }
        };
    }

    /** How long the portals wait for the first ALUA state after the first configuration pass. */
    static final Duration ALUA_WAIT = Duration.ofSeconds(5);

    private final AtomicBoolean configApplied = new AtomicBoolean();
    private final AtomicBoolean aluaApplied = new AtomicBoolean();
    private final AtomicBoolean portalsOpen = new AtomicBoolean();
    private final CountDownLatch portalsOpened = new CountDownLatch(1);

    /** After every reconciler pass (its thread): the first one may open the portals. */
    private void configApplied(long epoch) {
        if (!configApplied.compareAndSet(false, true)) {
            return;
        }
        if (aluaApplied.get()) {
            openPortals("configuration epoch " + epoch + " and ALUA states applied");
            return;
        }
        // without a coordinator's decision the LUNs report this gateway alone: a bounded wait, then serve anyway
        try {
            publisher.schedule(
                    () -> openPortals("configuration epoch " + epoch + " applied; no ALUA state within "
                            + ALUA_WAIT.toSeconds() + " s, serving with the states known so far"),
                    ALUA_WAIT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    private void openPortals(String why) {
        if (portalsOpen.compareAndSet(false, true)) {
            server.serve();
            portalsOpened.countDown();
            log.info("gateway {} serves its portals {}: {}", name, portals, why);
        }
    }

    /** Waits until the portals serve connections (the first configuration is applied); false on timeout. */
    boolean awaitPortalsOpen(Duration timeout) throws InterruptedException {
        return portalsOpened.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void start() throws Exception {
        if (metricsListen != null) {
            try {
                metricsServer = MetricsServer.start(metricsListen, metrics::scrape);
                log.info(
                        "metrics at http://{}:{}/metrics",
                        metricsServer.address().getAddress().getHostAddress(),
                        metricsServer.address().getPort());
            } catch (IOException e) {
                // the data path matters more than its metrics: serve without them, loudly
                log.error(
                        "cannot serve metrics on {} ({}); running WITHOUT metrics: choose another --metrics-listen",
                        metricsListen,
                        e.toString());
            }
        }
        membership.start();
        reservations.start();
        reconciler.start();
        watcher.start();
        alua.start();
        if (writeTokens != null) {
            writeTokens.start();
        }
        coordinator.start();
        fenceRecord.start();
        if (opener.cephConfigured()) {
            try {
                opener.cluster(); // publish the RADOS address early; RBD disks retry on their own
            } catch (Exception e) {
                log.warn("Ceph is not reachable yet ({}); RBD disks will be retried", e.toString());
            }
        }
    }

    private void schedulePublish() {
        if (publishScheduled.compareAndSet(false, true)) {
            publisher.schedule(this::publishSessions, 300, TimeUnit.MILLISECONDS);
        }
    }

    private void publishSessions() {
        publishScheduled.set(false);
        List<GatewayStatus.Session> list = new ArrayList<>();
        for (SessionRegistry.SessionView v : sessions.sessions()) {
            list.add(new GatewayStatus.Session(
                    v.target(),
                    v.initiator(),
                    String.format("%012x", v.isid()),
                    v.tsih(),
                    List.of(v.local() + " <- " + v.remote()),
                    v.loginAtMillis()));
        }
        membership.reportSessions(list);
        publishCephStatus(list.size());
    }

    /** Where /metrics is served, as "http://host:port/metrics", or null when it is not. */
    String metricsUrl() {
        if (metricsServer == null) {
            return null;
        }
        InetSocketAddress a = metricsServer.address();
        String host = a.getAddress().getHostAddress();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort() + "/metrics";
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
        // `ceph -s` lists the gateways as service "rbdgw" (each new client, after a fence too, registers anew)
        try {
            cluster.registerService(
                    CEPH_SERVICE, name, Map.of("portals", portals.toString(), "version", Main.version()));
            schedulePublish();
        } catch (Exception e) {
            log.warn("cannot register in Ceph's service map (`ceph -s` will not list this gateway): {}", e.toString());
        }
    }

    /** The service-map status: what `ceph service status` shows of this gateway. */
    private void publishCephStatus(int sessionCount) {
        RbdCluster cluster = opener.current();
        if (cluster == null) {
            return;
        }
        try {
            cluster.updateServiceStatus(Map.of(
                    "sessions",
                    Integer.toString(sessionCount),
                    "portals",
                    portalsOpen.get() ? "serving" : "waiting for configuration"));
        } catch (Exception e) {
            log.debug("service map status not updated: {}", e.toString());
        }
    }

    /** Stops in order: leave the ALUA election, stop watching, leave the membership, close the portals, then the LUNs and disks. */
    @Override
    public void close() {
        log.info("stopping gateway {}", name);
        publisher.shutdownNow();
        fenceRecord.close();
        closeQuietly(coordinator);
        closeQuietly(alua);
        watcher.close();
        closeQuietly(membership);
        server.close();
        reconciler.close();
        reservations.close();
        if (writeTokens != null) {
            writeTokens.close();
        }
        rodTokens.close();
        opener.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
        metrics.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("stopping {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
