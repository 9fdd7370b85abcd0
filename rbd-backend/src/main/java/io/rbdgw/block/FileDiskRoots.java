package io.rbdgw.block;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The directories file disks may live in. A file disk's path comes from the cluster configuration, so it must never
 * make a gateway or the admin API create, grow, serve or delete a file elsewhere on the host: no {@code ..}, a
 * directory whose real path (symbolic links resolved) lies inside a root, and a regular file rather than a link.
 */
public final class FileDiskRoots {
    private final Path base;
    private final List<Path> roots;

    /** A path outside the roots, or not a plain file. */
    public static final class RefusedPathException extends IOException {
        public RefusedPathException(String message) {
            super(message);
        }
    }

    /**
     * @param base  what relative paths are resolved against
     * @param roots the directories file disks must lie in
     */
    public FileDiskRoots(Path base, List<Path> roots) {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("no file disk root");
        }
        this.base = base.toAbsolutePath().normalize();
        this.roots = roots.stream().map(r -> r.toAbsolutePath().normalize()).toList();
    }

    public List<Path> roots() {
        return roots;
    }

    /**
     * The real location of {@code configured}, checked. With {@code createDirs} missing directories between the
     * root and the file are made (0700), one at a time, each checked before the next.
     *
     * @throws RefusedPathException the path is outside every root, goes through a link out of it, or is a link or
     *                              not a regular file
     */
    public Path confine(String configured, boolean createDirs) throws IOException {
        for (Path part : Path.of(configured)) {
            if (part.toString().equals("..")) {
                throw refused(configured, "it contains '..'");
            }
        }
        Path path = base.resolve(configured).normalize();
        Path root = roots.stream()
                .filter(r -> path.startsWith(r) && !path.equals(r))
                .findFirst()
                .orElseThrow(() -> refused(configured, "it is not under a file disk root " + roots));
        if (!Files.isDirectory(root)) {
            if (!createDirs) {
                throw refused(configured, "the file disk root " + root + " does not exist");
            }
            Files.createDirectories(root);
        }
        Path realRoot = root.toRealPath();
        Path current = root;
        for (Path part : root.relativize(path.getParent())) {
            if (part.toString().isEmpty()) {
                continue;
            }
            current = current.resolve(part);
            if (createDirs && !Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(
                            current,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // made meanwhile: checked below like any other
                }
            }
            if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)
                    && !current.toRealPath().startsWith(realRoot)) {
                throw refused(configured, current + " leads out of the file disk root " + root);
            }
        }
        Path parent = path.getParent();
        if (!Files.exists(parent)) {
            return path; // every existing directory on the way was checked; there is no file to look at
        }
        Path file = parent.toRealPath().resolve(path.getFileName());
        if (!file.startsWith(realRoot)) {
            throw refused(configured, "it resolves to " + file + ", outside the file disk root " + root);
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                throw refused(configured, "it is a symbolic link");
            }
            if (!a.isRegularFile()) {
                throw refused(configured, "it is not a regular file");
            }
        }
        return file;
    }

    private static RefusedPathException refused(String path, String why) {
        return new RefusedPathException("refusing file disk path '" + path + "': " + why);
    }
}
