package io.rbdgw.it.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.it.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No stale write, ever (docs/ha.md, "Write tokens"): a host writes stamped blocks at QD16 through the ALUA owner;
 * the owner (or the OSD) is frozen while writes are inside librbd; the host times them out after 2 s and writes
 * them again, and newer ones, through the other gateway, without aborting; then the frozen process resumes. Read
 * back through both gateways, nothing acknowledged may be lost or older than the last acknowledgement.
 *
 * <p>{@code -Drbdgw.it.freeze-repeats=N} repeats every gateway freeze length N times (default 5);
 * {@code -Drbdgw.it.freeze-seconds=9,10} sets the lengths (default 1,3,8,20). {@code -Drbdgw.it.write-token=off} starts the gateways without the write token:
 * the negative run, which must fail with stale writes.
 */
class StaleWriteIT {

    static final Duration PATH_TIMEOUT = Duration.ofSeconds(2);
    static final int UNITS = 128;
    static final int QUEUE_DEPTH = 16;
    static final boolean WRITE_TOKEN = !"off".equals(System.getProperty("rbdgw.it.write-token"));
    /** a session longer than the short freezes (never fenced by the coordinator), shorter than the 20 s one */
    static final FailoverCluster.Timing TIMING = new FailoverCluster.Timing(10, 1, true, WRITE_TOKEN);

    @TempDir
    Path dir;

    private record Outcome(
            String what,
            MultipathClient.Verification survivor,
            MultipathClient.Verification victim,
            int pathFailures,
            long acked,
            double firstAckOnOtherPath,
            double victimServedAfter) {
        boolean clean() {
            return survivor.lost() == 0
                    && survivor.stale() == 0
                    && survivor.foreign() == 0
                    && survivor.torn() == 0
                    && survivor.equals(victim);
        }

        @Override
        public String toString() {
            return String.format(
                    "%s: %d path failures, %d writes acknowledged, first ack on the other path %.2f s "
                            + "after the freeze; read back through the survivor %s, through the frozen one %s "
                            + "(%.1f s after it resumed)",
                    what, pathFailures, acked, firstAckOnOtherPath, survivor, victim, victimServedAfter);
        }
    }

