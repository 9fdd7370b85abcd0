package io.rbdgw.it.failover;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A multipath host writing through a gateway pair from outside the build, for scripts/ansible-deploy-test.sh: the
 * rolling upgrade runs while this writes. It is {@link MultipathClient} with path recovery (a gateway that is stopped
 * and started again becomes a path again, as with iscsid): numbered, checksummed 4 KiB writes through the
 * Active/Optimized path, a failed or timed-out write retried unchanged on the other path, and a write acknowledged
 * only when GOOD came back. When the stop file appears it stops, reads every unit back through each portal and
 * prints one line per read-back and a summary:
 *
 * <pre>
 * verify PORTAL units=N ok=N lost=0 stale=0 torn=0 foreign=0
 * host-writer writes=N seconds=S max_stall_s=X io_errors=0 path_failures=F recoveries=R unit_attentions=U retried=T acked_per_path={0=..,1=..}
 * </pre>
 *
 * Exit status 0 only with no I/O error seen by the host, every read-back clean, and the stop file seen before
 * {@code --max-seconds}. Loopback portals only (the test's gateways).
 *
 * <pre>
 * java -cp gateway-node/target/test-classes:gateway-node/target/gateway-node.jar io.rbdgw.it.failover.HostWriter \
 *   --target IQN --portal 127.0.0.81:3260 --portal 127.0.0.82:3260 --stop-file F [--status-file F] [--units 1024]
 *   [--queue-depth 4] [--rate 250 writes/s] [--path-timeout-ms 5000] [--no-path-timeout-s 30]
 *   [--max-seconds 1200]
 * </pre>
 */
public final class HostWriter {

    private HostWriter() {}

    public static void main(String[] args) throws Exception {
        String target = null;
        String initiator = "iqn.2026-12.io.rbdgw:upgrade-host";
        List<InetSocketAddress> portals = new ArrayList<>();
        Path stopFile = null;
        Path statusFile = null;
        int units = 1024;
        int queueDepth = 4;
        long pathTimeoutMs = 5000;
        long noPathTimeoutS = 30;
        long maxSeconds = 1200;
        int rate = 250;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--target" -> target = v;
                case "--initiator" -> initiator = v;
                case "--portal" -> portals.add(portal(v));
                case "--stop-file" -> stopFile = Path.of(v);
                case "--status-file" -> statusFile = Path.of(v);
                case "--units" -> units = Integer.parseInt(v);
                case "--queue-depth" -> queueDepth = Integer.parseInt(v);
                case "--path-timeout-ms" -> pathTimeoutMs = Long.parseLong(v);
                case "--no-path-timeout-s" -> noPathTimeoutS = Long.parseLong(v);
                case "--max-seconds" -> maxSeconds = Long.parseLong(v);
                case "--rate" -> rate = Integer.parseInt(v);
                default -> usage("unknown option " + args[i]);
            }
        }
        if (args.length % 2 != 0 || target == null || portals.size() < 2 || stopFile == null) {
            usage("--target, two or more --portal and --stop-file are required");
        }
        int status;
        try {
            status = run(
                    new MultipathClient.Options(
                            target, initiator, portals, units, queueDepth, Duration.ofMillis(pathTimeoutMs)),
                    Duration.ofSeconds(noPathTimeoutS),
                    rate,
                    stopFile,
                    statusFile,
                    Duration.ofSeconds(maxSeconds));
        } catch (Exception e) {
            System.out.println("host-writer FAILED: " + e);
            e.printStackTrace();
            status = 1;
        }
        // exit explicitly: the test initiator's event loop is not a daemon thread
        System.exit(status);
    }

    static int run(
            MultipathClient.Options options,
            Duration noPathTimeout,
            int rate,
            Path stopFile,
            Path statusFile,
            Duration maxTime)
            throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + maxTime.toNanos();
        boolean stopSeen = false;
        String writerError = null;
        try (MultipathClient client =
                new MultipathClient(options).recoverPaths(noPathTimeout).pace(rate)) {
            client.start();
            long nextStatus = 0;
            while (!client.failed() && System.nanoTime() - deadline < 0) {
                if (Files.exists(stopFile)) {
                    stopSeen = true;
                    break;
                }
                if (System.nanoTime() - nextStatus >= 0) {
                    nextStatus = System.nanoTime() + 5_000_000_000L;
                    String status = String.format(
                            Locale.ROOT,
                            "t=%ds acked=%d path=%d max_stall_s=%.2f path_failures=%d recoveries=%d",
                            (System.nanoTime() - t0) / 1_000_000_000L,
                            client.acked(),
                            client.currentPath(),
                            client.maxStallSeconds(),
                            client.pathFailures().size(),
                            client.recoveries());
                    System.out.println(status);
                    if (statusFile != null) {
                        Files.writeString(statusFile, status + "\n");
                    }
                }
                Thread.sleep(100);
            }
            try {
                client.stop();
            } catch (IllegalStateException e) {
                writerError = e.getMessage();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            boolean clean = true;
            for (InetSocketAddress portal : options.portals()) {
                MultipathClient.Verification v = client.verify(portal);
                System.out.println("verify " + portal.getHostString() + ":" + portal.getPort() + " " + v);
                clean &= v.ok() == v.units();
            }
            for (MultipathClient.PathFailure f : client.pathFailures()) {
                System.out.printf(
                        Locale.ROOT,
                        "path %d lost at t=%.2fs: %s (%d writes moved to the other path)%n",
                        f.path(),
                        (f.atNanos() - t0) / 1e9,
                        f.why(),
                        f.abandoned());
            }
            System.out.printf(
                    Locale.ROOT,
                    "host-writer writes=%d seconds=%.1f max_stall_s=%.2f io_errors=%d path_failures=%d recoveries=%d"
                            + " unit_attentions=%d retried=%d acked_per_path=%s%n",
                    client.acked(),
                    seconds,
                    client.maxStallSeconds(),
                    client.hostErrors(),
                    client.pathFailures().size(),
                    client.recoveries(),
                    client.unitAttentions(),
                    client.retriedWrites(),
                    client.ackedPerPath());
            if (writerError != null) {
                System.out.println("host-writer FAILED: " + writerError);
            }
            if (!stopSeen) {
                System.out.println("host-writer FAILED: no stop file within " + maxTime.toSeconds() + " s");
            }
            if (!clean) {
                System.out.println("host-writer FAILED: the read-back found lost, stale, torn or foreign units");
            }
            return writerError == null && stopSeen && clean && client.hostErrors() == 0 ? 0 : 1;
        }
    }

    private static InetSocketAddress portal(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            usage("portal " + hostPort + " is not HOST:PORT");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static void usage(String why) {
        System.err.println("host-writer: " + why);
        System.exit(2);
    }
}
