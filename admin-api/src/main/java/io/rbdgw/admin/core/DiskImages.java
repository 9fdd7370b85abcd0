package io.rbdgw.admin.core;

import io.rbdgw.block.FileDiskRoots;
import io.rbdgw.block.rbd.CephException;
import io.rbdgw.block.rbd.RbdImages;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Names;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The storage behind disks: RBD images through librbd, or sparse files {@code <dataDir>/<pool>/<image>.img} for
 * standalone setups. Failures become {@link ApiException}s with a status the caller can act on.
 */
public final class DiskImages {
    /** A snapshot of an RBD image. */
    public record Snapshot(String name, long size) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    private final CephAccess ceph;
    private final Path dataDir;

    public DiskImages(CephAccess ceph, Path dataDir) {
        this.ceph = ceph;
        this.dataDir = dataDir;
    }

    public CephAccess ceph() {
        return ceph;
    }

    /**
     * The checked location of an existing file disk: the path comes from ZooKeeper, and a path outside the data
     * directory (or through a link out of it) is refused with 400, before anything touches the file.
     */
    private Path confined(Disk disk) {
        if (dataDir == null) {
            throw ApiException.badRequest("no data directory is configured for file disks");
        }
        try {
            return new FileDiskRoots(dataDir, List.of(dataDir)).confine(disk.path(), false);
        } catch (FileDiskRoots.RefusedPathException e) {
            throw ApiException.badRequest("disk " + disk.id() + ": " + e.getMessage());
        } catch (IOException e) {
            throw new ApiException(500, "cannot check " + disk.path() + ": " + e.getMessage());
        }
    }

    /** Refuses (400) a file disk whose path is outside the data directory, before anything is changed. */
    public void checkFile(Disk disk) {
        if (disk.backstore() == Backstore.FILE) {
            confined(disk);
        }
    }

    /** Where a file disk {@code pool/image} lives. */
    public Path filePath(String pool, String image) {
        if (dataDir == null) {
            throw ApiException.badRequest("no data directory is configured for file disks");
        }
        return dataDir.resolve(Names.name("pool", pool)).resolve(Names.name("image", image) + ".img");
    }

