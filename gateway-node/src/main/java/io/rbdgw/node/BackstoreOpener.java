package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.FileBlockDevice;
import io.rbdgw.block.FileDiskRoots;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.block.rbd.CephException;
import io.rbdgw.block.rbd.RbdBlockDevice;
import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.block.rbd.RbdImages;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.Disk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens configured disks: RBD images through one Ceph connection for the whole gateway (made on
 * first need and re-tried, at most every {@link #CONNECT_BACKOFF_MILLIS}, while Ceph is unreachable),
 * and FILE disks as sparse files (a relative path is relative to the data directory), created or
 * grown to the configured size.
 */
public final class BackstoreOpener implements DiskOpener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BackstoreOpener.class);
    static final long CONNECT_BACKOFF_MILLIS = 5000;
    static final int BLOCK_SIZE = 512;

    private final Path dataDir;
    private final FileDiskRoots fileDiskRoots;
    private final String cephId;
    private final Path cephConf;
    private final Consumer<RbdCluster> onConnected;
    private RbdCluster cluster;
    private volatile Consumer<RbdCluster> onBlocklisted = c -> {};
    private Exception lastConnectFailure;
    private long lastConnectAttempt;
    private boolean closed;

    /**
     * @param cephConf    ceph.conf, or null when this gateway has no Ceph (RBD disks then fail)
     * @param onConnected told of the Ceph connection once it is made (to publish the RADOS address)
     */
    public BackstoreOpener(Path dataDir, Path cephConf, String cephId, Consumer<RbdCluster> onConnected) {
        this(dataDir, List.of(dataDir), cephConf, cephId, onConnected);
    }

    /**
     * @param fileDiskRoots the directories FILE disks must lie in; a path elsewhere (also through {@code ..} or a
     *                      symbolic link) is refused, whatever the configuration in ZooKeeper says
     */
    public BackstoreOpener(
            Path dataDir, List<Path> fileDiskRoots, Path cephConf, String cephId, Consumer<RbdCluster> onConnected) {
        this.fileDiskRoots = new FileDiskRoots(dataDir, fileDiskRoots);
        this.dataDir = dataDir;
        this.cephConf = cephConf;
        this.cephId = cephId;
        this.onConnected = onConnected;
    }

    @Override
    public BlockDevice open(Disk disk) throws Exception {
        if (disk.backstore() == Backstore.FILE) {
            return openFile(disk);
        }
        if (disk.backstore() == Backstore.MEMORY) {
            long size = disk.size() - disk.size() % BLOCK_SIZE;
            checkFitsHeap(disk.id(), size);
            return new MemoryBlockDevice(size, BLOCK_SIZE, "memory:" + disk.wwnSeed());
        }
        RbdCluster c = cluster();
        RbdBlockDevice device = c.images(disk.pool()).open(disk.image());
        device.onBlocklisted(() -> onBlocklisted.accept(c));
        return device;
    }

    /**
     * An image with exclusive-lock would have its lock moved between the gateways on every write (each gateway
     * serves I/O), and librbd blocklists a holder whose lock it breaks, behind the coordinator's back. The admin
     * API creates images without it and disables it on import; an image that still has it (configuration
     * written by other means, the feature enabled again) is fixed here by the disk's owner alone, when librbd can
     * (it asks a librbd holder to release the lock): gateways updating the features of one image at once once
     * hung librbd for two minutes (bench/scale.sh, 2026-12-05). Until then, and when it cannot be done (a client
     * that took the lock explicitly, journaling), the disk is served degraded, with the reason, and checked
     * again on every pass.
     */
    @Override
    public Optional<String> check(Disk disk, BlockDevice device, Changer changer) {
        if (!(device instanceof RbdBlockDevice image)) {
            return Optional.empty();
        }
        try {
            if (!changer.self()) {
                long features = image.lockFeatures();
                if (features == 0) {
                    return Optional.empty();
                }
                return Optional.of("image has " + RbdImages.featureNames(features) + ", which the gateways do "
                        + "not use; "
                        + (changer.owner() == null
                                ? "its owner disables them once the coordinator assigns one"
                                : "its owner, gateway " + changer.owner() + ", disables them")
                        + "; served meanwhile (the lock moves between the gateways on writes)");
            }
            long disabled = image.disableExclusiveLock();
            if (disabled != 0) {
                log.warn(
                        "disk {}: disabled {} on image {}/{}: every gateway writes it, so an exclusive lock "
                                + "would move between them on every write (see docs/rbd.md)",
                        disk.id(),
                        RbdImages.featureNames(disabled),
                        disk.pool(),
                        disk.image());
            }
            return Optional.empty();
        } catch (CephException e) {
            String why = "image has the exclusive-lock feature and it cannot be disabled (" + e.getMessage()
                    + "); served anyway, but the lock moves between the gateways on every write (slow) and librbd "
                    + "may blocklist a gateway whose lock it breaks";
            log.warn("disk {}: {}", disk.id(), why);
            return Optional.of(why);
        }
    }

    /** Told, with the connection concerned, when librbd answers an operation with EBLOCKLISTED. */
    public void onBlocklisted(Consumer<RbdCluster> listener) {
        this.onBlocklisted = listener;
    }

    /** The current Ceph connection, without connecting; null when there is none. */
    public synchronized RbdCluster current() {
        return cluster;
    }

    private BlockDevice openFile(Disk disk) throws IOException {
        Path path = confine(disk);
        long size = disk.size() - disk.size() % BLOCK_SIZE;
        return FileBlockDevice.open(path, size, BLOCK_SIZE, true, FileBlockDevice.DEFAULT_IO_THREADS);
    }

    /** The file of a FILE disk, refused (with the reason) unless it lies in a file disk root. */
    Path confine(Disk disk) throws IOException {
        try {
            return fileDiskRoots.confine(disk.path(), true);
        } catch (FileDiskRoots.RefusedPathException e) {
            throw new FileDiskRoots.RefusedPathException("file disk " + disk.id() + ": " + e.getMessage());
        }
    }

    /**
     * A memory disk lives on the Java heap; one that does not fit would fail mid-I/O, so it is refused
     * up front with what to do about it.
     */
    static void checkFitsHeap(String diskId, long size) {
        long heap = Runtime.getRuntime().maxMemory();
        if (size > heap - (256L << 20)) {
            throw new IllegalArgumentException("memory disk " + diskId + " of " + size
                    + " bytes does not fit in this JVM's heap (" + heap
                    + " bytes): make it smaller or start java with a larger -Xmx");
        }
    }

    /** The Ceph connection, made now if there is none (without waiting again right after a failure). */
    public synchronized RbdCluster cluster() throws Exception {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (cluster != null) {
            return cluster;
        }
        if (cephConf == null) {
            throw new IllegalStateException("RBD disks need Ceph: start the gateway with --ceph-conf FILE");
        }
        long now = System.currentTimeMillis();
        if (lastConnectFailure != null && now - lastConnectAttempt < CONNECT_BACKOFF_MILLIS) {
            throw lastConnectFailure;
        }
        lastConnectAttempt = now;
        try {
            cluster = RbdCluster.connect(cephId, cephConf);
            lastConnectFailure = null;
        } catch (CephException e) {
            lastConnectFailure = e;
            throw e;
        }
        try {
            onConnected.accept(cluster);
        } catch (RuntimeException e) {
            log.warn("cannot publish the Ceph client address: {}", e.toString());
        }
        return cluster;
    }

    /** Whether Ceph is configured for this gateway. */
    public boolean cephConfigured() {
        return cephConf != null;
    }

    /**
     * Drops the Ceph connection and makes a new one (a new RADOS client, hence a new address, published
     * through {@code onConnected}): what a gateway does once it may have been fenced. Every device opened
     * through the old connection must be closed first.
     */
    public void reconnect() {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (cluster != null) {
                cluster.close();
                cluster = null;
            }
            lastConnectFailure = null;
        }
        try {
            cluster();
        } catch (Exception e) {
            log.warn("Ceph is not reachable yet ({}); RBD disks will be retried", e.toString());
        }
    }

    /** Closes the Ceph connection (after every device opened through it is closed). */
    @Override
    public synchronized void close() {
        closed = true;
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
