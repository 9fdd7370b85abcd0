package io.rbdgw.config.model;

import java.util.Locale;

/**
 * A block device the cluster exports: an RBD image {@code pool/image} or, for standalone setups, a file.
 *
 * @param size bytes, positive
 * @param wwnSeed what the NAA identifier and unit serial number are derived from; stable across gateways and
 *     restarts so multipath sees one device. Defaults to the id; keep it when an image is renamed.
 * @param path the file for {@link Backstore#FILE}, null for RBD
 */
public record Disk(String pool, String image, long size, String wwnSeed, Backstore backstore, String path) {
    public Disk {
        Names.name("pool", pool);
        Names.name("image", image);
        if (size <= 0) {
            throw new IllegalArgumentException("disk " + pool + "/" + image + ": size must be positive, was " + size);
        }
        if (backstore == null) {
            backstore = Backstore.RBD;
        }
        if (wwnSeed == null || wwnSeed.isBlank()) {
            wwnSeed = pool + "/" + image;
        }
        if (backstore == Backstore.FILE && (path == null || path.isBlank())) {
            throw new IllegalArgumentException("disk " + pool + "/" + image + ": a file backstore needs a path");
        }
        if (backstore != Backstore.FILE && path != null) {
            throw new IllegalArgumentException("disk " + pool + "/" + image + ": a "
                    + backstore.name().toLowerCase(Locale.ROOT) + " backstore takes no path");
        }
    }

    public static Disk rbd(String pool, String image, long size) {
        return new Disk(pool, image, size, null, Backstore.RBD, null);
    }

    public static Disk file(String pool, String image, long size, String path) {
        return new Disk(pool, image, size, null, Backstore.FILE, path);
    }

    public static Disk memory(String pool, String image, long size) {
        return new Disk(pool, image, size, null, Backstore.MEMORY, null);
    }

    /** The disk id, {@code pool/image}. */
    public String id() {
        return pool + "/" + image;
    }

    public Disk withSize(long newSize) {
        return new Disk(pool, image, newSize, wwnSeed, backstore, path);
    }
}
