package io.rbdgw.it.failover;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.scsi.TargetPortGroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measuring part of {@code bench/failover.sh} (which builds the project and provides Ceph): a ZooKeeper in
 * this JVM, two {@code run} gateways with their default timing on one RBD LUN, and {@link MultipathClient}
 * writing through them. Each run kills the LUN's owner with SIGKILL mid-stream (so the victim alternates),
 * measures, verifies the whole region, restarts the victim and lets it settle. Prints one line per run and,
 * last, {@code failover median_s=X max_stall_s=Y runs=N lost_writes=L stale_writes=S}.
 *
 * <p>Arguments: {@code --runs N} [5], {@code --path-timeout S} [2], {@code --write-before S} [3],
 * {@code --zk-session-timeout S} and {@code --alua-settle S} [the gateway's defaults], {@code --dir DIR} [a temp dir],
 * {@code --freeze S} [0: SIGKILL; else SIGSTOP of the owner for S seconds, see {@link #freezeRuns}].
 * Needs {@code -Dgateway.jar} and {@code -Dceph.conf} (see {@link io.rbdgw.it.TestCluster}).
 */
public final class FailoverBench {

    private FailoverBench() {}

    public static void main(String[] args) throws Exception {
        int runs = 5;
        double pathTimeout = 2;
        double writeBefore = 3;
        Integer zkSession = null;
        Integer settle = null;
        Path dir = null;
        double freeze = 0;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) {
                usage(args[i] + " needs a value");
            }
            try {
                switch (args[i]) {
                    case "--runs" -> runs = Integer.parseInt(v);
                    case "--path-timeout" -> pathTimeout = Double.parseDouble(v);
                    case "--write-before" -> writeBefore = Double.parseDouble(v);
                    case "--zk-session-timeout" -> zkSession = Integer.parseInt(v);
                    case "--alua-settle" -> settle = Integer.parseInt(v);
                    case "--dir" -> dir = Path.of(v);
                    case "--freeze" -> freeze = Double.parseDouble(v);
                    default -> usage("unknown argument " + args[i]);
                }
            } catch (NumberFormatException e) {
                usage(args[i] + " takes a number, not '" + v + "'");
            }
            i++;
        }
        if (runs < 1
                || pathTimeout <= 0
                || writeBefore <= 0
                || zkSession != null && zkSession < 1
                || settle != null && settle < 0) {
            usage(
                    "--runs, --path-timeout, --write-before and --zk-session-timeout must be positive, --alua-settle not negative");
        }
        if (dir == null) {
            dir = Files.createTempDirectory("rbdgw-failover");
        }
        // what the gateways use when not told (RunCommand's defaults), for the waits below
        int settleSeconds = settle != null ? settle : 10;
        Duration timeout = Duration.ofMillis((long) (pathTimeout * 1000));

        AtomicReference<FailoverCluster> started = new AtomicReference<>();
        Thread closer = new Thread(() -> stopAll(started.get()), "failover-bench-stop");
        Runtime.getRuntime().addShutdownHook(closer); // also on Ctrl-C / SIGTERM from the script, at any point
        FailoverCluster cluster =
                FailoverCluster.create(dir, 256L << 20, new FailoverCluster.Timing(zkSession, settle));
        started.set(cluster);
        cluster.startGateways();

        if (freeze > 0) {
            freezeRuns(cluster, runs, freeze, timeout, writeBefore);
            Runtime.getRuntime().removeShutdownHook(closer);
            stopAll(cluster);
            System.exit(0);
        }
        List<Double> firstWrites = new ArrayList<>();
        double maxStall = 0;
        long lost = 0;
        long stale = 0;
        for (int run = 1; run <= runs; run++) {
            LunOwnership before = cluster.ownership();
            int victim = FailoverCluster.indexOf(before.owner());
            int survivor = 1 - victim;
            double optimizedAfter;
            MultipathClient.Verification v;
            try (MultipathClient client = cluster.client(victim, 256, 4, timeout)) {
                client.start();
                Thread.sleep((long) (writeBefore * 1000));
                client.mark(victim);
                long killed = System.nanoTime();
                cluster.gateway(victim).process().destroyForcibly();
                cluster.gateway(victim).process().waitFor();
                // the survivor becomes Active/Optimized once the coordinator fenced the victim and moved the LUN
                long deadline = killed + Duration.ofSeconds(120).toNanos();
                while (client.groupStates().getOrDefault(client.groupOf(survivor), -1)
                        != TargetPortGroups.ACTIVE_OPTIMIZED) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("the survivor is not Active/Optimized 120 s after the kill");
                    }
                    Thread.sleep(20);
                }
                optimizedAfter = (System.nanoTime() - killed) / 1e9;
                Thread.sleep(1000);
                client.stop();
                v = client.verify(cluster.portal(survivor));
                double first = client.markToFirstAckSeconds();
                if (Double.isNaN(first)) {
                    throw new IllegalStateException("no write was acknowledged by the survivor");
                }
                firstWrites.add(first);
                maxStall = Math.max(maxStall, client.maxStallSeconds());
                lost += v.lost();
                stale += v.stale();
                System.out.printf(
                        Locale.ROOT,
                        "run %d: killed %s (owner) -> first write on %s after %.3f s, max stall %.3f s, "
                                + "%s Active/Optimized after %.1f s; %d writes acknowledged, read-back %s%n",
                        run,
                        FailoverCluster.NAMES[victim],
                        FailoverCluster.NAMES[survivor],
                        first,
                        client.maxStallSeconds(),
                        FailoverCluster.NAMES[survivor],
                        optimizedAfter,
                        client.acked(),
                        v);
            }
            if (run < runs) {
                // back to two gateways: restart the victim, wait until it is a member and has settled
                cluster.restart(victim);
                cluster.awaitMember(FailoverCluster.NAMES[victim], Duration.ofSeconds(60));
                Thread.sleep(settleSeconds * 1000L + 1000);
            }
        }
        List<Double> sorted = new ArrayList<>(firstWrites);
        sorted.sort(Double::compare);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        System.out.printf(
                Locale.ROOT,
                "failover median_s=%.3f max_stall_s=%.3f runs=%d lost_writes=%d stale_writes=%d%n",
                median,
                maxStall,
                runs,
                lost,
                stale);
        System.out.flush();
        Runtime.getRuntime().removeShutdownHook(closer);
        stopAll(cluster);
        System.exit(0);
    }

    /**
     * {@code --freeze S}: SIGSTOP of the owner for S seconds at queue depth 16, the client retrying (as a new
     * generation) through the other gateway after the path timeout, SIGCONT once the client stopped; both gateways
     * read back. Last line: {@code freeze seconds=S runs=N lost_writes=L stale_writes=S disagreements=D}.
     */
    private static void freezeRuns(
            FailoverCluster cluster, int runs, double freeze, Duration timeout, double writeBefore) throws Exception {
        long lost = 0;
        long stale = 0;
        int disagree = 0;
        for (int run = 1; run <= runs; run++) {
            int victim = FailoverCluster.indexOf(
                    cluster.awaitOwner(Duration.ofSeconds(60)).owner());
            int survivor = 1 - victim;
            try (MultipathClient client =
                    cluster.client(victim, 256, 16, timeout).restampRetries()) {
                client.start();
                Thread.sleep((long) (writeBefore * 1000));
                client.mark(victim);
                cluster.signal(victim, "STOP");
                try {
                    Thread.sleep((long) (freeze * 1000));
                    client.stopIssuing();
                    if (freeze * 1000 > timeout.toMillis()) {
                        client.stop(); // its retries acknowledged before the frozen gateway resumes
                    }
                } finally {
                    cluster.signal(victim, "CONT");
                }
                client.stop();
                Thread.sleep(3000);
                MultipathClient.Verification vs = client.verify(cluster.portal(survivor));
                MultipathClient.Verification vv = null;
                for (int i = 0; i < 60 && vv == null; i++) {
                    try {
                        vv = client.verify(cluster.portal(victim));
                    } catch (Exception | AssertionError e) {
                        Thread.sleep(1000); // re-opening after a fence
                    }
                }
                lost += vs.lost();
                stale += vs.stale();
                disagree += vs.equals(vv) ? 0 : 1;
                System.out.printf(
                        Locale.ROOT,
                        "run %d: froze %s (owner) %.1f s -> first write on %s after %.3f s; "
                                + "%d writes acknowledged; read-back via %s %s, via %s %s%n",
                        run,
                        FailoverCluster.NAMES[victim],
                        freeze,
                        FailoverCluster.NAMES[survivor],
                        client.markToFirstAckSeconds(),
                        client.acked(),
                        FailoverCluster.NAMES[survivor],
                        vs,
                        FailoverCluster.NAMES[victim],
                        vv);
            }
            cluster.awaitMember(FailoverCluster.NAMES[victim], Duration.ofSeconds(60));
        }
        System.out.printf(
                Locale.ROOT,
                "freeze seconds=%.1f runs=%d lost_writes=%d stale_writes=%d disagreements=%d%n",
                freeze,
                runs,
                lost,
                stale,
                disagree);
        System.out.flush();
    }

    private static void usage(String problem) {
        System.err.println("failover bench: " + problem);
        System.exit(2);
    }

    /** Stops the cluster, then any gateway this JVM started that the cluster did not know yet (interrupted start). */
    private static void stopAll(FailoverCluster cluster) {
        if (cluster != null) {
            try {
                cluster.close();
            } catch (Exception e) {
                System.err.println("stopping the gateways: " + e);
            }
        }
        List<ProcessHandle> children = ProcessHandle.current().children().toList();
        children.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : children) {
            try {
                p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }
}
