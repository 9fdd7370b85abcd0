package io.rbdgw.config.pr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.pr.PrDocuments.Versioned;
import io.rbdgw.config.store.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reservation documents, their watcher and the acknowledgements against a real ZooKeeper. */
class PrDocumentsTest {
    private static final String DISK = "rbd/vm1";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final PrNexus A = new PrNexus("iqn.1994-05.com.example:a,i,0x23d000000001", "iqn.t,t,0x0001");
    private static final PrNexus B = new PrNexus("iqn.1994-05.com.example:b,i,0x23d000000002", "iqn.t,t,0x0002");

    private TestingServer zk;
    private ZkLayout layout;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        zk = ZkTestSupport.server();
        layout = new ZkLayout(ZkTestSupport.newRoot());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
    }

    private CuratorFramework client() {
        CuratorFramework c = ZkTestSupport.client(zk.getConnectString());
        closeables.add(c);
        return c;
    }

    private PrWatcher watcher(CuratorFramework c) {
        PrWatcher w = new PrWatcher(c, layout);
        closeables.add(w);
        w.start();
        return w;
    }

    private static PrDocument register(PrDocument d, PrNexus n, long key) {
        List<PrRegistration> regs = new ArrayList<>(d.registrations());
        regs.add(new PrRegistration(n, key, false, false, 1));
        return d.next(d.generation() + 1, regs, d.reservation(), d.spc2Holder(), "test", List.of());
    }

    @Test
    void concurrentWritersThroughTwoClientsLoseNoChange() throws Exception {
        PrDocuments one = new PrDocuments(client(), layout);
        PrDocuments two = new PrDocuments(client(), layout);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (PrDocuments d : List.of(one, two)) {
                PrNexus n = d == one ? A : B;
                runs.add(pool.submit(() -> {
                    for (int i = 1; i <= 40; i++) {
                        long key = i;
                        d.update(DISK, doc -> register(doc, n, key), 1000);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Versioned v = one.read(DISK);
        assertThat(v.document().generation()).isEqualTo(80);
        assertThat(v.document().registrations()).hasSize(80);
        assertThat(v.version()).as("one znode version per change").isEqualTo(79);
    }

    @Test
    void aLostRaceIsReportedAndNothingIsOverwritten() throws Exception {
        PrDocuments d = new PrDocuments(client(), layout);
        assertThat(d.compareAndSet(DISK, Versioned.ABSENT, register(PrDocument.EMPTY, A, 1)))
                .isEqualTo(0);
        assertThat(d.compareAndSet(DISK, Versioned.ABSENT, register(PrDocument.EMPTY, B, 2)))
                .isEqualTo(Versioned.ABSENT);
        assertThat(d.compareAndSet(DISK, 0, register(d.read(DISK).document(), B, 2)))
                .isEqualTo(1);
        assertThat(d.compareAndSet(DISK, 0, PrDocument.EMPTY))
                .as("stale version")
                .isEqualTo(Versioned.ABSENT);
        assertThat(d.read(DISK).document().registrations())
                .extracting(PrRegistration::key)
                .containsExactly(1L, 2L);
    }

    @Test
    void unitAttentionsAreSequencedAndBounded() {
        PrDocument d = PrDocument.EMPTY;
        for (int i = 0; i < PrDocument.MAX_PENDING_UAS + 10; i++) {
            d = d.next(
                    d.generation(),
                    d.registrations(),
                    null,
                    null,
                    "g1",
                    List.of(new PrDocument.Added(A, false, 0x2A, 0x03)));
        }
        assertThat(d.uaSequence()).isEqualTo(PrDocument.MAX_PENDING_UAS + 10);
        assertThat(d.unitAttentions()).hasSize(PrDocument.MAX_PENDING_UAS);
        assertThat(d.unitAttentions().get(0).sequence()).isEqualTo(11);
        PendingUnitAttention ua = d.unitAttentions().get(0);
        assertThat(ua.appliesTo(A)).isTrue();
        assertThat(ua.appliesTo(new PrNexus(A.initiatorPort(), B.targetPort()))).isFalse();
    }

    @Test
    void theAbortMarkOfPreemptAndAbortIsStoredAndAnOlderDocumentHasNone() throws Exception {
        PrDocuments d = new PrDocuments(client(), layout);
        d.update(
                DISK,
                doc -> doc.next(
                        1,
                        List.of(),
                        null,
                        null,
                        "g1",
                        List.of(new PrDocument.Added(A, true, 0x2A, 0x05, false, true))),
                5);
        PendingUnitAttention stored = d.read(DISK).document().unitAttentions().get(0);
        assertThat(stored.abortTasks()).isTrue();
        assertThat(stored.allTgPt()).isTrue();
        // written by a gateway of the version before the mark: read as no abort
        String old = "{\"schema\":\"1.0\",\"generation\":1,\"uaSequence\":1,\"unitAttentions\":[{\"sequence\":1,"
                + "\"origin\":\"g1\",\"nexus\":{\"initiatorPort\":\"i\",\"targetPort\":\"t\"},\"allTgPt\":false,"
                + "\"asc\":42,\"ascq\":5,\"everyNexus\":false}]}";
        PendingUnitAttention before = d.decode("/x", old.getBytes(StandardCharsets.UTF_8), 0)
                .document()
                .unitAttentions()
                .get(0);
        assertThat(before.abortTasks()).isFalse();
        assertThat(before.ascq()).isEqualTo(5);
    }

    @Test
    void swpAndAModeParametersChangedForEveryNexusButTheSenderAreStoredAndAnOlderDocumentHasSwpZero() throws Exception {
        PrDocuments d = new PrDocuments(client(), layout);
        d.update(
                DISK,
                doc -> doc.next(
                        doc.generation(),
                        doc.registrations(),
                        null,
                        null,
                        true,
                        "g1",
                        List.of(PrDocument.Added.everyNexusExcept(A, 0x2A, 0x01))),
                5);
        PrDocument stored = d.read(DISK).document();
        assertThat(stored.softwareWriteProtect()).isTrue();
        assertThat(stored.generation()).as("SWP is no reservation change").isZero();
        PendingUnitAttention ua = stored.unitAttentions().get(0);
        assertThat(ua.appliesTo(A)).as("the sender").isFalse();
        assertThat(ua.appliesTo(B)).isTrue();
        // a reservation change keeps SWP
        d.update(DISK, doc -> doc.next(1, List.of(), null, B, "g2", List.of()), 5);
        assertThat(d.read(DISK).document().softwareWriteProtect()).isTrue();
        // written by a gateway of the version before SWP was shared: SWP=0, and its every-nexus unit attention
        // (a LOGICAL UNIT RESET's) leaves nobody out
        String old = "{\"schema\":\"1.0\",\"generation\":1,\"uaSequence\":1,\"unitAttentions\":[{\"sequence\":1,"
                + "\"origin\":\"g1\",\"nexus\":{\"initiatorPort\":\"*\",\"targetPort\":\"*\"},\"allTgPt\":true,"
                + "\"asc\":41,\"ascq\":3,\"everyNexus\":true}]}";
        PrDocument before =
                d.decode("/x", old.getBytes(StandardCharsets.UTF_8), 0).document();
        assertThat(before.softwareWriteProtect()).isFalse();
        assertThat(before.unitAttentions().get(0).exceptNexus()).isFalse();
        assertThat(before.unitAttentions().get(0).appliesTo(A)).isTrue();
    }

    @Test
    void watchersSeeEveryGatewaysWritesInOrder() throws Exception {
        CuratorFramework c1 = client();
        PrWatcher w2 = watcher(client());
        List<Integer> seen = new CopyOnWriteArrayList<>();
        w2.addListener((disk, v) -> seen.add(v.version()));
        PrDocuments d1 = new PrDocuments(c1, layout);
        for (int i = 1; i <= 5; i++) {
            long key = i;
            d1.update(DISK, doc -> register(doc, A, key), 10);
        }
        await().atMost(WAIT)
                .until(() -> w2.latest(DISK) != null && w2.latest(DISK).version() == 4);
        assertThat(seen).isSorted();
        assertThat(w2.latest(DISK).document().registrations()).hasSize(5);
    }

    @Test
    void awaitAcknowledgedWaitsForEveryOtherGatewayAndNamesTheLateOnes() throws Exception {
        CuratorFramework ca = client();
        CuratorFramework cb = client();
        PrWatcher wa = watcher(ca);
        PrDocuments da = new PrDocuments(ca, layout);
        PrDocuments db = new PrDocuments(cb, layout);
        db.acknowledge(DISK, "gw-b", 0);
        da.acknowledge(DISK, "gw-a", 0);
        await().atMost(WAIT)
                .until(() -> wa.awaitAcknowledged(DISK, 0, Set.of("gw-b"), Duration.ofSeconds(5))
                        .get()
                        .isEmpty());
        // gw-b acknowledges version 3 only after a while: the wait ends then, with nobody missing
        var pending = wa.awaitAcknowledged(DISK, 3, Set.of("gw-b"), Duration.ofSeconds(15));
        assertThat(pending).isNotDone();
        db.acknowledge(DISK, "gw-b", 3);
        assertThat(pending.get(20, TimeUnit.SECONDS)).isEmpty();
        // gw-b does not acknowledge 4: named after the timeout
        long start = System.nanoTime();
        assertThat(wa.awaitAcknowledged(DISK, 4, Set.of("gw-b"), Duration.ofMillis(500))
                        .get(20, TimeUnit.SECONDS))
                .containsExactly("gw-b");
        assertThat(System.nanoTime() - start)
                .isGreaterThanOrEqualTo(Duration.ofMillis(500).toNanos());
    }

    @Test
    void aGatewayWhoseSessionEndsNoLongerServesAndIsNamedIfWaitedFor() throws Exception {
        CuratorFramework ca = client();
        CuratorFramework cb = client();
        PrWatcher wa = watcher(ca);
        PrDocuments da = new PrDocuments(ca, layout);
        new PrDocuments(cb, layout).acknowledge(DISK, "gw-b", 0);
        da.acknowledge(DISK, "gw-a", 0);
        assertThat(da.acknowledgers(DISK)).containsExactlyInAnyOrder("gw-a", "gw-b");
        await().atMost(WAIT)
                .until(() -> wa.awaitAcknowledged(DISK, 0, Set.of("gw-b"), Duration.ZERO)
                        .get()
                        .isEmpty());
        var pending = wa.awaitAcknowledged(DISK, 1, Set.of("gw-b"), Duration.ofSeconds(2));
        KillSession.kill(cb.getZookeeperClient().getZooKeeper());
        assertThat(pending.get(20, TimeUnit.SECONDS)).containsExactly("gw-b");
        // its ephemeral acknowledgement is gone: the next change does not wait for it
        await().atMost(WAIT).until(() -> da.acknowledgers(DISK).equals(List.of("gw-a")));
    }

    @Test
    void aServerOutageMakesTheStateStaleUntilEveryDocumentIsReadAgain() throws Exception {
        CuratorFramework c = client();
        PrWatcher w = watcher(c);
        List<Boolean> transitions = new CopyOnWriteArrayList<>();
        w.addListener(new PrWatcher.Listener() {
            @Override
            public void changed(String disk, Versioned document) {}

            @Override
            public void current(boolean current) {
                transitions.add(current);
            }
        });
        PrDocuments d = new PrDocuments(c, layout);
        d.update(DISK, doc -> register(doc, A, 7), 10);
        await().atMost(WAIT).until(() -> w.latest(DISK) != null);
        assertThat(w.isCurrent()).isTrue();
        zk.stop();
        await().atMost(WAIT).until(() -> !w.isCurrent());
        zk.restart();
        await().atMost(WAIT).until(w::isCurrent);
        assertThat(transitions).containsExactly(false, true);
        // another client's write after the restart reaches the watcher
        new PrDocuments(client(), layout).update(DISK, doc -> register(doc, B, 8), 10);
        await().atMost(WAIT)
                .until(() -> w.latest(DISK).document().registrations().size() == 2);
    }
}
