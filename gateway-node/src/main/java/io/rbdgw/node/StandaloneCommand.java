package io.rbdgw.node;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.FileBlockDevice;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.block.rbd.RbdBlockDevice;
import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.IscsiServer;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetEntry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.ScsiTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default: one target with one LUN (a sparse file in the data directory, or memory),
 * served on one portal. No Ceph, no ZooKeeper.
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Serve one iSCSI target with one LUN backed by a file (or memory) on this machine.")
public final class StandaloneCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(StandaloneCommand.class);

    @Option(names = "--data-dir", defaultValue = "./data", description = "Directory for the LUN file (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--listen", defaultValue = "127.0.0.1:3260", description = "Portal address HOST:PORT (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--lun-size", defaultValue = "1G", description = "Size of the LUN when it is created (default: ${DEFAULT-VALUE}); an existing file keeps its size.")
    String lunSize;

    @Option(names = "--memory", description = "Serve a memory LUN (contents lost at exit) instead of the file.")
    boolean memory;

    @Option(names = "--rbd", paramLabel = "POOL/IMAGE",
            description = "Serve an existing RBD image instead of the file (needs --ceph-conf).")
    String rbd;

    @Option(names = "--ceph-conf", paramLabel = "FILE", description = "ceph.conf of the cluster holding --rbd.")
    Path cephConf;

    @Option(names = "--ceph-id", defaultValue = "admin", paramLabel = "NAME",
            description = "Ceph client name without 'client.' (default: ${DEFAULT-VALUE}); its keyring is found through ceph.conf.")
    String cephId;

    @Option(names = "--target-iqn", defaultValue = "iqn.2026-11.io.rbdgw:standalone", description = "Target name (default: ${DEFAULT-VALUE}).")
    String targetIqn;

    @Option(names = "--chap-user", description = "Require CHAP: the user name initiators log in with.")
    String chapUser;

    @Option(names = "--chap-secret", description = "Require CHAP: the secret initiators prove (12-16 characters recommended).")
    String chapSecret;

    @Option(names = "--mutual-chap-user", description = "Mutual CHAP: the user name the target answers with.")
    String mutualUser;

    @Option(names = "--mutual-chap-secret", description = "Mutual CHAP: the target's own secret.")
    String mutualSecret;

    @Option(names = "--nop-interval", defaultValue = "5", description = "Seconds of silence before a NOP-In ping (default: ${DEFAULT-VALUE}).")
    int nopInterval;

    @Option(names = "--nop-timeout", defaultValue = "5", description = "Seconds an initiator has to answer a ping (default: ${DEFAULT-VALUE}).")
    int nopTimeout;

    @Option(names = "--io-threads", defaultValue = "2", description = "Event-loop threads (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Override
    public Integer call() throws Exception {
        if ((chapUser == null) != (chapSecret == null)) {
            throw new IllegalArgumentException("--chap-user and --chap-secret go together");
        }
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new IllegalArgumentException("--mutual-chap-user and --mutual-chap-secret go together");
        }
        if (mutualUser != null && chapUser == null) {
            throw new IllegalArgumentException("mutual CHAP needs --chap-user/--chap-secret as well");
        }
        long size = Sizes.parse(lunSize);
        InetSocketAddress address = HostPort.parse(listen, 3260);

        if (rbd != null && memory) {
            throw new IllegalArgumentException("--rbd and --memory exclude each other");
        }
        RbdCluster cluster = null;
        BlockDevice device;
        String lunDescription;
        if (rbd != null) {
            int slash = rbd.indexOf('/');
            if (slash <= 0 || slash == rbd.length() - 1) {
                throw new IllegalArgumentException("--rbd wants POOL/IMAGE, not '" + rbd + "'");
            }
            if (cephConf == null) {
                throw new IllegalArgumentException("--rbd needs --ceph-conf FILE");
            }
            cluster = RbdCluster.connect(cephId, cephConf);
            device = cluster.images(rbd.substring(0, slash)).open(rbd.substring(slash + 1));
            lunDescription = "rbd " + rbd + " (client." + cephId + ")";
        } else if (memory) {
            long heap = Runtime.getRuntime().maxMemory();
            if (size > heap - (256L << 20)) {
                // The memory LUN lives on the Java heap; running out of it mid-I/O helps nobody.
                throw new IllegalArgumentException("a memory LUN of " + size + " bytes does not fit in this JVM's heap ("
                        + heap + " bytes): use a smaller --lun-size or start java with -Xmx larger than the LUN");
            }
            device = new MemoryBlockDevice(size, 512, "memory:" + targetIqn + "/0");
            lunDescription = "memory";
        } else {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("lun0.img");
            device = FileBlockDevice.open(file, size, 512);
            lunDescription = file.toAbsolutePath().toString();
        }
        ScsiTarget scsi = new ScsiTarget();
        LogicalUnit lu = LogicalUnits.create(0, device);
        scsi.addLun(lu);
        if (device instanceof RbdBlockDevice image) {
            // `rbd resize` elsewhere: hosts learn it through CAPACITY DATA HAS CHANGED.
            image.onResize(lu::capacityChanged);
        }

        ChapSecret chap = chapUser == null ? null : new ChapSecret(chapUser, chapSecret);
        ChapSecret mutual = mutualUser == null ? null : new ChapSecret(mutualUser, mutualSecret);
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(targetIqn, "rbdgw standalone", 1, chap, mutual, i -> true), scsi));

        ConnectionSettings settings = ConnectionSettings.defaults()
                .withNopIn(java.time.Duration.ofSeconds(nopInterval), java.time.Duration.ofSeconds(nopTimeout));
        IscsiServer server = new IscsiServer(targets, new SessionRegistry(), settings, ioThreads);
        InetSocketAddress bound = server.bind(address);

        // SIGTERM and SIGINT end the wait below; the main thread then shuts down in order and the
        // process exits 0, so a service manager sees a clean stop.
        CountDownLatch stopRequested = new CountDownLatch(1);
        Shutdown.onTermination(stopRequested::countDown);

        String host = bound.getAddress().getHostAddress();
        String portal = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort();
        System.out.println("rbdgw standalone gateway is up");
        System.out.println("  target:  " + targetIqn);
        System.out.println("  LUN 0:   " + lunDescription + ", " + device.info().sizeBytes() + " bytes");
        System.out.println("  portal:  " + portal);
        System.out.println("  LUN URL: iscsi://" + portal + "/" + targetIqn + "/0");
        System.out.flush();
        stopRequested.await();
        log.info("stopping: closing the portal and the LUN");
        server.close();
        lu.close();
        device.close();
        if (cluster != null) {
            cluster.close();
        }
        log.info("stopped");
        return 0;
    }
}
