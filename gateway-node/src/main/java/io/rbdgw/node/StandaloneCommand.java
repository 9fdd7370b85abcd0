package io.rbdgw.node;

import io.dropwizard.jetty.ConnectorFactory;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.admin.tls.Pem;
import io.rbdgw.block.rbd.CephException;
import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.PrivateFiles;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.zk.ZkCredentials;
import io.rbdgw.iscsi.session.ConnectionSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default: one JVM with a ZooKeeper server (data in the data directory), a gateway driven
 * by the configuration kept there, and the admin API. On first start the configuration is seeded
 * with one target and LUN 0 (a sparse file, memory, or an RBD image); after that the configuration
 * in the data directory is what counts, and the admin API changes it.
 */
@Command(
        name = "standalone",
        mixinStandardHelpOptions = true,
        description = "Run a single-node system: embedded ZooKeeper, one gateway and the admin API.")
public final class StandaloneCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin
    GatewayOptions gw = new GatewayOptions();

    private static final Logger log = LoggerFactory.getLogger(StandaloneCommand.class);

    static final String GATEWAY_NAME = "standalone";
    static final String ZK_ROOT = "/rbdgw";
    /** The embedded ZooKeeper's digest credentials (user:password), generated on first start. */
    static final String ZK_AUTH_FILE = "zookeeper-auth";
    /** The key that encrypts CHAP secrets in ZooKeeper, generated on first start. */
    static final String SECRET_KEY_FILE = "secret.key";

    @Option(
            names = "--data-dir",
            defaultValue = "./data",
            description =
                    "Directory for ZooKeeper's data, LUN files and the admin password (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--listen",
            defaultValue = "127.0.0.1:3260",
            description = "Portal address HOST:PORT (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(
            names = "--admin-listen",
            defaultValue = "127.0.0.1:5000",
            description = "Admin API address HOST:PORT (default: ${DEFAULT-VALUE}).")
    String adminListen;

    @Option(
            names = "--admin-password-file",
            paramLabel = "FILE",
            description =
                    "File whose first line is the password of the API user 'admin'; without it one is generated into DATA_DIR/admin-password.")
    Path adminPasswordFile;

    @Option(
            names = "--admin-tls-cert",
            paramLabel = "FILE",
            description = "PEM certificate (chain) of the admin API; with --admin-tls-key it serves HTTPS.")
    Path adminTlsCert;

    @Option(
            names = "--admin-tls-key",
            paramLabel = "FILE",
            description = "PEM (unencrypted PKCS#8) private key of --admin-tls-cert.")
    Path adminTlsKey;

    @Option(
            names = "--admin-insecure",
            description =
                    "Allow plain HTTP for the admin API on a non-loopback --admin-listen (the password crosses the network in clear).")
    boolean adminInsecure;

    @Option(
            names = "--zk-listen",
            defaultValue = "127.0.0.1:0",
            description = "Embedded ZooKeeper address HOST:PORT; port 0 picks a free one (default: ${DEFAULT-VALUE}).")
    String zkListen;

    @Option(
            names = "--lun-size",
            defaultValue = "1G",
            description = "Size of LUN 0 when the configuration is first created (default: ${DEFAULT-VALUE}).")
    String lunSize;

    @Option(
            names = "--memory",
            description = "Seed LUN 0 as a memory disk (contents lost at exit) instead of the file.")
    boolean memory;

    @Option(
            names = "--rbd",
            paramLabel = "POOL/IMAGE",
            description = "Seed LUN 0 as an existing RBD image instead of the file (needs --ceph-conf).")
    String rbd;

    @Option(
            names = "--target-iqn",
            defaultValue = "iqn.2026-11.io.rbdgw:standalone",
            description = "Name of the seeded target (default: ${DEFAULT-VALUE}).")
    String targetIqn;

    @Option(
            names = "--chap-user",
            description = "Seed the target with CHAP: the user name initiators log in with (8-64 characters).")
    String chapUser;

    @Option(
            names = "--chap-secret",
            description = "Seed the target with CHAP: the secret initiators prove (12-255 characters).")
    String chapSecret;

    @Option(names = "--mutual-chap-user", description = "Mutual CHAP: the user name the target answers with.")
    String mutualUser;

    @Option(names = "--mutual-chap-secret", description = "Mutual CHAP: the target's own secret.")
    String mutualSecret;

    @Option(
            names = "--chap-secret-file",
            paramLabel = "FILE",
            description =
                    "Like --chap-secret, but the secret is the first line of FILE (mode 0600), so it is not visible in ps.")
    Path chapSecretFile;

    @Option(
            names = "--mutual-chap-secret-file",
            paramLabel = "FILE",
            description = "Like --mutual-chap-secret, from the first line of FILE (mode 0600).")
    Path mutualSecretFile;

    @Override
    public Integer call() throws Exception {
        try (Running r = start()) {
            CountDownLatch stopRequested = new CountDownLatch(1);
            Shutdown.onTermination(stopRequested::countDown);
            printBanner(r.portal, r.api, r.zkServer, r.store.read(), r.gateway.metricsUrl());
            stopRequested.await();
            log.info("stopping: admin API, gateway, ZooKeeper");
        }
        log.info("stopped");
        return 0;
    }

    /** A started standalone system; closing stops it in order: admin API, gateway, ZooKeeper. */
    static final class Running implements AutoCloseable {
        final EmbeddedZooKeeper zkServer;
        final CuratorFramework zk;
        final ConfigStore store;
        final ClusterGateway gateway;
        final Portal portal;
        final AdminServer api;

        Running(
                EmbeddedZooKeeper zkServer,
                CuratorFramework zk,
                ConfigStore store,
                ClusterGateway gateway,
                Portal portal,
                AdminServer api) {
            this.zkServer = zkServer;
            this.zk = zk;
            this.store = store;
            this.gateway = gateway;
            this.portal = portal;
            this.api = api;
        }

        @Override
        public void close() {
            api.close();
            gateway.close();
            store.close();
            zk.close();
            zkServer.close();
        }
    }

    /** Starts everything and returns once the gateway serves (or gave up waiting for its first configuration). */
    Running start() throws Exception {
        gw.connectionSettings(); // its range checks, before anything starts
        if (chapSecretFile != null) {
            if (chapSecret != null) {
                throw new IllegalArgumentException("--chap-secret and --chap-secret-file exclude each other");
            }
            chapSecret = secretFromFile(chapSecretFile, "--chap-secret-file");
        }
        if (mutualSecretFile != null) {
            if (mutualSecret != null) {
                throw new IllegalArgumentException(
                        "--mutual-chap-secret and --mutual-chap-secret-file exclude each other");
            }
            mutualSecret = secretFromFile(mutualSecretFile, "--mutual-chap-secret-file");
        }
        if ((chapUser == null) != (chapSecret == null)) {
            throw new IllegalArgumentException("--chap-user and --chap-secret (or --chap-secret-file) go together");
        }
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new IllegalArgumentException(
                    "--mutual-chap-user and --mutual-chap-secret (or --mutual-chap-secret-file) go together");
        }
        if (mutualUser != null && chapUser == null) {
            throw new IllegalArgumentException("mutual CHAP needs --chap-user/--chap-secret as well");
        }
        if (rbd != null && memory) {
            throw new IllegalArgumentException("--rbd and --memory exclude each other");
        }
        if (rbd != null && gw.cephConf == null) {
            throw new IllegalArgumentException("--rbd needs --ceph-conf FILE");
        }
        long size = Sizes.parse(lunSize);
        Disk seedDisk = seedDisk(size);
        Authentication seedAuth = seedAuth();
        InetSocketAddress portal = HostPort.parse(listen, Portal.DEFAULT_PORT);
        InetSocketAddress admin = HostPort.parse(adminListen, 5000);
        checkAdminTransport(admin);
        // a certificate and key that cannot be used stop the command before anything starts
        ConnectorFactory adminTls = adminTlsCert == null
                ? null
                : Pem.httpsConnector(admin.getAddress().getHostAddress(), admin.getPort(), adminTlsCert, adminTlsKey);
        InetSocketAddress zkAddress = HostPort.parse(zkListen, 0);
        if (!zkAddress.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("--zk-listen must be a loopback address (127.0.0.1): the embedded "
                    + "ZooKeeper serves this process only, not '" + zkListen + "'");
        }
        // Everything in the data directory (LUN images, ZooKeeper's logs and snapshots, credentials) is for this
        // process only: files ZooKeeper creates get their mode from the umask, so the umask is narrowed too.
        PrivateDirs.restrictUmask();
        PrivateDirs.create(dataDir);
        PrivateDirs.tighten(dataDir);
        String passwordHash = adminPasswordHash();
        ZkCredentials zkCredentials = ZkCredentials.generateIfAbsent(dataDir.resolve(ZK_AUTH_FILE), "standalone");
        SecretBox secrets = SecretBox.generateIfAbsent(dataDir.resolve(SECRET_KEY_FILE));

        EmbeddedZooKeeper zkServer = EmbeddedZooKeeper.start(dataDir.resolve("zookeeper"), zkAddress);
        CuratorFramework zk = zkCredentials
                .applyTo(CuratorFrameworkFactory.builder()
                        .connectString(zkServer.connectString())
                        .sessionTimeoutMs(15_000)
                        .connectionTimeoutMs(5_000)
                        .retryPolicy(new BoundedExponentialBackoffRetry(100, 2_000, 10)))
                .build();
        zk.start();
        if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                    "the embedded ZooKeeper at " + zkServer.connectString() + " did not answer");
        }
        // a data directory from a version without ACLs: close its tree before anything else reads it
        zkCredentials.secureTree(zk, ZK_ROOT);
        ConfigStore store = new ConfigStore(zk, ZK_ROOT, secrets);
        store.initialize();

        ConnectionSettings settings = gw.connectionSettings();
        // One gateway: it elects itself coordinator and owns every LUN (Active/Optimized) at once.
        ClusterGateway gateway = new ClusterGateway(
                store,
                new ClusterGateway.Options(
                        GATEWAY_NAME,
                        List.of(portal),
                        settings,
                        gw.ioThreads,
                        dataDir,
                        gw.cephConf,
                        gw.cephId,
                        Duration.ofSeconds(10),
                        Duration.ZERO,
                        3600,
                        gw.metricsAddress(),
                        secrets,
                        null,
                        null,
                        null,
                        null));
        Portal bound = gateway.portals().get(0);
        long epoch = seed(store, bound, seedDisk, seedAuth);
        gateway.start();
        try {
            gateway.reconciler().awaitApplied(epoch, Duration.ofSeconds(60));
            if (!gateway.awaitPortalsOpen(ClusterGateway.ALUA_WAIT.plusSeconds(5))) {
                log.warn("the iSCSI portal is not serving yet (no ALUA state); connections are reset until it is");
            }
        } catch (TimeoutException e) {
            log.warn("the configuration (epoch {}) is not applied yet; see the errors above", epoch);
        }

        AdminServer.Options adminOptions = AdminServer.Options.of(store, passwordHash)
                .withListen(admin.getAddress().getHostAddress(), admin.getPort());
        if (adminTls != null) {
            adminOptions = adminOptions.withConnector(adminTls);
            log.info(
                    "admin API certificate {}: SHA-256 {}",
                    adminTlsCert,
                    Pem.fingerprint(Pem.certificates(adminTlsCert).get(0)));
        }
        AdminServer api = AdminServer.start(adminOptions
                .withDataDir(dataDir.resolve("disks"))
                .withCeph(
                        gw.cephConf == null
                                ? CephAccess.none()
                                : CephAccess.lazy(RbdCluster.Options.of(gw.cephId, gw.cephConf))));
        return new Running(zkServer, zk, store, gateway, bound, api);
    }

    /** The first line of a CHAP secret file, which only its owner may read (the secret stays out of ps). */
    private static String secretFromFile(Path file, String option) throws IOException {
        String text = PrivateFiles.read(file, option.substring(2));
        String line = text.lines().findFirst().orElse("").strip();
        if (line.isEmpty()) {
            throw new IllegalArgumentException(option + " " + file + " is empty");
        }
        return line;
    }

    private Disk seedDisk(long size) {
        if (rbd != null) {
            int slash = rbd.indexOf('/');
            if (slash <= 0 || slash == rbd.length() - 1) {
                throw new IllegalArgumentException("--rbd wants POOL/IMAGE, not '" + rbd + "'");
            }
            String pool = rbd.substring(0, slash);
            String image = rbd.substring(slash + 1);
            // The image must exist; its own size is what the disk records.
            try (RbdCluster cluster = RbdCluster.connect(gw.cephId, gw.cephConf)) {
                return Disk.rbd(pool, image, cluster.images(pool).size(image));
            } catch (CephException e) {
                throw new IllegalArgumentException("cannot use RBD image " + rbd + ": " + e.getMessage(), e);
            }
        }
        if (memory) {
            BackstoreOpener.checkFitsHeap("memory/lun0", size);
            return Disk.memory("memory", "lun0", size);
        }
        return Disk.file("local", "lun0", size, "lun0.img");
    }

    private Authentication seedAuth() {
        if (chapUser == null) {
            return Authentication.NONE;
        }
        ChapCredentials chap = new ChapCredentials(chapUser, chapSecret);
        ChapCredentials mutual = mutualUser == null ? null : new ChapCredentials(mutualUser, mutualSecret);
        return new Authentication(chap, mutual);
    }

    /**
     * The first start writes the gateway, LUN 0's disk and the target (ACL off: every initiator may
     * log in, with CHAP if asked for). A configuration that exists is left as it is, except that this
     * gateway's portal follows --listen. Returns the epoch to wait for.
     */
    private long seed(ConfigStore store, Portal portal, Disk disk, Authentication auth) {
        return store.update(
                current -> {
                    List<ConfigChange> changes = new ArrayList<>();
                    Gateway self = new Gateway(GATEWAY_NAME, List.of(portal), 1);
                    if (!current.gateway(GATEWAY_NAME).filter(self::equals).isPresent()) {
                        changes.add(new ConfigChange.PutGateway(self));
                    }
                    if (current.targets().isEmpty() && current.disks().isEmpty()) {
                        changes.add(new ConfigChange.PutDisk(disk));
                        changes.add(new ConfigChange.PutTarget(
                                new Target(targetIqn, "rbdgw standalone", false, auth, null)));
                        changes.add(new ConfigChange.PutLun(new Lun(targetIqn, 0, disk.id())));
                    } else {
                        log.info(
                                "using the configuration in {} (epoch {}); the LUN and CHAP options only seed a new one",
                                dataDir.resolve("zookeeper"),
                                current.epoch());
                    }
                    return changes;
                },
                8);
    }

    /**
     * The admin API's password must not cross a network in clear: off loopback it needs TLS, or an explicit
     * --admin-insecure. Checked before anything starts.
     */
    void checkAdminTransport(InetSocketAddress admin) {
        if ((adminTlsCert == null) != (adminTlsKey == null)) {
            throw new IllegalArgumentException("--admin-tls-cert and --admin-tls-key go together");
        }
        if (adminTlsCert == null && !adminInsecure && !admin.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException(
                    "--admin-listen " + adminListen + " is not a loopback address: give the admin API "
                            + "a certificate (--admin-tls-cert FILE --admin-tls-key FILE) or accept plain HTTP with --admin-insecure");
        }
    }

    /** The API password's hash: from --admin-password-file, else from DATA_DIR/admin-password, made once. */
    private String adminPasswordHash() throws IOException {
        Path file = adminPasswordFile;
        if (file == null) {
            file = dataDir.resolve("admin-password");
            if (!Files.exists(file)) {
                byte[] raw = new byte[18];
                new SecureRandom().nextBytes(raw);
                String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, generated + "\n", StandardCharsets.UTF_8);
                log.info("generated a password for the admin API user 'admin' in {}", file.toAbsolutePath());
            }
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            throw new IllegalArgumentException("the admin password file " + file + " is empty");
        }
        return PasswordHash.hash(lines.get(0).strip().toCharArray(), PasswordHash.DEFAULT_ITERATIONS);
    }

    private void printBanner(
            Portal portal, AdminServer api, EmbeddedZooKeeper zkServer, ClusterConfig config, String metricsUrl) {
        String p = (portal.host().indexOf(':') >= 0 ? "[" + portal.host() + "]" : portal.host()) + ":" + portal.port();
        System.out.println("rbdgw standalone gateway is up");
        System.out.println("  version:   " + Main.version());
        System.out.println("  portal:    " + p);
        if (metricsUrl != null) {
            System.out.println("  metrics:   " + metricsUrl);
        }
        for (Target t : config.targets()) {
            System.out.println("  target:    " + t.iqn());
            for (Lun l : config.luns(t.iqn())) {
                Disk d = config.disk(l.diskId()).orElse(null);
                System.out.println("  LUN " + l.number() + ":     " + describe(d));
                System.out.println("  LUN URL: iscsi://" + p + "/" + t.iqn() + "/" + l.number());
            }
        }
        System.out.println("  admin API: " + api.uri() + "  (user admin, password in "
                + (adminPasswordFile != null ? adminPasswordFile : dataDir.resolve("admin-password")) + "; OpenAPI at "
                + api.uri().resolve("/openapi.json") + ")");
        System.out.println("  zookeeper: " + zkServer.connectString() + " " + ZK_ROOT + " (data in "
                + dataDir.resolve("zookeeper") + ")");
        System.out.flush();
    }

    private String describe(Disk d) {
        if (d == null) {
            return "(missing disk)";
        }
        return switch (d.backstore()) {
            case FILE -> dataDir.resolve(d.path()).toAbsolutePath() + ", " + d.size() + " bytes";
            case MEMORY -> "memory, " + d.size() + " bytes";
            case RBD -> "rbd " + d.id() + " (client." + gw.cephId + ")";
        };
    }
}
