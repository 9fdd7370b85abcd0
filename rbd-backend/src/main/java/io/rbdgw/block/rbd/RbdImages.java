package io.rbdgw.block.rbd;

import com.ceph.rados.IoCTX;
import com.ceph.rbd.Rbd;
import com.ceph.rbd.RbdException;
import com.ceph.rbd.RbdImage;
import com.ceph.rbd.jna.RbdSnapInfo;
import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image lifecycle in one pool (management path, synchronous): create, list, resize, snapshots,
 * delete, and {@link #open} for I/O. Uses rados-java where it covers the call. Failures are
 * {@link CephException}s whose {@link CephException#reason()} tells a missing image from missing caps.
 */
public final class RbdImages {
    private static final Logger LOG = LoggerFactory.getLogger(RbdImages.class);

    public static final long LAYERING = 1;
    public static final long EXCLUSIVE_LOCK = 4;
    public static final long OBJECT_MAP = 8;
    public static final long FAST_DIFF = 16;
    public static final long DEEP_FLATTEN = 32;
    public static final long JOURNALING = 64;
    /** RBD_FEATURE_LAYERING | EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF | DEEP_FLATTEN: the CLI default (61). */
    public static final long DEFAULT_FEATURES = LAYERING | EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF | DEEP_FLATTEN;
    /**
     * What the gateways expect: every gateway writes every image at once (ALUA non-optimized paths serve I/O),
     * so an exclusive lock would move between them on every write (see docs/rbd.md); object-map and fast-diff
     * need the lock.
     */
    public static final long GATEWAY_FEATURES = LAYERING | DEEP_FLATTEN;
    /** The features that need exclusive-lock, and the lock itself. */
    static final long LOCK_FEATURES = EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF;
    /** 4 MiB objects. */
    public static final int DEFAULT_ORDER = 22;

    /** A snapshot of an image. */
    public record Snapshot(long id, String name, long sizeBytes) {}

    private final RbdCluster cluster;
    private final String pool;
    private final IoCTX ioCtx;
    private final Rbd rbd;

    RbdImages(RbdCluster cluster, String pool) throws CephException {
        this.cluster = cluster;
        this.pool = pool;
        this.ioCtx = cluster.ioCtx(pool);
        this.rbd = new Rbd(ioCtx);
    }

    public String pool() {
        return pool;
    }

    /** Creates a format-2 image with the default features and 4 MiB objects. */
    public void create(String name, long sizeBytes) throws CephException {
        create(name, sizeBytes, DEFAULT_FEATURES, DEFAULT_ORDER);
    }

    /** Creates an image; {@code order} is log2 of the object size (12..25). */
    public void create(String name, long sizeBytes, long features, int order) throws CephException {
        if (sizeBytes < 0 || order < 12 || order > 25) {
            throw new IllegalArgumentException("bad size " + sizeBytes + " or order " + order);
        }
        try {
            rbd.create(name, sizeBytes, features, order);
        } catch (RbdException e) {
            throw failure("create image", name, e);
        }
    }

    public List<String> list() throws CephException {
        try {
            return List.of(rbd.list());
        } catch (RbdException e) {
            throw failure("list images", "", e);
        }
    }

    public boolean exists(String name) throws CephException {
        return list().contains(name);
    }

    /** Deletes the image (fails with BUSY while it is open somewhere or has snapshots). */
    public void delete(String name) throws CephException {
        try {
            rbd.remove(name);
        } catch (RbdException e) {
            throw failure("delete image", name, e);
        }
    }

    /**
     * Deletes the image like {@link #delete(String)}, telling {@code percent} how far it got (0..100, as librbd
     * removes the image's objects; possibly from a librbd thread, so it must not block). A sparse image's unwritten
     * objects are skipped quickly, a written one costs a round trip each.
     */
    public void delete(String name, IntConsumer percent) throws CephException {
        Progress callback = new Progress(percent);
        int rc;
        try {
            rc = LibRbd.rbd_remove_with_progress(Pointer.nativeValue(ioCtx.getPointer()), name, callback, 0);
        } finally {
            Reference.reachabilityFence(callback); // librbd calls it until the call returns
        }
        if (rc < 0) {
            throw new CephException(
                    "delete image " + pool + "/" + name + " as client."
                            + cluster.options().clientId(),
                    rc);
        }
        callback.invoke(1, 1, 0); // librbd's last report is the last object's start, short of 100
    }

    /** Reports whole percents, each once, in increasing order. */
    private static final class Progress implements LibRbd.ProgressCallback {
        private final IntConsumer percent;
        private int last = -1;

        Progress(IntConsumer percent) {
            this.percent = percent;
        }

        @Override
        public synchronized int invoke(long offset, long total, long arg) {
            try {
                int p = total <= 0 ? 100 : (int) Math.min(100, Math.max(0, offset) * 100 / total);
                if (p > last) {
                    last = p;
                    percent.accept(p);
                }
            } catch (Throwable t) {
                // nothing may escape into librbd
                LOG.warn("progress callback of an image delete or rollback failed", t);
            }
            return 0;
        }
    }

    /** Renames the image; its id, and so the device identity, stays the same. */
    public void rename(String name, String newName) throws CephException {
        try {
            rbd.rename(name, newName);
        } catch (RbdException e) {
            throw failure("rename image", name, e);
        }
    }

    /** Grows or shrinks the image; open devices see the new size through their update watch. */
    public void resize(String name, long sizeBytes) throws CephException {
        withImage(name, image -> image.resize(sizeBytes), "resize");
    }

    public long size(String name) throws CephException {
        long[] size = new long[1];
        withImage(name, image -> size[0] = image.stat().size, "stat");
        return size[0];
    }

    public void createSnapshot(String name, String snapshot) throws CephException {
        withImage(name, image -> image.snapCreate(snapshot), "create snapshot " + snapshot + " of");
    }

    public List<Snapshot> listSnapshots(String name) throws CephException {
        List<Snapshot> out = new ArrayList<>();
        withImage(
                name,
                image -> {
                    for (RbdSnapInfo s : image.snapList()) {
                        out.add(new Snapshot(s.id, s.name, s.size));
                    }
                },
                "list snapshots of");
        return out;
    }

    /** Rolls the image back to the snapshot; do it while no gateway has the image open for I/O. */
    public void rollbackSnapshot(String name, String snapshot) throws CephException {
        rollbackSnapshot(name, snapshot, percent -> {});
    }

    /**
     * Rolls the image back to the snapshot, telling {@code percent} how far it got (whole percents, increasing,
     * ending at 100; from librbd's threads, so it must not block). A rollback rewrites every object of the image.
     */
    public void rollbackSnapshot(String name, String snapshot, IntConsumer percent) throws CephException {
        Progress callback = new Progress(percent);
        withImage(
                name,
                image -> {
                    int rc;
                    try {
                        rc = LibRbd.rbd_snap_rollback_with_progress(
                                Pointer.nativeValue(image.getPointer()), snapshot, callback, 0);
                    } finally {
                        Reference.reachabilityFence(callback); // librbd calls it until the call returns
                    }
                    if (rc < 0) {
                        throw new RbdException("rbd_snap_rollback_with_progress", rc);
                    }
                },
                "roll back to snapshot " + snapshot + " of");
        callback.invoke(1, 1, 0);
    }

    public void deleteSnapshot(String name, String snapshot) throws CephException {
        withImage(name, image -> image.snapRemove(snapshot), "delete snapshot " + snapshot + " of");
    }

    public long features(String name) throws CephException {
        long[] f = new long[1];
        withImage(
                name,
                image -> {
                    int rc = LibRbd.rbd_get_features(Pointer.nativeValue(image.getPointer()), f);
                    if (rc < 0) {
                        throw new RbdException("rbd_get_features", rc);
                    }
                },
                "read the features of");
        return f[0];
    }

    /**
     * Makes the image fit for the gateways: disables exclusive-lock, object-map and fast-diff (whichever are
     * on). librbd asks a client that holds the lock to release it, which librbd clients do unless they took it
     * explicitly (as tcmu-runner does for ceph-iscsi); then this fails and nothing changes. Refuses an image with
     * journaling (rbd-mirror's journal mode needs the lock). Returns the bits disabled (0: nothing to do).
     */
    public long disableExclusiveLock(String name) throws CephException {
        long[] out = new long[1];
        CephException[] failure = new CephException[1];
        withImage(
                name,
                image -> {
                    try {
                        out[0] = disableExclusiveLock(Pointer.nativeValue(image.getPointer()), pool + "/" + name);
                    } catch (CephException e) {
                        failure[0] = e;
                    }
                },
                "update the features of");
        if (failure[0] != null) {
            throw failure[0];
        }
        return out[0];
    }

    /** The feature bits of an open image. */
    private static long features(long image, String what) throws CephException {
        long[] f = new long[1];
        int rc = LibRbd.rbd_get_features(image, f);
        if (rc < 0) {
            throw new CephException("cannot read the features of image " + what, rc);
        }
        return f[0];
    }

    static long lockFeatures(long image, String what) throws CephException {
        return features(image, what) & (LOCK_FEATURES | JOURNALING);
    }

    static long disableExclusiveLock(long image, String what) throws CephException {
        long features = features(image, what);
        long disable = features & LOCK_FEATURES;
        if (disable == 0) {
            return 0;
        }
        if ((features & JOURNALING) != 0) {
            throw new CephException(
                    "image " + what + " has journaling (rbd-mirror journal mode), which needs "
                            + "exclusive-lock; the gateways cannot serve it without the lock moving between them: "
                            + disableCommand(what, disable | JOURNALING) + " after taking it out of mirroring",
                    -Errno.EBUSY);
        }
        int rc = LibRbd.rbd_update_features(image, disable, (byte) 0);
        if (rc < 0) {
            throw new CephException(
                    "cannot disable " + featureNames(disable) + " of image " + what
                            + " (another client holds its exclusive lock and does not release it?): stop that client and run "
                            + disableCommand(what, disable),
                    rc);
        }
        return disable;
    }

    /** The {@code rbd feature disable} command that takes {@code features} off {@code poolImage}. */
    public static String disableCommand(String poolImage, long features) {
        return "rbd feature disable " + poolImage + " " + featureNames(features);
    }

    /** The names of the lock-related feature bits, dependents first (the order rbd accepts them in). */
    public static String featureNames(long features) {
        List<String> names = new ArrayList<>();
        if ((features & JOURNALING) != 0) {
            names.add("journaling");
        }
        if ((features & FAST_DIFF) != 0) {
            names.add("fast-diff");
        }
        if ((features & OBJECT_MAP) != 0) {
            names.add("object-map");
        }
        if ((features & EXCLUSIVE_LOCK) != 0) {
            names.add("exclusive-lock");
        }
        return String.join(" ", names);
    }

    /** Opens the image for I/O with the default {@link RbdBlockDevice.Options}. */
    public RbdBlockDevice open(String name) throws CephException {
        return RbdBlockDevice.open(cluster, pool, name);
    }

    private interface ImageAction {
        void run(RbdImage image) throws RbdException;
    }

    private void withImage(String name, ImageAction action, String what) throws CephException {
        RbdImage image;
        try {
            image = rbd.open(name);
        } catch (RbdException e) {
            throw failure("open image", name, e);
        }
        try {
            action.run(image);
        } catch (RbdException e) {
            throw failure(what, name, e);
        } finally {
            try {
                rbd.close(image);
            } catch (RbdException e) {
                // the handle is gone either way; the action's outcome is what matters
            }
        }
    }

    private CephException failure(String what, String name, RbdException e) {
        String target = name.isEmpty() ? pool : pool + "/" + name;
        return new CephException(
                what + " " + target + " as client." + cluster.options().clientId(), e.getReturnValue(), e);
    }

    @Override
    public String toString() {
        return "RbdImages[" + pool + ", "
                + Arrays.toString(new String[] {cluster.options().clientId()}) + "]";
    }
}
