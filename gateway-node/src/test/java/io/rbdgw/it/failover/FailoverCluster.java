package io.rbdgw.it.failover;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.TestCluster;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.scsi.TargetPortGroups;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * What a failover needs, shared by {@link FailoverIT} and {@link FailoverBench}: a ZooKeeper (in this JVM),
 * a fresh RBD image in the test cluster ({@link TestCluster}) exported as LUN 0 of one target, and two
 * {@code run} gateways ({@code gw-a} with target port group 1, {@code gw-b} with 2) as processes.
 */
public final class FailoverCluster implements AutoCloseable {

    public static final String IQN = "iqn.2026-11.io.rbdgw:failover";
    public static final String HOST = "iqn.1993-08.org.debian:failover";
    public static final String[] NAMES = {"gw-a", "gw-b"};

    /**
     * Gateway timing under test; null leaves the gateway's default. {@code stallGuard} false turns the gateways'
     * {@code StallGuard} off, for a test of what fencing alone prevents.
     */
    public record Timing(Integer zkSessionSeconds, Integer aluaSettleSeconds, boolean stallGuard, boolean writeToken) {
        public Timing(Integer zkSessionSeconds, Integer aluaSettleSeconds) {
            this(zkSessionSeconds, aluaSettleSeconds, true);
        }

        public Timing(Integer zkSessionSeconds, Integer aluaSettleSeconds, boolean stallGuard) {
            this(zkSessionSeconds, aluaSettleSeconds, stallGuard, true);
        }
    }

    private final Path dir;
    private final Timing timing;
    private final ZkConfig zk;
    private final CuratorFramework client;
    private final ConfigStore store;
    private final String image;
    private final String diskId;
    private final int[] ports = new int[2];
    private final GatewayProcess[] gateways = new GatewayProcess[2];
    private final List<GatewayProcess> retired = new ArrayList<>();
    private long epoch;
    /** More {@code run} options for both gateways. */
    private final List<String> extraArgs = new ArrayList<>();

    private FailoverCluster(Path dir, Timing timing, String image) throws Exception {
        this.dir = dir;
        this.timing = timing;
        this.image = image;
        this.diskId = TestCluster.POOL + "/" + image;
        zk = new ZkConfig();
        client = zk.client();
        store = zk.store();
    }

