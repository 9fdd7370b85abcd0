package io.rbdgw.node;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * The gateway's data directory holds LUN images, ZooKeeper's data and credentials: directories are 0700 and files
 * 0600 whatever the umask, set when they are made and fixed on start for what older versions made.
 */
final class PrivateDirs {
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final FileAttribute<Set<PosixFilePermission>> ATTRIBUTE = PosixFilePermissions.asFileAttribute(DIR);

    private PrivateDirs() {}

    private interface C extends Library {
        int umask(int mask);
    }

    /**
     * Sets the process umask to 077, so files made by libraries (ZooKeeper's transaction logs and snapshots) are
     * 0600 and their directories 0700. Returns the previous umask, or -1 where it cannot be set.
     */
    static int restrictUmask() {
        try {
            C c = Native.load("c", C.class);
            return c.umask(0077);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LoggerFactory.getLogger(PrivateDirs.class)
                    .warn(
                            "cannot set the umask ({}): files ZooKeeper "
                                    + "creates get the inherited one; the data directory itself stays 0700",
                            e.toString());
            return -1;
        }
    }

    /** Creates {@code dir} (and missing parents) 0700; an existing one is made 0700. */
    static Path create(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            Path parent = abs.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                create(parent);
            }
            try {
                Files.createDirectory(abs, ATTRIBUTE);
            } catch (FileAlreadyExistsException raced) {
                // made meanwhile
            }
        }
        Files.setPosixFilePermissions(abs, DIR); // the umask may have narrowed or an older version widened it
        return abs;
    }

    /** Makes every directory under {@code dir} 0700 and every file 0600 (links are left alone, not followed). */
    static void tighten(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(d, DIR);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.setPosixFilePermissions(f, FILE);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
