package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real Ceph cluster the integration tests run against: {@code -Dceph.conf} (failsafe sets it from
 * RBDGW_CEPH_CONF), {@code -Dceph.id} (default iscsi). Admin work (restricted users, resize, blocklist
 * cleanup) goes through the {@code ceph}/{@code rbd} CLI as {@code client.admin}.
 */
final class TestCeph {

    static final String POOL = System.getProperty("ceph.pool", "rbd");
    static final String CLIENT_ID = System.getProperty("ceph.id", "iscsi");

    private static RbdCluster shared;

    private TestCeph() {}

    /** The conf file; fails (never skips) when the cluster was not set up. */
    static Path conf() {
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

    /** One connection as the gateway user shared by the tests of this JVM. */
    static synchronized RbdCluster cluster() throws CephException {
        if (shared == null) {
            shared = RbdCluster.connect(CLIENT_ID, conf());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** {@code length} bytes from a seeded generator, in a direct buffer ready to write. */
    static ByteBuffer random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.allocateDirect(length).put(bytes).flip();
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Runs {@code ceph}/{@code rbd} as client.admin on the test cluster; returns stdout, fails on error. */
    static String cli(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(command[0]);
        cmd.add("-c");
        cmd.add(conf().toString());
        cmd.add("--id");
        cmd.add(System.getProperty("ceph.admin.id", "admin"));
        for (int i = 1; i < command.length; i++) {
            cmd.add(command[i]);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s: %s", cmd, text).isZero();
        return text;
    }
}