    /**
     * Creates the image ({@code layering} only: no exclusive lock to bounce between the gateways, see
     * docs/rbd.md), configures the target and starts both gateways; returns when both applied it and the
     * LUN has an owner.
     */
    public static FailoverCluster start(Path dir, long imageBytes, Timing timing) throws Exception {
        FailoverCluster c = create(dir, imageBytes, timing);
        try {
            c.startGateways();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** {@link #start(Path, long, Timing)} with more {@code run} options for both gateways. */
    public static FailoverCluster start(Path dir, long imageBytes, Timing timing, List<String> runArgs)
            throws Exception {
        FailoverCluster c = create(dir, imageBytes, timing);
        try {
            c.extraArgs.addAll(runArgs);
            c.startGateways();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** {@link #start(Path, long, Timing)} with an image whose name starts with {@code imagePrefix}. */
    public static FailoverCluster start(Path dir, String imagePrefix, long imageBytes, Timing timing) throws Exception {
        FailoverCluster c = create(dir, imageBytes, timing, imagePrefix);
        try {
            c.startGateways();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** The image, ZooKeeper and the configuration, without the gateways ({@link #startGateways()}). */
    public static FailoverCluster create(Path dir, long imageBytes, Timing timing) throws Exception {
        return create(dir, imageBytes, timing, "failover");
    }

    /** {@link #create(Path, long, Timing)} with an image named {@code imagePrefix-<random>}. */
    public static FailoverCluster create(Path dir, long imageBytes, Timing timing, String imagePrefix)
            throws Exception {
        String image = imagePrefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        TestCluster.rbd(
                "create",
                "--size",
                (imageBytes >> 20) + "M",
                "--image-feature",
                "layering",
                TestCluster.POOL + "/" + image);
        FailoverCluster c = null;
        try {
            c = new FailoverCluster(dir, timing, image);
            c.ports[0] = GatewayProcess.freePort();
            c.ports[1] = GatewayProcess.freePort();
            FailoverCluster cc = c;
            c.epoch = c.store.update(
                    cfg -> List.of(
                            new ConfigChange.PutGateway(
                                    new Gateway(NAMES[0], List.of(new Portal("127.0.0.1", cc.ports[0])), 1)),
                            new ConfigChange.PutGateway(
                                    new Gateway(NAMES[1], List.of(new Portal("127.0.0.1", cc.ports[1])), 2)),
                            new ConfigChange.PutTarget(Target.of(IQN)),
                            new ConfigChange.PutDisk(Disk.rbd(TestCluster.POOL, image, imageBytes)),
                            new ConfigChange.PutLun(new Lun(IQN, 0, cc.diskId)),
                            new ConfigChange.PutClient(Client.allLuns(IQN, HOST))),
                    5);
            return c;
        } catch (Exception | Error e) {
            if (c != null) {
                c.close();
            } else {
                TestCluster.removeImage(image);
            }
            throw e;
        }
    }

    /** Starts both gateways; returns when both applied the configuration and the LUN has an owner. */
    public void startGateways() throws Exception {
        gateways[0] = startGateway(0);
        gateways[1] = startGateway(1);
        awaitApplied(epoch, Duration.ofSeconds(60), NAMES);
        awaitOwner(Duration.ofSeconds(60));
    }

    private GatewayProcess startGateway(int i) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--ceph-conf",
                TestCluster.conf().toString(),
                "--ceph-id",
                TestCluster.CLIENT_ID,
                "--retry-interval",
                "1",
                "--fence-seconds",
                "600"));
        if (timing.zkSessionSeconds() != null) {
            args.addAll(
                    List.of("--zk-session-timeout", timing.zkSessionSeconds().toString()));
        }
        if (timing.aluaSettleSeconds() != null) {
            args.addAll(List.of("--alua-settle", timing.aluaSettleSeconds().toString()));
        }
        args.addAll(extraArgs);
        List<String> jvm = new ArrayList<>();
        if (!timing.stallGuard()) {
            jvm.add("-Drbdgw.stall-guard=off");
        }
        if (!timing.writeToken()) {
            jvm.add("-Drbdgw.write-token=off"); // negative runs only: shows what the write token prevents
        }
        return GatewayProcess.run(jvm, NAMES[i], ports[i], dir.resolve(NAMES[i]), zk, args.toArray(String[]::new));
    }

    /** Lets {@code initiators} log in to the target too (every LUN); returns once both gateways applied it. */
    public void allow(String... initiators) throws Exception {
        epoch = store.update(
                cfg -> {
                    List<ConfigChange> changes = new ArrayList<>();
                    for (String i : initiators) {
                        changes.add(new ConfigChange.PutClient(Client.allLuns(IQN, i)));
                    }
                    return changes;
                },
                5);
        awaitApplied(epoch, Duration.ofSeconds(60), NAMES);
    }

    /** The iSCSI URL of LUN 0 through gateway {@code i} (libiscsi's format). */
    public String lunUrl(int i) {
        return "iscsi://127.0.0.1:" + ports[i] + "/" + IQN + "/0";
    }

    /** Starts gateway {@code i} again (after it was killed); the old process is kept for its output. */
    public GatewayProcess restart(int i) throws Exception {
        if (gateways[i] != null) {
            retired.add(gateways[i]);
        }
        gateways[i] = startGateway(i);
        return gateways[i];
    }

    /**
     * A multipath client on both portals, once it sees gateway {@code owner}'s group Active/Optimized and the other's
     * Active/Non-optimized (the gateways apply the ownership record asynchronously).
     */
    public MultipathClient client(int owner, int units, int queueDepth, Duration pathTimeout) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            MultipathClient c = new MultipathClient(
                    new MultipathClient.Options(IQN, HOST, portals(), units, queueDepth, pathTimeout));
            Map<Integer, Integer> states = c.groupStates();
            if (states.getOrDefault(c.groupOf(owner), -1) == TargetPortGroups.ACTIVE_OPTIMIZED
                    && states.getOrDefault(c.groupOf(1 - owner), -1) == TargetPortGroups.ACTIVE_NON_OPTIMIZED) {
                return c;
            }
            c.close();
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("a client does not see " + NAMES[owner] + " Active/Optimized and the other "
                        + "gateway Active/Non-optimized within 30 s: " + states);
            }
            Thread.sleep(200);
        }
    }

    public GatewayProcess gateway(int i) {
        return gateways[i];
    }

    public InetSocketAddress portal(int i) {
        return new InetSocketAddress("127.0.0.1", ports[i]);
    }

    public List<InetSocketAddress> portals() {
        return List.of(portal(0), portal(1));
    }

    public String diskId() {
        return diskId;
    }

    public static int indexOf(String name) {
        return NAMES[0].equals(name) ? 0 : NAMES[1].equals(name) ? 1 : -1;
    }

    /** The LUN's ownership record, or null when the coordinator has not written one yet. */
    public LunOwnership ownership() throws Exception {
        String path = store.layout().aluaDisk(diskId);
        if (client.checkExists().forPath(path) == null) {
            return null;
        }
        return new Documents()
                .read(path, client.getData().forPath(path), LunOwnership.class)
                .value();
    }

    public LunOwnership awaitOwner(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            LunOwnership o = ownership();
            if (o != null) {
                return o;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no ALUA owner for " + diskId + " within " + timeout);
            }
            Thread.sleep(100);
        }
    }

    /** Waits until the record's owner differs from {@code previous}; returns the new record. */
    public LunOwnership awaitOwnerOtherThan(String previous, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            LunOwnership o = ownership();
            if (o != null && !o.owner().equals(previous)) {
                return o;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the owner of " + diskId + " is still " + previous + " after " + timeout);
            }
            Thread.sleep(50);
        }
    }

    public void awaitApplied(long epoch, Duration timeout, String... names) throws InterruptedException {
        MembershipView view = new MembershipView(client, store.layout());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!view.appliedAtLeast(epoch).containsAll(List.of(names))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(String.join(",", names) + " did not apply epoch " + epoch + " within "
                        + timeout + "; applied: " + view.appliedAtLeast(epoch) + "; as ZooKeeper shows them: "
                        + describe(view));
            }
            Thread.sleep(100);
        }
    }

