package io.rbdgw.config.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files that hold credentials or keys: created 0600 whatever the umask, and refused when group or others may read
 * them (like ssh refuses a private key).
 */
public final class PrivateFiles {
    private static final Set<PosixFilePermission> OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private PrivateFiles() {}

    /** The file's text, after checking that it is a regular file only its owner can read. */
    public static String read(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + file + " does not exist or is not a regular file");
        }
        checkPrivate(file, what);
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** Refuses a file group or others have any access to. */
    public static void checkPrivate(Path file, String what) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(perms);
        open.retainAll(OPEN);
        if (!open.isEmpty()) {
            throw new IllegalArgumentException(what + " " + file + " is accessible to group or others (mode "
                    + PosixFilePermissions.toString(perms) + "): it holds a secret; chmod 600 it");
        }
    }

    /**
     * Writes {@code content} to a new file created 0600 (atomically: it never exists with wider permissions).
     *
     * @return false if the file existed already (it is left alone)
     */
    public static boolean createNew(Path file, String content) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return true;
    }
}
