package io.rbdgw.node;

import io.rbdgw.config.alua.WriteTokens;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.zk.ZkCredentials;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.node.pr.ClusterReservations;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A cluster gateway: serves what the configuration in ZooKeeper says, on this machine's portals.
 *
 * <p>Start-up does not need ZooKeeper: the portals open at once and serve nothing until the first
 * snapshot arrives; the ZooKeeper client keeps retrying. Once running, a lost ZooKeeper only stops
 * changes: the last applied configuration keeps being served and the watcher catches up when ZooKeeper
 * returns. SIGTERM/SIGINT stop in order: stop watching, leave the membership, close the portals (and
 * with them the sessions), close the LUNs and disks, then Ceph and ZooKeeper.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run a cluster gateway: serve the targets configured in ZooKeeper.")
public final class RunCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin
    GatewayOptions gw = new GatewayOptions();

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(
            names = "--zookeeper",
            required = true,
            paramLabel = "HOSTS",
            description = "ZooKeeper connect string, e.g. zk1:2181,zk2:2181,zk3:2181.")
    String zookeeper;

    @Option(
            names = "--name",
            required = true,
            description = "This gateway's name (as in the configuration's gateway list).")
    String name;

    @Option(
            names = "--zk-root",
            defaultValue = "/rbdgw",
            description = "Root of the configuration in ZooKeeper (default: ${DEFAULT-VALUE}).")
    String zkRoot;

    @Option(
            names = "--listen",
            paramLabel = "HOST:PORT",
            defaultValue = "0.0.0.0:3260",
            description = "Portal address; repeat for several (default: ${DEFAULT-VALUE}).")
    List<String> listen;

    @Option(
            names = "--data-dir",
            defaultValue = "./data",
            description =
                    "Directory that relative paths of file disks are resolved against (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--retry-interval",
            defaultValue = "10",
            description = "Seconds between attempts to open disks that failed to open (default: ${DEFAULT-VALUE}).")
    int retrySeconds;

    @Option(
            names = "--zk-auth-file",
            paramLabel = "FILE",
            description = "File (mode 0600) holding user:password for ZooKeeper digest auth; every znode is then "
                    + "readable and writable by that user only. Same file as the admin API's zookeeper.authFile.")
    Path zkAuthFile;

    @Option(
            names = "--zk-insecure",
            description =
                    "Start without --zk-auth-file: the configuration, CHAP secrets included, and every znode this "
                            + "gateway creates are then open to anyone who reaches ZooKeeper. For tests and demos only.")
    boolean zkInsecure;

    @Option(
            names = "--secret-key-file",
            paramLabel = "FILE",
            description = "File (mode 0600) of the keys that decrypt the CHAP secrets in ZooKeeper: one id:base64key "
                    + "line per key, newest first. Same file as the admin API's secretKeyFile.")
    Path secretKeyFile;

    @Option(
            names = "--file-disk-root",
            paramLabel = "DIR",
            description = "Directory file disks may live in; repeat for several (default: the data directory). "
                    + "A file disk anywhere else is refused.")
    List<Path> fileDiskRoots;

    @Option(
            names = "--zk-session-timeout",
            defaultValue = "15",
            description = "ZooKeeper session timeout in seconds (default: ${DEFAULT-VALUE}).")
    int zkSessionSeconds;

    @Option(
            names = "--alua-settle",
            defaultValue = "10",
            description =
                    "Seconds a (re)joining gateway waits before the coordinator gives it LUNs (default: ${DEFAULT-VALUE}).")
    int aluaSettleSeconds;

    @Option(
            names = "--fence-seconds",
            defaultValue = "3600",
            description = "Blocklist expiry when fencing a lost gateway's RADOS client (default: ${DEFAULT-VALUE}).")
    int fenceSeconds;

    @Option(
            names = "--write-handover-timeout",
            defaultValue = "1000",
            paramLabel = "MS",
            description = "Milliseconds a gateway waits for the holder of a disk's write token to hand it over "
                    + "before it fences the holder (default: ${DEFAULT-VALUE}).")
    int writeHandoverMillis;

    @Option(
            names = "--write-token-hold",
            defaultValue = "2000",
            paramLabel = "MS",
            description = "Milliseconds a write token stays with the gateway that got it before a gateway that is "
                    + "not the disk's ALUA owner may ask for it (default: ${DEFAULT-VALUE}).")
    int writeHoldMillis;

    @Option(
            names = "--write-token-wait",
            defaultValue = "1500",
            paramLabel = "MS",
            description = "Milliseconds a write waits for its disk's write token before it ends with a retryable "
                    + "02/04/0A; keep it below the hosts' path timeout (default: ${DEFAULT-VALUE}).")
    int writeWaitMillis;

    @Option(
            names = "--pr-ack-timeout",
            defaultValue = "2000",
            paramLabel = "MS",
            description = "Milliseconds a SCSI reservation change waits for every other gateway serving the disk to "
                    + "apply it before it fences the late ones (the PERSISTENT RESERVE OUT answers only then; BUSY if "
                    + "they cannot be fenced), "
                    + ClusterReservations.MIN_ACK_TIMEOUT_MILLIS
                    + "-"
                    + ClusterReservations.MAX_ACK_TIMEOUT_MILLIS
                    + " (default: ${DEFAULT-VALUE}).")
    long prAckTimeoutMillis;

    /** {@code --pr-ack-timeout}, checked. */
    Duration prAckTimeout() {
        return ClusterReservations.ackTimeout(prAckTimeoutMillis, "--pr-ack-timeout");
    }

    @Override
    public Integer call() throws Exception {
        if (zkAuthFile == null && !zkInsecure) {
            // deny by default: an unauthenticated gateway would also create an ACL-less tree
            throw new IllegalArgumentException("no --zk-auth-file: give the ZooKeeper credential file (user:password, "
                    + "mode 0600), or --zk-insecure to accept a configuration open to anyone who reaches ZooKeeper");
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String l : listen) {
            addresses.add(HostPort.parse(l, Portal.DEFAULT_PORT));
        }
        if (retrySeconds <= 0) {
            throw new IllegalArgumentException("--retry-interval must be positive");
        }
        if (aluaSettleSeconds < 0 || fenceSeconds <= 0) {
            throw new IllegalArgumentException(
                    "--alua-settle must not be negative and --fence-seconds must be positive");
        }
        if (writeHandoverMillis <= 0 || writeHoldMillis < 0 || writeWaitMillis <= 0) {
            throw new IllegalArgumentException("--write-handover-timeout and --write-token-wait must be positive, "
                    + "--write-token-hold not negative");
        }
        Duration prAckTimeout = prAckTimeout();
        gw.connectionSettings(); // its range checks, before anything starts
        // LUN images live here: the gateway's user only (fixes what older versions left readable)
        PrivateDirs.create(dataDir);
        PrivateDirs.tighten(dataDir);
        SecretBox secrets = secretKeyFile == null ? null : SecretBox.load(secretKeyFile);
        if (secrets == null) {
            log.warn("no --secret-key-file: encrypted CHAP secrets cannot be used (their logins fail)");
        }

        ZkCredentials zkCredentials = zkAuthFile == null ? null : ZkCredentials.fromFile(zkAuthFile);
        if (zkCredentials == null) {
            log.warn(
                    "--zk-insecure: the configuration, CHAP secrets included, is open to anyone who reaches "
                            + "ZooKeeper {}",
                    zookeeper);
        }
        CuratorFrameworkFactory.Builder zkBuilder = CuratorFrameworkFactory.builder()
                .connectString(zookeeper)
                .sessionTimeoutMs(zkSessionSeconds * 1000)
                .connectionTimeoutMs(5000)
                // operations give up after a few tries; the watcher and membership retry on reconnection
                .retryPolicy(new BoundedExponentialBackoffRetry(200, 5000, 5));
        CuratorFramework zk = (zkCredentials == null ? zkBuilder : zkCredentials.applyTo(zkBuilder)).build();
        zk.start();
        if (zkCredentials != null) {
            zkCredentials.secureTreeWhenConnected(zk, zkRoot);
        }
        ConfigStore store = new ConfigStore(zk, zkRoot, secrets);
        ConnectionSettings settings = gw.connectionSettings();
        ClusterGateway gateway = new ClusterGateway(
                store,
                new ClusterGateway.Options(
                        name,
                        addresses,
                        settings,
                        gw.ioThreads,
                        dataDir,
                        gw.cephConf,
                        gw.cephId,
                        Duration.ofSeconds(retrySeconds),
                        Duration.ofSeconds(aluaSettleSeconds),
                        fenceSeconds,
                        gw.metricsAddress(),
                        secrets,
                        fileDiskRoots,
                        new WriteTokens.Options(
                                Duration.ofMillis(writeHandoverMillis),
                                Duration.ofMillis(writeHoldMillis),
                                Duration.ofSeconds(zkSessionSeconds)),
                        Duration.ofMillis(writeWaitMillis),
                        prAckTimeout));
        List<Portal> portals = gateway.portals();
        gateway.start();

        if (!zk.blockUntilConnected(3, TimeUnit.SECONDS)) {
            log.warn(
                    "ZooKeeper {} is not reachable yet; serving nothing until the first configuration arrives "
                            + "(still trying)",
                    zookeeper);
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        Shutdown.onTermination(stopRequested::countDown);
        System.out.println("rbdgw gateway " + name + " is up");
        System.out.println("  version:   " + Main.version());
        for (Portal p : portals) {
            System.out.println("  portal:    " + p);
        }
        System.out.println("  zookeeper: " + zookeeper + " " + zkRoot);
        if (gateway.metricsUrl() != null) {
            System.out.println("  metrics:   " + gateway.metricsUrl());
        }
        System.out.flush();
        stopRequested.await();

        gateway.close();
        store.close();
        // With ZooKeeper unreachable, Curator's close retries removing this gateway's ephemeral nodes for tens of
        // seconds; they expire with the session anyway, so the stop is not held up for them.
        Thread closer = new Thread(zk::close, "zookeeper-close");
        closer.setDaemon(true);
        closer.start();
        closer.join(5000);
        if (closer.isAlive()) {
            log.warn("ZooKeeper {} unreachable while stopping: this gateway's session ends by expiry", zookeeper);
        }
        log.info("stopped");
        return 0;
    }
}
