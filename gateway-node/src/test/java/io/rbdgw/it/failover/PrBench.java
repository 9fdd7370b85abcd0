package io.rbdgw.it.failover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway pair of {@code bench/pr-bench.sh}: a ZooKeeper in this JVM, a fresh 1 GiB RBD image
 * ({@code prmodel-bench-*}) on the dev Ceph cluster, and two {@code run} gateways exporting it as LUN 0 of one
 * target, with the benchmark's initiator allowed. Prints {@code ready URL_A URL_B OWNER} (OWNER: 0 or 1, the
 * gateway whose port group is Active/Optimized) once both serve, then keeps them up until its standard input
 * ends, and removes everything. Arguments: {@code --initiator IQN} (required), {@code --dir DIR} [a temp dir].
 * Needs {@code -Dgateway.jar} and {@code -Dceph.conf} (see {@link io.rbdgw.it.TestCluster}).
 */
public final class PrBench {

    private PrBench() {}

    public static void main(String[] args) throws Exception {
        String initiator = null;
        Path dir = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--initiator" -> initiator = args[i + 1];
                case "--dir" -> dir = Path.of(args[i + 1]);
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (initiator == null || args.length % 2 != 0) {
            usage("--initiator IQN is required");
        }
        if (dir == null) {
            dir = Files.createTempDirectory("rbdgw-pr-bench");
        }
        AtomicReference<FailoverCluster> started = new AtomicReference<>();
        Thread closer = new Thread(() -> stop(started.get()), "pr-bench-stop");
        Runtime.getRuntime().addShutdownHook(closer); // also on Ctrl-C / SIGTERM from the script
        FailoverCluster cluster =
                FailoverCluster.create(dir, 1L << 30, new FailoverCluster.Timing(null, null), "prmodel-bench");
        started.set(cluster);
        cluster.startGateways();
        cluster.allow(initiator);
        int owner = FailoverCluster.indexOf(
                cluster.awaitOwner(Duration.ofSeconds(60)).owner());
        System.out.println("ready " + cluster.lunUrl(0) + " " + cluster.lunUrl(1) + " " + owner);
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // the script closes our input when it is done
            }
        } catch (IOException closed) {
            // the same
        }
        Runtime.getRuntime().removeShutdownHook(closer);
        stop(cluster);
        System.exit(0);
    }

    private static void stop(FailoverCluster cluster) {
        if (cluster == null) {
            return;
        }
        try {
            cluster.close();
        } catch (Exception e) {
            System.err.println("stopping the gateway pair: " + e);
        }
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: PrBench --initiator IQN [--dir DIR]");
        System.exit(2);
    }
}
