package io.rbdgw.it.scale;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.PipelinedReads;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.ZkConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.data.Stat;

/**
 * The measuring part of {@code bench/scale.sh}: a ZooKeeper in this JVM (curator-test, loopback), N {@code run}
 * gateways as processes with small heaps, and a configuration of many targets, memory-disk LUNs, CHAP clients and
 * host groups written straight into ZooKeeper through {@link ConfigStore} (as the admin API would, in batches).
 * Prints one {@code scale ...} line per figure; every wait is bounded.
 *
 * <p>Figures, in this order: provisioning; heap per idle LUN (gateway 0's heap after a full GC with 0 and with all
 * LUNs); ZooKeeper size and watches ({@code mntr}); one whole {@code /metrics} scrape and the cluster's series;
 * configuration changes until every gateway reports them applied; heap per idle session (CHAP logins held open);
 * SIGKILL of the gateway owning the most LUNs until each of them is Active/Optimized on a survivor, with hosts
 * writing to its LUNs through a survivor's path meanwhile ({@link FailoverWriters}); the killed
 * gateway restarted cold until it serves and knows the ALUA state of every LUN.
 */
public final class ScaleBench {

    private static final String POOL = "scale";
    private static final String IQN_PREFIX = "iqn.2026-12.io.rbdgw.scale:t";
    private static final String HOST_PREFIX = "iqn.2026-12.io.rbdgw.scale.host:h";
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    record Options(
            int gateways,
            int targets,
            int lunsPerTarget,
            int clients,
            int hostGroups,
            int changes,
            int sessions,
            long diskBytes,
            int zkSessionSeconds,
            int writers,
            List<String> jvm,
            Path dir,
            Rbd rbd) {
        int luns() {
            return targets * lunsPerTarget;
        }
    }

    /**
     * RBD disks instead of memory disks: LUN k exports {@code pool/<prefix><k, 4 digits>}, images that
     * bench/scale.sh created (thin) and removes; the gateways get the Ceph configuration and user.
     */
    record Rbd(String pool, String imagePrefix, long imageBytes, Path cephConf, String cephId) {
        String image(int k) {
            return imagePrefix + String.format(Locale.ROOT, "%04d", k);
        }
    }

    private final Options o;
    private final ZkConfig zk;
    private final CuratorFramework client;
    private final ConfigStore store;
    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final String[] names;
    private final int[] ports;
    private final GatewayProcess[] gateways;
    private final List<GatewayProcess> retired = new ArrayList<>();