    /**
     * A fresh device identity: 128 random bits. The NAA designator and serial derive from the seed, and one
     * derived from the guessable {@code pool/image} lets an initiator name a unit it cannot see (EXTENDED COPY
     * target descriptors); a random one is as good as unknown to anybody the unit is masked from.
     */
    public static String randomWwnSeed() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Creates the image or file (refusing to overwrite one) and returns the disk describing it. A new disk without
     * a {@code wwnSeed} gets a {@link #randomWwnSeed random} one, stored with it, so its identity is unguessable
     * and stable.
     */
    public Disk create(String pool, String image, long size, Backstore backstore, String wwnSeed) {
        if (wwnSeed == null || wwnSeed.isBlank()) {
            wwnSeed = randomWwnSeed();
        }
        if (backstore == Backstore.MEMORY) {
            return new Disk(pool, image, size, wwnSeed, Backstore.MEMORY, null); // nothing to create
        }
        if (backstore == Backstore.FILE) {
            Path path = filePath(pool, image);
            try {
                path = new FileDiskRoots(dataDir, List.of(dataDir))
                        .confine(dataDir.relativize(path).toString(), true);
                // the disk's data: for the service's user only, whatever the umask
                Files.createFile(
                        path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                    f.setLength(size); // sparse: no blocks are written
                } catch (IOException e) {
                    Files.deleteIfExists(path); // a refused create leaves nothing that blocks the next one
                    throw tooLargeOr(e, size, "create " + path);
                }
            } catch (ApiException e) {
                throw e;
            } catch (FileAlreadyExistsException e) {
                throw ApiException.conflict("file " + path + " already exists: import it with \"create\": false");
            } catch (FileDiskRoots.RefusedPathException e) {
                throw ApiException.badRequest(e.getMessage());
            } catch (IOException e) {
                throw new ApiException(500, "cannot create " + path + ": " + e.getMessage());
            }
            return new Disk(pool, image, size, wwnSeed, Backstore.FILE, path.toString());
        }
        try {
            // no exclusive-lock: every gateway writes the image (see docs/rbd.md)
            rbd(pool).create(image, size, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        } catch (CephException e) {
            throw map(e, "create image " + pool + "/" + image);
        }
        return new Disk(pool, image, size, wwnSeed, Backstore.RBD, null);
    }

    /** Describes an existing image or file without changing it; {@code size} null means its current size. */
    public Disk importExisting(String pool, String image, Long size, Backstore backstore, String wwnSeed) {
        if (backstore == Backstore.MEMORY) {
            throw ApiException.badRequest("a memory disk has nothing to import: create it with a size");
        }
        long actual;
        String path = null;
        if (backstore == Backstore.FILE) {
            Path p = filePath(pool, image);
            try {
                p = new FileDiskRoots(dataDir, List.of(dataDir))
                        .confine(dataDir.relativize(p).toString(), false);
                actual = Files.size(p);
            } catch (NoSuchFileException e) {
                throw ApiException.notFound("file " + p + " does not exist: create the disk instead");
            } catch (FileDiskRoots.RefusedPathException e) {
                throw ApiException.badRequest(e.getMessage());
            } catch (IOException e) {
                throw new ApiException(500, "cannot read " + p + ": " + e.getMessage());
            }
            path = p.toString();
        } else {
            try {
                actual = rbd(pool).size(image);
            } catch (CephException e) {
                throw map(e, "open image " + pool + "/" + image);
            }
        }
        if (size != null && size != actual) {
            throw ApiException.badRequest("image " + pool + "/" + image + " has " + actual + " bytes, not " + size
                    + ": omit the size or resize it after import");
        }
        if (backstore == Backstore.RBD) {
            fitForGateways(pool, image);
        }
        return new Disk(pool, image, actual, wwnSeed, backstore, path);
    }

    /**
     * Disables exclusive-lock (with object-map and fast-diff) on an imported image: images made by Ceph's
     * defaults or by ceph-iscsi have it, and the gateways would move the lock between them on every write.
     * librbd takes it from another librbd client that holds it; one that took it explicitly (tcmu-runner of a
     * ceph-iscsi still running) keeps it, and so does an image with journaling: 409 with what to do.
     */
    private void fitForGateways(String pool, String image) {
        try {
            rbd(pool).disableExclusiveLock(image);
        } catch (CephException e) {
            if (e.reason() == CephException.Reason.NOT_FOUND
                    || e.reason() == CephException.Reason.UNREACHABLE
                    || e.reason() == CephException.Reason.PERMISSION_DENIED) {
                throw map(e, "update the features of image " + pool + "/" + image);
            }
            throw ApiException.conflict("cannot import image " + pool + "/" + image + ": " + e.getMessage());
        }
    }

    /**
     * A size the file system cannot hold (EFBIG, which Java reports only as its message) is the caller's
     * mistake: 400 naming the limit; any other I/O failure is the server's.
     */
    private static ApiException tooLargeOr(IOException e, long size, String what) {
        if (String.valueOf(e.getMessage()).contains("File too large")) {
            return ApiException.badRequest(
                    "cannot " + what + ": size " + size
                            + " bytes is more than the file system holds in one file (EFBIG); choose a smaller size or an RBD disk");
        }
        return new ApiException(500, "cannot " + what + ": " + e.getMessage());
    }

    public void resize(Disk disk, long size) {
        if (disk.backstore() == Backstore.MEMORY) {
            throw ApiException.badRequest("memory disk " + disk.id() + " cannot be resized");
        }
        if (disk.backstore() == Backstore.FILE) {
            try (RandomAccessFile f = new RandomAccessFile(confined(disk).toFile(), "rw")) {
                f.setLength(size);
            } catch (IOException e) {
                throw tooLargeOr(e, size, "resize " + disk.path());
            }
            return;
        }
        try {
            rbd(disk.pool()).resize(disk.image(), size);
        } catch (CephException e) {
            throw map(e, "resize image " + disk.id());
        }
    }

    /** Deletes the image or file; an already missing one is not an error. */
    public void delete(Disk disk) {
        delete(disk, percent -> {});
    }

    /** Deletes the image or file, telling {@code percent} how far an RBD image's delete got (must not block). */
    public void delete(Disk disk, IntConsumer percent) {
        if (disk.backstore() == Backstore.MEMORY) {
            return; // its memory goes with the last LUN that used it
        }
        if (disk.backstore() == Backstore.FILE) {
            try {
                Files.deleteIfExists(confined(disk));
            } catch (IOException e) {
                throw new ApiException(500, "cannot delete " + disk.path() + ": " + e.getMessage());
            }
            return;
        }
        try {
            rbd(disk.pool()).delete(disk.image(), percent);
        } catch (CephException e) {
            if (e.reason() != CephException.Reason.NOT_FOUND) {
                throw map(e, "delete image " + disk.id());
            }
        }
    }

    public List<Snapshot> snapshots(Disk disk) {
        try {
            return rbdOf(disk).listSnapshots(disk.image()).stream()
                    .map(s -> new Snapshot(s.name(), s.sizeBytes()))
                    .toList();
        } catch (CephException e) {
            throw map(e, "list snapshots of " + disk.id());
        }
    }

    public void createSnapshot(Disk disk, String name) {
        Names.name("snapshot name", name);
        try {
            rbdOf(disk).createSnapshot(disk.image(), name);
        } catch (CephException e) {
            throw map(e, "create snapshot " + name + " of " + disk.id());
        }
    }

    public void rollbackSnapshot(Disk disk, String name) {
        rollbackSnapshot(disk, name, percent -> {});
    }

    /** Rolls the image back, telling {@code percent} how far it got (must not block). */
    public void rollbackSnapshot(Disk disk, String name, IntConsumer percent) {
        try {
            rbdOf(disk).rollbackSnapshot(disk.image(), name, percent);
        } catch (CephException e) {
            throw map(e, "roll " + disk.id() + " back to snapshot " + name);
        }
    }

    public void deleteSnapshot(Disk disk, String name) {
        try {
            rbdOf(disk).deleteSnapshot(disk.image(), name);
        } catch (CephException e) {
            throw map(e, "delete snapshot " + name + " of " + disk.id());
        }
    }

    private RbdImages rbdOf(Disk disk) throws CephException {
        if (disk.backstore() != Backstore.RBD) {
            throw ApiException.badRequest("disk " + disk.id() + " is a file disk: snapshots need an RBD disk");
        }
        return rbd(disk.pool());
    }

    private RbdImages rbd(String pool) throws CephException {
        return ceph.cluster().images(pool);
    }

    static ApiException map(CephException e, String what) {
        String msg = "cannot " + what + ": " + e.getMessage();
        switch (e.reason()) {
            case NOT_FOUND:
                return ApiException.notFound(msg);
            case ALREADY_EXISTS:
            case BUSY:
                return ApiException.conflict(msg);
            case UNREACHABLE:
            case FENCED:
                return ApiException.unavailable(msg);
            case PERMISSION_DENIED:
                return new ApiException(502, msg);
            default:
                return new ApiException(500, msg);
        }
    }
}