    /** Each gateway's member node (present or not) and last status, for a failure message. */
    private static String describe(MembershipView view) {
        StringBuilder out = new StringBuilder();
        view.states()
                .forEach((name, state) -> out.append(name)
                        .append(state.alive() ? " (member)" : " (no member node)")
                        .append(state.status()
                                .map(st -> " applied " + st.appliedEpoch() + ", " + st.health() + " " + st.detail()
                                        + ", updated " + java.time.Instant.ofEpochMilli(st.updatedAtMillis()))
                                .orElse(" no status"))
                        .append("; "));
        return out.toString();
    }

    /** Waits until a gateway is a member again (its node exists). */
    public void awaitMember(String name, Duration timeout) throws Exception {
        MembershipView view = new MembershipView(client, store.layout());
        awaitApplied(store.epoch(), timeout, name);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (view.members().stream().noneMatch(m -> m.name().equals(name))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(name + " is not a member after " + timeout);
            }
            Thread.sleep(100);
        }
    }

    /** Sends a signal (STOP, CONT, KILL) to gateway {@code i}'s process. */
    public void signal(int i, String signal) throws Exception {
        long pid = gateways[i].process().pid();
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** Whether gateway {@code i} is stopped (state T in /proc). */
    public boolean isStopped(int i) throws Exception {
        String stat = java.nio.file.Files.readString(
                Path.of("/proc/" + gateways[i].process().pid() + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
    }

    /** All gateway output so far (retired processes first). */
    public String output(int i) {
        StringBuilder sb = new StringBuilder();
        for (GatewayProcess g : retired) {
            if (g.port() == ports[i]) {
                sb.append(g.output()).append("---- restarted ----\n");
            }
        }
        return sb.append(gateways[i] == null ? "" : gateways[i].output()).toString();
    }

    /** The last {@code lines} lines of gateway {@code i}'s output, for a failure message. */
    public String tail(int i, int lines) {
        String[] all = output(i).split("\\R");
        return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    @Override
    public void close() throws Exception {
        for (int i = 0; i < 2; i++) {
            GatewayProcess g = gateways[i];
            if (g != null && g.process().isAlive()) {
                try {
                    signal(i, "CONT"); // a stopped process would not act on SIGTERM
                } catch (Exception ignored) {
                    // gone meanwhile
                }
                g.close();
            }
        }
        zk.close();
        removeImage();
    }

    /** Removes the image; a killed gateway's watch keeps it busy for up to 30 s unless it was fenced. */
    private void removeImage() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        while (true) {
            try {
                TestCluster.rbd("rm", "--no-progress", diskId);
                return;
            } catch (AssertionError | java.io.IOException e) {
                if (System.nanoTime() - deadline > 0
                        || !String.valueOf(e.getMessage()).contains("watchers")) {
                    System.err.println("could not remove test image " + diskId + ": " + e.getMessage());
                    return;
                }
                Thread.sleep(2000);
            }
        }
    }
}