    private ScaleBench(Options o, ZkConfig zk) {
        this.o = o;
        this.zk = zk;
        this.client = zk.client();
        this.store = zk.store();
        this.layout = store.layout();
        this.names = new String[o.gateways()];
        this.ports = new int[o.gateways()];
        this.gateways = new GatewayProcess[o.gateways()];
        for (int i = 0; i < names.length; i++) {
            names[i] = "gw-" + i;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        // four-letter words (mntr, wchs) for the ZooKeeper figures; must be set before the server starts
        System.setProperty("zookeeper.4lw.commands.whitelist", "*");
        Files.createDirectories(o.dir().resolve("zookeeper"));
        AtomicReference<ScaleBench> started = new AtomicReference<>();
        Thread closer = new Thread(() -> stopAll(started.get()), "scale-bench-stop");
        Runtime.getRuntime().addShutdownHook(closer); // also on Ctrl-C / SIGTERM from the script
        // tick 1 s: session timeouts of 2..20 s are granted as asked
        ScaleBench bench = new ScaleBench(o, ZkConfig.restartable(o.dir().resolve("zookeeper"), 1000));
        started.set(bench);
        int rc = 0;
        try {
            bench.run();
        } catch (Exception | AssertionError e) {
            System.err.println("scale bench failed: " + e);
            e.printStackTrace();
            rc = 1;
        }
        System.out.flush();
        Runtime.getRuntime().removeShutdownHook(closer);
        stopAll(bench);
        System.exit(rc);
    }

    private void run() throws Exception {
        line(
                "setup gateways=%d targets=%d luns=%d clients=%d (CHAP) host_groups=%d disks=%s jvm=\"%s\" "
                        + "zk_session_s=%d zookeeper=curator-test(in the bench JVM, loopback)",
                o.gateways(),
                o.targets(),
                o.luns(),
                o.clients(),
                o.hostGroups(),
                o.rbd() == null
                        ? "memory:" + (o.diskBytes() >> 20) + "MiB"
                        : "rbd:" + (o.rbd().imageBytes() >> 20) + "MiB(thin, "
                                + o.rbd().pool() + "/" + o.rbd().imagePrefix() + "NNNN)",
                String.join(" ", o.jvm()),
                o.zkSessionSeconds());
        long epoch = store.update(
                cfg -> {
                    List<ConfigChange> changes = new ArrayList<>();
                    for (int i = 0; i < names.length; i++) {
                        try {
                            ports[i] = GatewayProcess.freePort();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                        changes.add(new ConfigChange.PutGateway(
                                new Gateway(names[i], List.of(new Portal("127.0.0.1", ports[i])), i + 1)));
                    }
                    return changes;
                },
                5);
        for (int i = 0; i < names.length; i++) {
            gateways[i] = start(i);
        }
        awaitApplied(epoch, Duration.ofSeconds(120), names);
        long heapEmpty = heapAfterGc(0);

        // provisioning: a batch of targets per transaction (a ZooKeeper request holds at most 1 MiB)
        long t0 = System.nanoTime();
        int batch = 16;
        for (int first = 0; first < o.targets(); first += batch) {
            int from = first;
            int to = Math.min(o.targets(), first + batch);
            epoch = store.update(cfg -> targetChanges(from, to), 5);
        }
        double written = seconds(t0);
        awaitApplied(epoch, Duration.ofSeconds(600), names);
        double applied = seconds(t0);
        Map<String, Integer> owned = awaitOwned(Duration.ofSeconds(300));
        double owners = seconds(t0);
        line(
                "provision written_s=%.1f all_applied_s=%.1f all_owned_s=%.1f (%d transactions of %d targets) owners=%s",
                written, applied, owners, (o.targets() + batch - 1) / batch, batch, owned);

        if (o.rbd() != null) {
            // RBD disks: the cold start is the figure (each disk: its reservation state in ZooKeeper and an image
            // open); the other figures are the memory-disk run's
            zookeeperLine();
            int victim = o.gateways() - 1;
            long stopping = System.nanoTime();
            // every image is closed first, one after another (tens of ms each with thousands open)
            int rc = gateways[victim].stop(Duration.ofMinutes(10));
            line(
                    "stop gateway=%s signal=SIGTERM exit=%d stop_s=%.1f (every disk closed, then the process exits)",
                    names[victim], rc, seconds(stopping));
            coldStart(victim);
            return;
        }
        long heapFull = heapAfterGc(0);
        line(
                "memory_luns heap_after_gc_0_luns_mib=%.1f heap_after_gc_%d_luns_mib=%.1f per_lun_kib=%.2f (gateway %s)",
                heapEmpty / 1048576.0,
                o.luns(),
                heapFull / 1048576.0,
                (heapFull - heapEmpty) / 1024.0 / o.luns(),
                names[0]);

        zookeeperLine();
        scrapes();
        configChanges();
        sessions();
        int victim = failover();
        coldStart(victim);
    }

    private void zookeeperLine() throws Exception {
        Map<String, String> mntr = fourLetter("mntr");
        String wchs = fourLetter("wchs").getOrDefault("_text", "").strip().replace('\n', ' ');
        Stat status = client.checkExists().forPath(layout.status(names[0]));
        line(
                "zookeeper znodes=%s data_bytes=%s watches=%s status_bytes=%d (wchs: %s; status: gateway %s's document)",
                mntr.get("zk_znode_count"),
                mntr.get("zk_approximate_data_size"),
                mntr.get("zk_watch_count"),
                status == null ? -1 : status.getDataLength(),
                wchs,
                names[0]);
    }

    /** Targets {@code [from, to)}: their disks, LUNs, CHAP clients and host groups. */
    private List<ConfigChange> targetChanges(int from, int to) {
        List<ConfigChange> changes = new ArrayList<>();
        int clientsPerTarget = Math.max(1, o.clients() / o.targets());
        int groupEvery = o.hostGroups() == 0 ? Integer.MAX_VALUE : Math.max(1, o.targets() / o.hostGroups());
        for (int t = from; t < to; t++) {
            String iqn = iqn(t);
            changes.add(new ConfigChange.PutTarget(Target.of(iqn)));
            Set<String> diskIds = new TreeSet<>();
            for (int l = 0; l < o.lunsPerTarget(); l++) {
                Disk d = o.rbd() == null
                        ? Disk.memory(POOL, String.format(Locale.ROOT, "t%03d-d%02d", t, l), o.diskBytes())
                        : Disk.rbd(
                                o.rbd().pool(),
                                o.rbd().image(t * o.lunsPerTarget() + l),
                                o.rbd().imageBytes());
                changes.add(new ConfigChange.PutDisk(d));
                changes.add(new ConfigChange.PutLun(new Lun(iqn, l, d.id())));
                diskIds.add(d.id());
            }
            boolean grouped = t % groupEvery == 0 && t / groupEvery < o.hostGroups();
            List<String> members = new ArrayList<>();
            for (int c = 0; c < clientsPerTarget; c++) {
                String host = host(t, c);
                Client cl = grouped
                        ? Client.withLuns(iqn, host, Set.of())
                        : new Client(iqn, host, Authentication.NONE, true, null);
                changes.add(new ConfigChange.PutClient(
                        cl.withAuth(Authentication.chap(new ChapCredentials(chapUser(t, c), chapSecret(t, c))))));
                members.add(host);
            }
            if (grouped) {
                changes.add(new ConfigChange.PutHostGroup(HostGroup.of(iqn, "hg" + t, Set.copyOf(members), diskIds)));
            }
        }
        return changes;
    }

    private static String iqn(int t) {
        return IQN_PREFIX + String.format(Locale.ROOT, "%03d", t);
    }

    private static String host(int t, int c) {
        return HOST_PREFIX + String.format(Locale.ROOT, "%03d-%d", t, c);
    }

    private static String chapUser(int t, int c) {
        return String.format(Locale.ROOT, "host%03d-%d", t, c);
    }

    private static String chapSecret(int t, int c) {
        return String.format(Locale.ROOT, "secret-%03d-%d-scale", t, c);
    }

    // ---- configuration changes --------------------------------------------------------------------------------

    /** Renames a target's alias {@code changes} times; each: from the commit until every gateway reports it. */
    private void configChanges() throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < o.changes(); i++) {
            String iqn = iqn(i % o.targets());
            String alias = "change-" + i;
            long t0 = System.nanoTime();
            long epoch = store.update(
                    cfg -> {
                        Target t = cfg.target(iqn).orElseThrow();
                        return List.of(new ConfigChange.PutTarget(
                                new Target(t.iqn(), alias, t.aclEnabled(), t.auth(), t.parameters())));
                    },
                    5);
            double commit = (System.nanoTime() - t0) / 1e6;
            awaitApplied(epoch, Duration.ofSeconds(60), names);
            double all = (System.nanoTime() - t0) / 1e6;
            ms.add(all);
            System.err.printf(
                    Locale.ROOT,
                    "change %d: epoch %d committed in %.0f ms, applied by all in %.0f ms%n",
                    i,
                    epoch,
                    commit,
                    all);
        }
        line(
                "config_change all_applied_ms median=%.0f max=%.0f n=%d (commit to every gateway's status)",
                median(ms), ms.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN), ms.size());
    }

    // ---- sessions ---------------------------------------------------------------------------------------------

    /** Idle CHAP sessions held open on gateway 0: heap after GC with 0 and with all of them. */
    private void sessions() throws Exception {
        if (o.sessions() == 0) {
            return;
        }
        long before = heapAfterGc(0);
        List<TestInitiator> open = new ArrayList<>();
        int clientsPerTarget = Math.max(1, o.clients() / o.targets());
        try {
            long t0 = System.nanoTime();
            for (int s = 0; s < o.sessions(); s++) {
                int t = (s / clientsPerTarget) % o.targets();
                int c = s % clientsPerTarget;
                TestInitiator ini = new TestInitiator(new InetSocketAddress("127.0.0.1", ports[0]));
                open.add(ini);
                ini.isid(0x23d000000000L + s / (o.targets() * clientsPerTarget) + 1);
                ini.loginChap(TestInitiator.normalKeys(host(t, c), iqn(t)), chapUser(t, c), chapSecret(t, c));
            }
            double loginS = seconds(t0);
            long after = heapAfterGc(0);
            line(
                    "memory_sessions sessions=%d heap_after_gc_before_mib=%.1f after_mib=%.1f per_session_kib=%.1f "
                            + "(CHAP logins in %.1f s, gateway %s)",
                    o.sessions(),
                    before / 1048576.0,
                    after / 1048576.0,
                    (after - before) / 1024.0 / o.sessions(),
                    loginS,
                    names[0]);
        } finally {
            open.forEach(TestInitiator::close);
        }
    }

    // ---- metrics ----------------------------------------------------------------------------------------------

    private void scrapes() throws Exception {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        long total = 0;
        double firstMs = 0;
        long firstSeries = 0;
        long firstBytes = 0;
        for (int i = 0; i < gateways.length; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(gateways[i].metricsUrl())
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics of " + names[i] + ": HTTP " + r.statusCode());
            }
            long series = r.body()
                    .lines()
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .count();
            total += series;
            if (i == 0) {
                // the first scrape warms the endpoint up; the figure is a second one
                t0 = System.nanoTime();
                r = http.send(
                        HttpRequest.newBuilder(gateways[i].metricsUrl())
                                .timeout(Duration.ofSeconds(60))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                firstMs = (System.nanoTime() - t0) / 1e6;
                firstSeries = series;
                firstBytes = r.body().length();
                System.err.printf(Locale.ROOT, "scrape of %s: first %.0f ms, second %.0f ms%n", names[i], ms, firstMs);
            }
        }
        line(
                "metrics scrape_ms=%.0f series_one=%d bytes_one=%d series_cluster=%d series_pair=%d (gateway %s)",
                firstMs, firstSeries, firstBytes, total, firstSeries * 2, names[0]);
    }

    // ---- failover ---------------------------------------------------------------------------------------------

    /**
     * SIGKILL of the gateway owning the most disks; returns its index. Ownership is followed in a cache of the
     * {@code alua} documents; a disk is Active/Optimized on a survivor once its new owner's status lists it as
     * applied with itself as owner.
     */
    private int failover() throws Exception {
        Map<String, LunOwnership> owners = ownership();
        Map<String, Integer> counts = new TreeMap<>();
        owners.values().forEach(w -> counts.merge(w.owner(), 1, Integer::sum));
        String victimName = counts.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
        int victim = List.of(names).indexOf(victimName);
        Set<String> disks = new TreeSet<>();
        owners.forEach((d, w) -> {
            if (w.owner().equals(victimName)) {
                disks.add(d);
            }
        });
        Map<String, Long> movedAt = new ConcurrentHashMap<>();
        FailoverWriters writers = null;
        try (CuratorCache cache = CuratorCache.build(client, layout.alua())) {
            long[] killed = {0};
            CountDownLatch loaded = new CountDownLatch(1);
            cache.listenable()
                    .addListener(CuratorCacheListener.builder()
                            .forInitialized(loaded::countDown)
                            .build());
            cache.listenable().addListener((type, old, data) -> {
                if (data == null || data.getData() == null || data.getData().length == 0) {
                    return;
                }
                String disk =
                        ZkLayout.diskId(data.getPath().substring(data.getPath().lastIndexOf('/') + 1));
                if (disks.contains(disk)) {
                    LunOwnership w = docs.read(data.getPath(), data.getData(), LunOwnership.class)
                            .value();
                    if (!w.owner().equals(victimName)) {
                        movedAt.putIfAbsent(disk, System.nanoTime());
                    }
                }
            });
            cache.start();
            if (!loaded.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the ownership documents did not load within 120 s");
            }
            int through = (victim + 1) % names.length;
            writers = o.writers() == 0 ? null : new FailoverWriters(portal(through), writerLuns(disks, o.writers()));
            if (writers != null) {
                Thread.sleep(1000); // writing before the kill: the stall measured includes the path's normal pace
            }
            killed[0] = System.nanoTime();
            long killedAtMillis = System.currentTimeMillis();
            gateways[victim].process().destroyForcibly();
            if (!gateways[victim].process().waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the victim did not die within 30 s of SIGKILL");
            }
            long deadline = killed[0] + TimeUnit.SECONDS.toNanos(o.zkSessionSeconds() + 120L);
            // the session expires up to a ping interval less than the timeout after the kill (its last ping was
            // before): the member node's deletion is when ZooKeeper declared it gone
            long expired = 0;
            String member = layout.members() + "/" + victimName;
            while (movedAt.size() < disks.size()) {
                if (expired == 0 && client.checkExists().forPath(member) == null) {
                    expired = System.nanoTime();
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(
                            (disks.size() - movedAt.size()) + " disks of " + victimName + " still owned by it");
                }
                Thread.sleep(10);
            }
            if (expired == 0) {
                expired = System.nanoTime(); // not seen separately: as late as it can have been
            }
            double written =
                    (movedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - killed[0]) / 1e9;
            double firstWritten =
                    (movedAt.values().stream().mapToLong(Long::longValue).min().orElseThrow() - killed[0]) / 1e9;
            // every moved disk applied by its new owner as its own: each new owner reports the ownership version of
            // the documents now (its status summarizes what it applied instead of listing every disk)
            Map<String, LunOwnership> now = ownership();
            String version = GatewayStatus.AluaSummary.version(now.values());
            Map<String, Set<String>> byOwner = new HashMap<>();
            for (String d : disks) {
                byOwner.computeIfAbsent(now.get(d).owner(), k -> new TreeSet<>())
                        .add(d);
            }
            Map<String, Integer> versions = new HashMap<>();
            Set<String> pendingOwners = new TreeSet<>(byOwner.keySet());
            GatewayStatus[] latest = new GatewayStatus[names.length];
            while (!pendingOwners.isEmpty()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("new owners " + pendingOwners + " did not apply their disks");
                }
                for (String owner : List.copyOf(pendingOwners)) {
                    GatewayStatus s = statusIfChanged(owner, versions);
                    if (s != null) {
                        latest[List.of(names).indexOf(owner)] = s;
                    }
                    GatewayStatus l = latest[List.of(names).indexOf(owner)];
                    if (l != null
                            && l.aluaSummary() != null
                            && l.aluaSummary().version().equals(version)) {
                        pendingOwners.remove(owner);
                    }
                }
                Thread.sleep(20);
            }
            long done = System.nanoTime();
            failoverBreakdown(victim, killedAtMillis, (expired - killed[0]) / 1e6);
            line(
                    "failover luns=%d victim=%s session_expired_s=%.2f all_active_optimized_s=%.2f "
                            + "after_session_expiry_s=%.2f ownership_written_s=%.2f..%.2f (from SIGKILL; session timeout "
                            + "%d s) new_owners=%d",
                    disks.size(),
                    victimName,
                    (expired - killed[0]) / 1e9,
                    (done - killed[0]) / 1e9,
                    (done - expired) / 1e9,
                    firstWritten,
                    written,
                    o.zkSessionSeconds(),
                    byOwner.size());
            if (writers != null) {
                Thread.sleep(1000); // and a second after: the writes go on once the states settled
                FailoverWriters.Result r = writers.stop();
                line(
                        "host_io writers=%d through=%s writes=%d failed=%d unit_attentions=%d longest_stall_ms=%.0f "
                                + "(4 KiB writes, one in flight per writer, to LUNs of %s through a survivor's path, "
                                + "Active/Non-optimized until they moved; from 1 s before the SIGKILL to 1 s after "
                                + "all were Active/Optimized)%s",
                        r.writers(),
                        names[(victim + 1) % names.length],
                        r.writes(),
                        r.failed(),
                        r.unitAttentions(),
                        r.longestStallMs(),
                        victimName,
                        r.failed() == 0 ? "" : " failures: " + r.failures());
            }
        } finally {
            if (writers != null) {
                writers.close();
            }
        }
        return victim;
    }

    /**
     * Where the failover's time went, from the survivors' logs (their wall clock, the bench's: one host): the new
     * coordinator elected, its pass that moved the disks written, the last new owner's ALUA states applied; each
     * from the session expiry as the bench saw it.
     */
    private void failoverBreakdown(int victim, long killedAtMillis, double expiredMs) {
        double elected = Double.NaN;
        double written = Double.NaN;
        double applied = Double.NaN;
        for (int i = 0; i < gateways.length; i++) {
            if (i == victim) {
                continue;
            }
            String out = gateways[i].output();
            elected = min(elected, logMillis(out, "is the ALUA coordinator", killedAtMillis, false));
            written = min(written, logMillis(out, "AluaCoordinator: ALUA pass:", killedAtMillis, false));
            double last = logMillis(out, "ALUA states of", killedAtMillis, true);
            applied = Double.isNaN(applied) || last > applied ? last : applied;
        }
        line(
                "failover_breakdown from_expiry_ms elected=%.0f moves_written=%.0f last_owner_applied=%.0f "
                        + "(survivors' logs; the bench saw the expiry %.0f ms after the SIGKILL)",
                elected - expiredMs, written - expiredMs, applied - expiredMs, expiredMs);
    }

    private static double min(double a, double b) {
        return Double.isNaN(a) || b < a ? b : a;
    }

    /**
     * Milliseconds from {@code sinceMillis} to the first (or last) log line after it that contains {@code needle}
     * (lines start with HH:mm:ss.SSS, this host's clock); NaN if there is none.
     */
    private static double logMillis(String output, String needle, long sinceMillis, boolean last) {
        ZoneId zone = ZoneId.systemDefault();
        LocalDate day = Instant.ofEpochMilli(sinceMillis).atZone(zone).toLocalDate();
        double found = Double.NaN;
        for (String l : output.split("\n")) {
            if (l.length() < 12 || !l.contains(needle)) {
                continue;
            }
            LocalTime t;
            try {
                t = LocalTime.parse(l.substring(0, 12));
            } catch (DateTimeParseException notALogLine) {
                continue;
            }
            long at = day.atTime(t).atZone(zone).toInstant().toEpochMilli();
            if (at < sinceMillis - 43_200_000L) {
                at += 86_400_000L; // past midnight
            }
            if (at < sinceMillis) {
                continue;
            }
            found = at - sinceMillis;
            if (!last) {
                return found;
            }
        }
        return found;
    }

    /** A survivor's portal. */
    private InetSocketAddress portal(int i) {
        return new InetSocketAddress("127.0.0.1", ports[i]);
    }

    /** Up to {@code n} LUNs of {@code disks} (ids {@code scale/tTTT-dLL}), on different targets where there are enough. */
    private List<FailoverWriters.Lun> writerLuns(Set<String> disks, int n) {
        Map<Integer, FailoverWriters.Lun> byTarget = new TreeMap<>();
        Pattern id = Pattern.compile(Pattern.quote(POOL) + "/t(\\d+)-d(\\d+)");
        for (String d : disks) {
            Matcher m = id.matcher(d);
            if (!m.matches()) {
                continue;
            }
            int t = Integer.parseInt(m.group(1));
            byTarget.putIfAbsent(
                    t,
                    new FailoverWriters.Lun(
                            iqn(t), host(t, 0), chapUser(t, 0), chapSecret(t, 0), Integer.parseInt(m.group(2))));
        }
        List<FailoverWriters.Lun> all = new ArrayList<>(byTarget.values());
        List<FailoverWriters.Lun> out = new ArrayList<>();
        for (int k = 0; k < n && !all.isEmpty(); k++) {
            out.add(all.get((int) ((long) k * all.size() / n) % all.size()));
        }
        return out;
    }

    /** The restarted victim: from process start until it serves its portals and lists every disk's ALUA state. */
    private void coldStart(int i) throws Exception {
        long epoch = store.epoch();
        retired.add(gateways[i]);
        long startedAtMillis = System.currentTimeMillis();
        long t0 = System.nanoTime();
        gateways[i] = start(i);
        double up = seconds(t0);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(300);
        double serving = Double.NaN;
        double known = Double.NaN;
        Map<String, Integer> versions = new HashMap<>();
        while (Double.isNaN(serving) || Double.isNaN(known)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(
                        names[i] + " did not serve all its LUNs within 300 s:\n" + tail(gateways[i].output()));
            }
            if (Double.isNaN(serving) && gateways[i].output().contains("serves its portals")) {
                serving = seconds(t0);
            }
            if (Double.isNaN(known)) {
                GatewayStatus s = statusIfChanged(names[i], versions);
                // the status node outlives the process: only what the new process wrote counts
                if (s != null
                        && s.updatedAtMillis() >= startedAtMillis
                        && s.appliedEpoch() >= epoch
                        && s.aluaSummary() != null
                        && s.aluaSummary().disks() >= o.luns()) {
                    known = seconds(t0);
                }
            }
            Thread.sleep(20);
        }
        String out = gateways[i].output();
        line(
                "cold_start luns=%d disks=%s banner_s=%.1f serving_s=%.1f all_alua_known_s=%.1f (gateway %s, from process start; "
                        + "by its log: first line %.1f s, first target %.1f s, configuration applied %.1f s)",
                o.luns(),
                o.rbd() == null ? "memory" : "rbd",
                up,
                serving,
                known,
                names[i],
                logMillis(out, " ", startedAtMillis, false) / 1000,
                logMillis(out, "Reconciler: target ", startedAtMillis, false) / 1000,
                logMillis(out, "Reconciler: applied configuration epoch", startedAtMillis, false) / 1000);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private GatewayProcess start(int i) throws Exception {
        List<String> args = new ArrayList<>(
                List.of("--zk-session-timeout", Integer.toString(o.zkSessionSeconds()), "--retry-interval", "1"));
        if (o.rbd() != null) {
            args.addAll(List.of(
                    "--ceph-conf",
                    o.rbd().cephConf().toString(),
                    "--ceph-id",
                    o.rbd().cephId()));
        }
        return GatewayProcess.run(
                o.jvm(), names[i], ports[i], o.dir().resolve(names[i]), zk, args.toArray(String[]::new));
    }

    /** The status of {@code name} if its znode changed since the last call (one read per change). */
    private GatewayStatus statusIfChanged(String name, Map<String, Integer> versions) throws Exception {
        Stat stat = client.checkExists().forPath(layout.status(name));
        if (stat == null || Integer.valueOf(stat.getVersion()).equals(versions.get(name))) {
            return null;
        }
        versions.put(name, stat.getVersion());
        String path = layout.status(name);
        return docs.read(path, client.getData().forPath(path), GatewayStatus.class)
                .value();
    }

    /** Waits until every named gateway's status reports {@code epoch} (or later) applied. */
    private void awaitApplied(long epoch, Duration timeout, String... which) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> versions = new HashMap<>();
        Set<String> pending = new TreeSet<>(List.of(which));
        while (!pending.isEmpty()) {
            for (String n : List.copyOf(pending)) {
                GatewayStatus s = statusIfChanged(n, versions);
                if (s != null && s.appliedEpoch() >= epoch) {
                    pending.remove(n);
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(pending + " did not apply epoch " + epoch + " within " + timeout);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Waits until every disk has an owner and the owners are balanced (every live gateway owns some, the counts
     * differ by at most one: gateways that joined get their share once settled); returns the count per owner.
     */
    private Map<String, Integer> awaitOwned(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> counts = Map.of();
        while (true) {
            List<String> nodes = children(layout.alua());
            if (nodes.size() >= o.luns()) {
                Map<String, Integer> c = new TreeMap<>();
                ownership().values().forEach(w -> c.merge(w.owner(), 1, Integer::sum));
                counts = c;
                int max = c.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                int min = c.values().stream().mapToInt(Integer::intValue).min().orElse(0);
                if (c.size() == names.length && max - min <= 1) {
                    return c;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(nodes.size() + " of " + o.luns()
                        + " disks have an owner, not balanced after " + timeout + ": " + counts);
            }
            Thread.sleep(500);
        }
    }

    private Map<String, LunOwnership> ownership() throws Exception {
        List<String> paths = new ArrayList<>();
        for (String node : children(layout.alua())) {
            paths.add(layout.alua() + "/" + node);
        }
        Map<String, PipelinedReads.Node> nodes = PipelinedReads.data(client, paths, true);
        Map<String, LunOwnership> out = new TreeMap<>();
        nodes.forEach((path, n) -> out.put(
                ZkLayout.diskId(path.substring(path.lastIndexOf('/') + 1)),
                docs.read(path, n.data(), LunOwnership.class).value()));
        return out;
    }

    private List<String> children(String path) throws Exception {
        if (client.checkExists().forPath(path) == null) {
            return List.of();
        }
        return client.getChildren().forPath(path);
    }

    /**
     * Gateway {@code i}'s heap after a full GC (jcmd GC.run, then GC.heap_info), in bytes: the least of three
     * readings, since whatever the gateway allocates between the GC and the reading (status writes, pings) is noise.
     */
    private long heapAfterGc(int i) throws Exception {
        long pid = gateways[i].process().pid();
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            jcmd(pid, "GC.run");
            String info = jcmd(pid, "GC.heap_info");
            // Serial GC lists its generations, G1 one heap line; Metaspace lines are not heap
            long kib = 0;
            boolean found = false;
            for (String l : info.split("\n")) {
                Matcher m = HEAP_USED.matcher(l);
                if ((l.contains("generation") || l.contains("heap")) && m.find()) {
                    kib += Long.parseLong(m.group(1));
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalStateException("no heap figure in jcmd GC.heap_info:\n" + info);
            }
            least = Math.min(least, kib * 1024);
            Thread.sleep(300);
        }
        return least;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                .redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "jcmd " + pid + " " + command + " failed:\n" + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** A four-letter word to the ZooKeeper server: {@code key value} lines as a map, the whole text as _text. */
    private Map<String, String> fourLetter(String word) throws IOException {
        String connect = zk.connectString();
        int colon = connect.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(
                    new InetSocketAddress(connect.substring(0, colon), Integer.parseInt(connect.substring(colon + 1))),
                    5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            String text = buf.toString(StandardCharsets.UTF_8);
            Map<String, String> m = new LinkedHashMap<>();
            for (String l : text.split("\n")) {
                String[] kv = l.split("\t", 2);
                if (kv.length == 2) {
                    m.put(kv[0].strip(), kv[1].strip());
                }
            }
            m.put("_text", text);
            return m;
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
    }

    private static void line(String format, Object... args) {
        System.out.println("scale " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    private static Options parse(String[] args) {
        int gateways = 8;
        int targets = 256;
        int luns = 16;
        int clients = 512;
        int groups = 64;
        int changes = 20;
        int sessions = 1024;
        long diskMiB = 64;
        int zkSession = 15;
        int writers = 4;
        String heap = "384m";
        Path dir = null;
        int rbdDisks = 0;
        String imagePrefix = "scale-";
        long imageMiB = 1024;
        Path cephConf = null;
        String cephId = "admin";
        String pool = "rbd";
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                usage(args[i] + " needs a value");
            }
            String v = args[i + 1];
            try {
                switch (args[i]) {
                    case "--gateways" -> gateways = Integer.parseInt(v);
                    case "--targets" -> targets = Integer.parseInt(v);
                    case "--luns-per-target" -> luns = Integer.parseInt(v);
                    case "--clients" -> clients = Integer.parseInt(v);
                    case "--host-groups" -> groups = Integer.parseInt(v);
                    case "--changes" -> changes = Integer.parseInt(v);
                    case "--sessions" -> sessions = Integer.parseInt(v);
                    case "--disk-mib" -> diskMiB = Long.parseLong(v);
                    case "--zk-session-timeout" -> zkSession = Integer.parseInt(v);
                    case "--writers" -> writers = Integer.parseInt(v);
                    case "--heap" -> heap = v;
                    case "--dir" -> dir = Path.of(v);
                    case "--rbd-disks" -> rbdDisks = Integer.parseInt(v);
                    case "--image-prefix" -> imagePrefix = v;
                    case "--image-mib" -> imageMiB = Long.parseLong(v);
                    case "--ceph-conf" -> cephConf = Path.of(v);
                    case "--ceph-id" -> cephId = v;
                    case "--pool" -> pool = v;
                    default -> usage("unknown argument " + args[i]);
                }
            } catch (NumberFormatException e) {
                usage(args[i] + " takes a number, not '" + v + "'");
            }
        }
        if (gateways < 2
                || targets < 1
                || luns < 1
                || clients < 1
                || groups < 0
                || groups > targets
                || changes < 1
                || sessions < 0
                || diskMiB < 1
                || zkSession < 2
                || zkSession > 20
                || writers < 0
                || dir == null) {
            usage("need --dir; --gateways >= 2; --host-groups <= --targets; --zk-session-timeout 2..20; "
                    + "the counts positive");
        }
        Rbd rbd = null;
        if (rbdDisks > 0) {
            if (cephConf == null) {
                usage("--rbd-disks needs --ceph-conf");
            }
            // whole targets of --luns-per-target LUNs, one image each
            luns = Math.min(luns, rbdDisks);
            if (rbdDisks % luns != 0) {
                usage("--rbd-disks must be a multiple of --luns-per-target (" + luns + ")");
            }
            targets = rbdDisks / luns;
            clients = 2 * targets; // as many per target as the memory-disk run
            groups = targets / 4;
            rbd = new Rbd(pool, imagePrefix, imageMiB << 20, cephConf, cephId);
        }
        List<String> jvm = List.of("-Xmx" + heap, "-XX:+UseSerialGC", "-Dio.netty.leakDetection.level=disabled");
        return new Options(
                gateways,
                targets,
                luns,
                clients,
                groups,
                changes,
                sessions,
                diskMiB << 20,
                zkSession,
                writers,
                jvm,
                dir,
                rbd);
    }

    private void saveOutputs() {
        List<GatewayProcess> all = new ArrayList<>(retired);
        for (GatewayProcess g : gateways) {
            if (g != null) {
                all.add(g);
            }
        }
        for (int k = 0; k < all.size(); k++) {
            GatewayProcess g = all.get(k);
            int i = -1;
            for (int j = 0; j < ports.length; j++) {
                if (ports[j] == g.port()) {
                    i = j;
                }
            }
            String name = (i >= 0 ? names[i] : "gateway") + (k < retired.size() ? "-before-restart" : "") + ".log";
            try {
                Files.writeString(o.dir().resolve(name), g.output());
            } catch (IOException e) {
                System.err.println("cannot save " + name + ": " + e);
            }
        }
    }

    private static void usage(String problem) {
        System.err.println("scale bench: " + problem);
        System.exit(2);
    }

    /** Stops every gateway (SIGTERM, in parallel), then ZooKeeper; keeps each gateway's output in the work dir. */
    private static void stopAll(ScaleBench b) {
        List<ProcessHandle> children = ProcessHandle.current().children().toList();
        children.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : children) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        if (b != null) {
            b.saveOutputs();
            try {
                b.zk.close();
            } catch (Exception e) {
                System.err.println("stopping ZooKeeper: " + e);
            }
        }
    }
}