    @Test
    void writesHeldByAFrozenGatewayNeverLandOverTheirNewerRetries() throws Exception {
        int repeats = Integer.getInteger("rbdgw.it.freeze-repeats", 0);
        List<Integer> plan = new ArrayList<>();
        int[] lengths = Stream.of(System.getProperty("rbdgw.it.freeze-seconds", "1,3,8,20")
                        .split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        for (int seconds : lengths) {
            // every length five times (about 6 minutes); -Drbdgw.it.freeze-repeats=1 for a quick run by hand
            int n = repeats > 0 ? repeats : 5;
            for (int i = 0; i < n; i++) {
                plan.add(seconds);
            }
        }
        List<Outcome> outcomes = new ArrayList<>();
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, TIMING)) {
            for (int seconds : plan) {
                Outcome o = freeze(cluster, seconds, v -> cluster.signal(v, "STOP"), true);
                System.out.println("FREEZE " + o);
                outcomes.add(o);
            }
            assertThat(cluster.output(0) + cluster.output(1)).doesNotContain("LEAK");
        }
        outcomes.forEach(o -> System.out.println("RESULT " + o));
        assertThat(outcomes)
                .as("lost 0, stale 0, corrupt 0, both gateways agree")
                .allMatch(Outcome::clean);
        assertThat(outcomes.stream().filter(o -> !o.what().startsWith("gateway frozen 1 s")))
                .as("every freeze of 3 s or more made the host retry through the other gateway")
                .allMatch(o -> o.pathFailures() > 0);
    }

    @Test
    void writesHeldByAFrozenOsdNeverLandOverTheirNewerRetries() throws Exception {
        long osd = osdPid();
        List<Outcome> outcomes = new ArrayList<>();
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, TIMING)) {
            for (int i = 0; i < 2; i++) {
                Outcome o = freeze(cluster, 3, v -> kill("STOP", osd), false);
                System.out.println("OSD FREEZE " + o);
                outcomes.add(o);
            }
            assertThat(cluster.output(0) + cluster.output(1)).doesNotContain("LEAK");
        }
        outcomes.forEach(o -> System.out.println("RESULT " + o));
        assertThat(outcomes)
                .as("lost 0, stale 0, corrupt 0, both gateways agree")
                .allMatch(Outcome::clean);
        assertThat(outcomes).as("the host retried through the other gateway").allMatch(o -> o.pathFailures() > 0);
    }

    /**
     * The write token alone, without the stall guard: 8 writes certain to sit in the frozen owner's socket (sent
     * after it stopped) and whatever was inside its librbd. The host retries them through the other gateway, which
     * fences the owner after the hand-over timeout; when the owner resumes, all of them fail against the
     * blocklist. With {@code -Drbdgw.it.write-token=off} the held writes land over newer data: this is the test's
     * deterministic negative run.
     */
    @Test
    void withoutTheStallGuardTheWriteTokenAloneKeepsAFrozenOwnersHeldWritesOut() throws Exception {
        // a 15 s session: the freeze (8 s, plus stopping the client under load) must stay shorter, so that only the
        // write token fences the owner (a 10 s session expired once on a loaded CI machine)
        FailoverCluster.Timing noGuard = new FailoverCluster.Timing(15, 1, false, WRITE_TOKEN);
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, noGuard)) {
            LunOwnership own = cluster.awaitOwner(Duration.ofSeconds(30));
            int victim = FailoverCluster.indexOf(own.owner());
            int survivor = 1 - victim;
            try (MultipathClient client =
                    cluster.client(victim, UNITS, QUEUE_DEPTH, PATH_TIMEOUT).restampRetries()) {
                client.start();
                Thread.sleep(1000);
                client.mark(victim);
                List<Long> held = client.runOnWriter(
                        () -> {
                            try {
                                cluster.signal(victim, "STOP");
                                await().atMost(Duration.ofSeconds(5)).until(() -> cluster.isStopped(victim));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        8);
                try {
                    Thread.sleep(8000); // shorter than the 15 s session: only the write token fences it
                    client.stop();
                } finally {
                    cluster.signal(victim, "CONT");
                }
                for (long seq : held) {
                    assertThat(client.lastAckedOfUnitOf(seq))
                            .as("unit of held write " + seq + " written later")
                            .isGreaterThan(seq);
                }
                Thread.sleep(3000);
                AtomicReference<MultipathClient.Verification> v = new AtomicReference<>();
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .untilAsserted(() -> v.set(client.verify(cluster.portal(victim))));
                MultipathClient.Verification s = client.verify(cluster.portal(survivor));
                System.out.printf(
                        "RESULT no stall guard, owner frozen 8 s with %d writes in its socket: first ack on "
                                + "the other path %.2f s after the freeze; read back through the survivor %s, through the "
                                + "frozen one %s%n",
                        held.size(), client.markToFirstAckSeconds(), s, v.get());
                assertThat(s.stale()).as("stale writes").isZero();
                assertThat(s.lost()).as("lost writes").isZero();
                assertThat(s.foreign()).isZero();
                assertThat(v.get()).as("both gateways read the same").isEqualTo(s);
                assertThat(cluster.ownership().owner())
                        .as("not failed over by the coordinator")
                        .isEqualTo(own.owner());
            }
            assertThat(cluster.output(survivor)).contains("did not hand over the write token");
        }
    }

    @FunctionalInterface
    private interface Action {
        void run(int victim) throws Exception;
    }

    /**
     * One round: writes through the owner, {@code stop}, {@code seconds} later SIGCONT (of the owner, or of the
     * OSD), more writes, then the read-back through both gateways.
     */
    private static Outcome freeze(FailoverCluster cluster, int seconds, Action stop, boolean gateway) throws Exception {
        LunOwnership own = cluster.awaitOwner(Duration.ofSeconds(30));
        int victim = FailoverCluster.indexOf(own.owner());
        int survivor = 1 - victim;
        long osd = gateway ? 0 : osdPid();
        String what = (gateway ? "gateway frozen " : "OSD frozen ") + seconds + " s (" + own.owner() + " owner)";
        MultipathClient.Verification vs;
        MultipathClient.Verification vv;
        double servedAfter;
        try (MultipathClient client =
                cluster.client(victim, UNITS, QUEUE_DEPTH, PATH_TIMEOUT).restampRetries()) {
            client.start();
            Thread.sleep(1000);
            client.mark(victim);
            try {
                stop.run(victim); // with QUEUE_DEPTH writes in flight: some inside librbd (or the OSD) right now
                Thread.sleep(seconds * 1000L);
                // the host stops writing before the frozen side resumes, so that nothing it writes afterwards
                // hides a late landing; a frozen gateway's writes time out on the host, which waits for their
                // retries on the other gateway; a frozen OSD holds the retries too, so it resumes first
                client.stopIssuing();
                if (gateway && seconds > PATH_TIMEOUT.toSeconds()) {
                    client.stop();
                }
            } finally {
                if (gateway) {
                    cluster.signal(victim, "CONT");
                } else {
                    kill("CONT", osd);
                }
            }
            long resumed = System.nanoTime();
            client.stop();
            Thread.sleep(3000); // whatever the frozen side held runs now (or fails, fenced)
            // the frozen gateway may have been fenced: it reconnects and serves the LUN again
            AtomicReference<MultipathClient.Verification> s = new AtomicReference<>();
            AtomicReference<MultipathClient.Verification> v = new AtomicReference<>();
            try {
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .untilAsserted(() -> v.set(client.verify(cluster.portal(victim))));
                servedAfter = (System.nanoTime() - resumed) / 1e9;
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(
                        String.format(
                                "%s: the frozen gateway did not serve a read within 60 s of resuming (%s)%n"
                                        + "---- %s%n%s%n---- %s%n%s",
                                what,
                                e.getCause(),
                                FailoverCluster.NAMES[victim],
                                cluster.tail(victim, 150),
                                FailoverCluster.NAMES[survivor],
                                cluster.tail(survivor, 80)),
                        e);
            }
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .untilAsserted(() -> s.set(client.verify(cluster.portal(survivor))));
            vs = s.get();
            vv = v.get();
            return new Outcome(
                    what,
                    vs,
                    vv,
                    client.pathFailures().size(),
                    client.acked(),
                    client.markToFirstAckSeconds(),
                    servedAfter);
        }
    }

    /** The dev cluster's OSD: {@code run/osd.*.pid} next to its ceph.conf. */
    static long osdPid() throws Exception {
        Path run = TestCluster.conf().toAbsolutePath().getParent().resolve("run");
        try (Stream<Path> files = Files.list(run)) {
            Path pid = files.filter(p -> p.getFileName().toString().matches("osd\\.\\d+\\.pid"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no osd.N.pid in " + run));
            return Long.parseLong(Files.readString(pid).trim());
        }
    }

    /** The run states of {@code pid}'s threads, counted ("46 T" when all are stopped). */
    static String threadStates(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            Map<String, Long> states = new TreeMap<>();
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    states.merge(stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), 1L, Long::sum);
                } catch (IOException gone) {
                    // the thread exited meanwhile
                }
            }
            StringBuilder sb = new StringBuilder();
            states.forEach((state, n) ->
                    sb.append(sb.isEmpty() ? "" : ", ").append(n).append(' ').append(state));
            return sb.toString();
        } catch (IOException e) {
            return "no process " + pid + " (" + e + ")";
        }
    }

    /** SIGSTOP of the OSD; returns once every one of its threads is stopped, so nothing it has not done yet can be. */
    static void stopOsd(long pid) throws Exception {
        kill("STOP", pid);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String states;
        while (!(states = threadStates(pid)).matches("\\d+ T")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("OSD pid " + pid + " did not stop within 5 s: threads " + states);
            }
            Thread.sleep(1);
        }
    }

    static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }
}
