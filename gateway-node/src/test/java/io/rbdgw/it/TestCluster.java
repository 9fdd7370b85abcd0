package io.rbdgw.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real Ceph cluster the RBD integration tests run against: {@code -Dceph.conf} (failsafe sets it
 * from RBDGW_CEPH_CONF), {@code -Dceph.id} (default iscsi, the gateway user), {@code -Dceph.pool}
 * (default rbd). Images are made and inspected with the {@code rbd} CLI as that same user.
 */
public final class TestCluster {

    public static final String POOL = System.getProperty("ceph.pool", "rbd");
    public static final String CLIENT_ID = System.getProperty("ceph.id", "iscsi");

    private static final Pattern USED = Pattern.compile("\"used_size\"\\s*:\\s*(\\d+)");

    private TestCluster() {}

    /** The conf file; fails (never skips) when the cluster was not set up. */
    public static Path conf() {
        String conf = System.getProperty("ceph.conf");
        if (conf == null || conf.isBlank() || conf.startsWith("${")) {
            throw new AssertionError("no Ceph cluster for the RBD integration tests: run "
                    + "`scripts/ceph-dev-cluster.sh up DIR` and then `RBDGW_CEPH_CONF=DIR/ceph.conf mvn verify` "
                    + "(or -Dceph.conf=DIR/ceph.conf); scripts/test.sh does both");
        }
        Path path = Path.of(conf);
        if (!Files.isReadable(path)) {
            throw new AssertionError(
                    "ceph.conf " + path + " does not exist: run scripts/ceph-dev-cluster.sh up " + path.getParent());
        }
        return path;
    }

    /** Runs {@code rbd -c CONF --id ID ARGS...}; returns its output, fails when it fails. */
    public static String rbd(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("rbd", "-c", conf().toString(), "--id", CLIENT_ID));
        cmd.addAll(List.of(args));
        Cmd run = Cmd.run(120, cmd.toArray(String[]::new));
        if (run.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + run);
        }
        return run.output();
    }

    /** Creates a fresh image (4 MiB objects, Ceph's default features) and returns its name. */
    public static String createImage(String prefix, String size) throws IOException, InterruptedException {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        rbd("create", "--size", size, POOL + "/" + name);
        return name;
    }

    /** Removes an image; a failure is printed, not thrown, so that it cannot hide the test's own result. */
    public static void removeImage(String name) {
        try {
            rbd("rm", "--no-progress", POOL + "/" + name);
        } catch (AssertionError | IOException | InterruptedException e) {
            System.err.println("could not remove test image " + name + ": " + e.getMessage());
        }
    }

    /** {@code rbd du}'s USED bytes of an image (object-granular with fast-diff). */
    public static long usedBytes(String name) throws IOException, InterruptedException {
        String json = rbd("du", "--format", "json", POOL + "/" + name);
        Matcher m = USED.matcher(json);
        if (!m.find()) {
            throw new AssertionError("no used_size in rbd du output: " + json);
        }
        return Long.parseLong(m.group(1));
    }
}
