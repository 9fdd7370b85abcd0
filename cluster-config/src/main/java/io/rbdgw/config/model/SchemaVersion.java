package io.rbdgw.config.model;

/**
 * The version of the stored layout and documents. A reader accepts any version with its own MAJOR (documents of
 * an older minor miss fields, which take their defaults; a newer minor's extra fields are ignored) and refuses a
 * newer MAJOR.
 */
public record SchemaVersion(int major, int minor) implements Comparable<SchemaVersion> {
    public static final SchemaVersion CURRENT = new SchemaVersion(1, 0);
    /** What a document without a version field is taken to be. */
    public static final SchemaVersion OLDEST = new SchemaVersion(1, 0);

    public SchemaVersion {
        if (major < 1 || minor < 0) {
            throw new IllegalArgumentException("invalid schema version " + major + "." + minor);
        }
    }

    public static SchemaVersion parse(String text) {
        int dot = text == null ? -1 : text.indexOf('.');
        try {
            if (dot < 0) {
                return new SchemaVersion(Integer.parseInt(text), 0);
            }
            return new SchemaVersion(
                    Integer.parseInt(text.substring(0, dot)), Integer.parseInt(text.substring(dot + 1)));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("invalid schema version '" + text + "'");
        }
    }

    /** Whether a reader of {@link #CURRENT} can read this version. */
    public boolean readable() {
        return major <= CURRENT.major;
    }

    @Override
    public int compareTo(SchemaVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
