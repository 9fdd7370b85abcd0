package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetEntry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.TargetPortGroups;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The reconciler against a real ZooKeeper (in process), a real store and watcher, and memory disks. */
class ReconcilerTest {

    static final String T1 = "iqn.2003-01.io.rbdgw:t1";
    static final String T2 = "iqn.2003-01.io.rbdgw:t2";
    static final String ESX1 = "iqn.1998-01.com.vmware:esx1";
    static final String ESX2 = "iqn.1998-01.com.vmware:esx2";
    static final String WIN = "iqn.1991-05.com.microsoft:win1";
    static final String STRANGER = "iqn.1993-08.org.debian:stranger";
    static final ChapCredentials CHAP = new ChapCredentials("esx1user", "secretsecret1");
    static final ChapCredentials CHAP2 = new ChapCredentials("esx1user", "secretsecret2");

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    TestingServer zk;
    CuratorFramework client;
    ConfigStore store;
    ConfigWatcher watcher;
    GatewayMembership membership;
    Reconciler reconciler;
    final TargetRegistry registry = new TargetRegistry();
    final SessionRegistry sessions = new SessionRegistry();
    final Set<String> broken = ConcurrentHashMap.newKeySet();
    /** Disks whose opening throws an Error, as a stale jar would (NoClassDefFoundError from JNA). */
    final Set<String> staleJar = ConcurrentHashMap.newKeySet();

    final Set<String> opened = ConcurrentHashMap.newKeySet();
    /** Images that still have exclusive-lock, until their owner's check disables it. */
    final Set<String> lockedImages = ConcurrentHashMap.newKeySet();

    final List<String> checks = new CopyOnWriteArrayList<>();
    final List<String> fixed = new CopyOnWriteArrayList<>();
    final Set<String> closed = ConcurrentHashMap.newKeySet();
    /** When set, each open counts down and waits (at most 2 s) until the latch is at zero: opens that meet. */
    volatile CountDownLatch openTogether;

    final AtomicInteger opening = new AtomicInteger();
    final AtomicInteger mostOpeningAtOnce = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        zk = ZkConfig.loopbackServer();
        client = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .sessionTimeoutMs(30000)
                .connectionTimeoutMs(2000)
                .retryPolicy(new RetryNTimes(20, 100))
                .build();
        client.start();
        store = new ConfigStore(client, "/rbdgw");
        store.initialize();
        membership = new GatewayMembership(client, store.layout(), new MemberInfo("gw-a", List.of(), null, "test", 0));
        membership.start();
        DiskOpener opener = new DiskOpener() {
            @Override
            public BlockDevice open(Disk disk) throws Exception {
                mostOpeningAtOnce.accumulateAndGet(opening.incrementAndGet(), Math::max);
                try {
                    CountDownLatch together = openTogether;
                    if (together != null) {
                        together.countDown();
                        together.await(2, TimeUnit.SECONDS);
                    }
                    return ReconcilerTest.this.open(disk);
                } finally {
                    opening.decrementAndGet();
                }
            }

            /** As the RBD opener treats an image with exclusive-lock: only the owner changes it. */
            @Override
            public Optional<String> check(Disk disk, BlockDevice device, Changer changer) {
                checks.add(disk.id() + " owner=" + changer.owner() + " self=" + changer.self());
                if (!lockedImages.contains(disk.id())) {
                    return Optional.empty();
                }
                if (changer.self()) {
                    lockedImages.remove(disk.id());
                    fixed.add(disk.id());
                    return Optional.empty();
                }
                return Optional.of("image has exclusive-lock; its owner " + changer.owner() + " disables it");
            }
        };
        reconciler =
                new Reconciler("gw-a", registry, sessions, opener, membership::reportStatus, Duration.ofMillis(200));
        reconciler.start();
        watcher = new ConfigWatcher(store);
        watcher.addListener(reconciler);
        watcher.start();
    }

    private BlockDevice open(Disk disk) {
        {
            if (broken.contains(disk.id())) {
                throw new IllegalStateException("image " + disk.id() + " does not exist");
            }
            if (staleJar.contains(disk.id())) {
                throw new NoClassDefFoundError("com/sun/jna/Pointer");
            }
            opened.add(disk.id());
            BlockDevice memory = new MemoryBlockDevice(disk.size(), 512, "memory:" + disk.id());
            // records close() and delegates everything
            return (BlockDevice) java.lang.reflect.Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {BlockDevice.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            closed.add(disk.id());
                        }
                        try {
                            return method.invoke(memory, args);
                        } catch (java.lang.reflect.InvocationTargetException ex) {
                            throw ex.getCause();
                        }
                    });
        }
    }

    @AfterEach
    void stop() throws Exception {
        watcher.close();
        reconciler.close();
        membership.close();
        client.close();
        zk.close();
    }

    private long change(ConfigChange... changes) throws Exception {
        long epoch = store.update(c -> List.of(changes), 5);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
        return epoch;
    }

    private static Disk disk(String image) {
        return Disk.rbd("rbd", image, 1 << 20);
    }

    private ScsiTarget scsi(String iqn) {
        return reconciler.scsiTarget(iqn).orElseThrow();
    }

    private static ItNexus nexus(String initiator, String target) {
        return new ItNexus(initiator, 0x23d000000001L, target, 1, 1);
    }

    private static RecordingTask run(ScsiTarget t, ItNexus n, long lun, int... cdb) {
        RecordingTask task = new RecordingTask(n, lun, RecordingTask.bytes(cdb), null);
        t.execute(task);
        return task;
    }

    private static RecordingTask tur(ScsiTarget t, ItNexus n, long lun) {
        return run(t, n, lun, 0x00, 0, 0, 0, 0, 0);
    }

    private static long[] reportLuns(ScsiTarget t, ItNexus n) {
        byte[] d = run(t, n, 0, 0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        long[] luns = new long[b.getInt(0) / 8];
        for (int i = 0; i < luns.length; i++) {
            luns[i] = b.getLong(8 + 8 * i) >>> 48 & 0x3FFF;
        }
        return luns;
    }

    /** Consumes the power-on unit attention and whatever is queued on {@code lun}, until the LUN answers GOOD. */
    private static void drain(ScsiTarget t, ItNexus n, long lun) {
        for (int i = 0; i < 10; i++) {
            if (tur(t, n, lun).status == 0) {
                return;
            }
        }
        throw new AssertionError("LUN " + lun + " keeps reporting unit attentions");
    }

    private void basicTarget() throws Exception {
        change(
                new ConfigChange.PutTarget(Target.of(T1)),
                new ConfigChange.PutDisk(disk("a")),
                new ConfigChange.PutDisk(disk("b")),
                new ConfigChange.PutDisk(disk("c")),
                new ConfigChange.PutLun(new Lun(T1, 0, "rbd/a")),
                new ConfigChange.PutLun(new Lun(T1, 1, "rbd/b")),
                new ConfigChange.PutLun(new Lun(T1, 2, "rbd/c")),
                new ConfigChange.PutClient(Client.allLuns(T1, ESX1).withAuth(Authentication.chap(CHAP))),
                new ConfigChange.PutClient(Client.withLuns(T1, WIN, Set.of(1))),
                new ConfigChange.PutClient(Client.withLuns(T1, ESX2, Set.of())),
                new ConfigChange.PutHostGroup(HostGroup.of(T1, "cluster", Set.of(ESX2), Set.of("rbd/c"))),
                new ConfigChange.PutGateway(new Gateway("gw-a", List.of(Portal.parse("10.0.0.1:3260")), 7)),
                new ConfigChange.PutGateway(new Gateway("gw-b", List.of(Portal.parse("10.0.0.2:3260")), 8)));
    }

    @Test
    void encryptedChapSecretsAreDecryptedWhenAppliedAndAMissingKeyFailsClosed() throws Exception {
        String k1 = "k1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        String k2 = "k2:" + java.util.Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
        ConfigStore admin = new ConfigStore(client, "/rbdgw", SecretBox.parse(k1, "admin"));
        reconciler.secrets(SecretBox.parse(k2 + "\n" + k1, "gateway"));
        long epoch = admin.update(
                c -> List.of(
                        new ConfigChange.PutTarget(Target.of(T1)),
                        new ConfigChange.PutClient(Client.allLuns(T1, ESX1).withAuth(Authentication.chap(CHAP))),
                        new ConfigChange.PutDiscoveryAuth(Authentication.chap(CHAP2))),
                5);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
        String stored =
                store.read().client(T1, ESX1).orElseThrow().auth().chap().secret();
        assertThat(stored).startsWith("enc:v1:k1:");
        assertThat(registry.find(T1).loginFor(ESX1).initiatorChap().secret()).isEqualTo(CHAP.secret());
        assertThat(registry.discoveryChap().secret()).isEqualTo(CHAP2.secret());

        // a gateway without the key: CHAP stays required, with a secret no initiator can know
        reconciler.secrets(SecretBox.parse(k2, "gateway"));
        epoch = change(new ConfigChange.PutClient(Client.withLuns(T1, WIN, Set.of())));
        ChapSecret unusable = registry.find(T1).loginFor(ESX1).initiatorChap();
        assertThat(unusable).isNotNull();
        assertThat(unusable.user()).isEqualTo(CHAP.user());
        assertThat(unusable.secret()).isNotIn(CHAP.secret(), stored);
        assertThat(registry.discoveryChap()).isNotNull();
        assertThat(registry.discoveryChap().secret()).isNotIn(CHAP2.secret());
    }

    @Test
    void targetsLoginPolicyAndDiscoveryFollowTheConfiguration() throws Exception {
        basicTarget();
        TargetEntry e = registry.find(T1);
        assertThat(e).isNotNull();
        LoginTarget esx1 = e.loginFor(ESX1);
        assertThat(esx1.portalGroupTag()).isEqualTo(7);
        assertThat(esx1.initiatorChap().user()).isEqualTo("esx1user");
        assertThat(esx1.initiatorChap().secret()).isEqualTo("secretsecret1");
        assertThat(e.loginFor(WIN).initiatorChap()).isNull();
        assertThat(e.login().initiatorAllowed().test(ESX1)).isTrue();
        assertThat(e.login().initiatorAllowed().test(STRANGER)).isFalse();
        assertThat(registry.discoveryPortals())
                .containsExactly(
                        new TargetRegistry.PortalAddress("10.0.0.1:3260", 7),
                        new TargetRegistry.PortalAddress("10.0.0.2:3260", 8));
        assertThat(opened).containsExactlyInAnyOrder("rbd/a", "rbd/b", "rbd/c");

        // CHAP change: new logins use the new secret; discovery CHAP too
        change(
                new ConfigChange.PutClient(Client.allLuns(T1, ESX1).withAuth(Authentication.chap(CHAP2))),
                new ConfigChange.PutDiscoveryAuth(Authentication.chap(CHAP)));
        assertThat(registry.find(T1).loginFor(ESX1).initiatorChap().secret()).isEqualTo("secretsecret2");
        assertThat(registry.discoveryChap().secret()).isEqualTo("secretsecret1");
        assertThat(registry.find(T1).scsi()).isSameAs(e.scsi()); // the live target is kept

        // ACL: a removed client may not log in again and sees no LUN
        ScsiTarget t = scsi(T1);
        ItNexus win = nexus(WIN, T1);
        t.nexusCreated(win, win);
        drain(t, win, 1);
        change(new ConfigChange.DeleteClient(T1, WIN));
        assertThat(registry.find(T1).login().initiatorAllowed().test(WIN)).isFalse();
        assertThat(reportLuns(t, win)).isEmpty();
        tur(t, win, 1).check(5, 0x25, 0x00);

        // the target goes: no more logins, its disks close
        change(new ConfigChange.DeleteTarget(T1));
        assertThat(registry.find(T1)).isNull();
        assertThat(reconciler.scsiTarget(T1)).isEmpty();
        assertThat(closed).containsExactlyInAnyOrder("rbd/a", "rbd/b", "rbd/c");
    }

    @Test
    void aluaStatesFollowOwnershipSnapshotsAndChangesRaiseAsymmetricAccessStateChanged() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        t.nexusCreated(esx1, esx1);
        drain(t, esx1, 0);
        drain(t, esx1, 1);
        // before any ALUA snapshot: this gateway alone, optimized
        assertThat(reconciler.aluaOf(T1, 0).orElseThrow().groups(esx1))
                .extracting(TargetPortGroups.Group::id)
                .containsExactly(7);

        reconciler.aluaChanged(new AluaSnapshot(
                Map.of(
                        "rbd/a", new LunOwnership("rbd/a", "gw-a", 1, null),
                        "rbd/b", new LunOwnership("rbd/b", "gw-b", 1, null)),
                Set.of("gw-a", "gw-b"),
                Set.of()));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(reconciler.aluaOf(T1, 0).orElseThrow().groups(esx1))
                    .extracting(g -> g.id() + ":" + g.state())
                    .containsExactly(
                            "7:" + TargetPortGroups.ACTIVE_OPTIMIZED, "8:" + TargetPortGroups.ACTIVE_NON_OPTIMIZED);
            assertThat(reconciler.aluaOf(T1, 1).orElseThrow().groups(esx1))
                    .extracting(g -> g.id() + ":" + g.state())
                    .containsExactly(
                            "7:" + TargetPortGroups.ACTIVE_NON_OPTIMIZED, "8:" + TargetPortGroups.ACTIVE_OPTIMIZED);
        });
        tur(t, esx1, 0).check(6, 0x2A, 0x06);
        tur(t, esx1, 1).check(6, 0x2A, 0x06);
        tur(t, esx1, 1).good(); // the non-optimized path serves

        // gw-b is gone and rbd/b moved here
        reconciler.aluaChanged(new AluaSnapshot(
                Map.of(
                        "rbd/a", new LunOwnership("rbd/a", "gw-a", 1, null),
                        "rbd/b", new LunOwnership("rbd/b", "gw-a", 2, null)),
                Set.of("gw-a"),
                Set.of()));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(
                        () -> assertThat(reconciler.aluaOf(T1, 1).orElseThrow().localState())
                                .isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED));
        assertThat(reconciler.aluaOf(T1, 1).orElseThrow().groups(esx1))
                .extracting(g -> g.id() + ":" + g.state())
                .containsExactly("7:" + TargetPortGroups.ACTIVE_OPTIMIZED, "8:" + TargetPortGroups.UNAVAILABLE);
        tur(t, esx1, 1).check(6, 0x2A, 0x06);
        tur(t, esx1, 0).check(6, 0x2A, 0x06); // gw-b's group became Unavailable for LUN 0 too
        tur(t, esx1, 0).good();
    }

    @Test
    void aChangeRePublishesOnlyTheTargetsItChangesAndRecomputesNoAluaStateItLeftAlone() throws Exception {
        basicTarget();
        change(
                new ConfigChange.PutTarget(Target.of(T2)),
                new ConfigChange.PutDisk(disk("d")),
                new ConfigChange.PutLun(new Lun(T2, 0, "rbd/d")),
                new ConfigChange.PutClient(Client.allLuns(T2, ESX1)));
        reconciler.aluaChanged(new AluaSnapshot(
                Map.of("rbd/a", new LunOwnership("rbd/a", "gw-b", 1, null)), Set.of("gw-a", "gw-b"), Set.of()));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(
                        () -> assertThat(reconciler.aluaOf(T1, 0).orElseThrow().localState())
                                .isEqualTo(TargetPortGroups.ACTIVE_NON_OPTIMIZED));
        TargetEntry t1 = registry.find(T1);
        TargetEntry t2 = registry.find(T2);

        // T2's alias: T2 alone is re-published; no LUN's ALUA inputs changed
        change(new ConfigChange.PutTarget(new Target(T2, "renamed", true, Authentication.NONE, null)));
        assertThat(registry.find(T1)).isSameAs(t1);
        assertThat(registry.find(T2)).isNotSameAs(t2);
        assertThat(registry.find(T2).login().alias()).isEqualTo("renamed");
        assertThat(reconciler.lastPassWork()).isEqualTo(new Reconciler.PassWork(1, 0));

        // a client of T1: T1 alone, and its new masking applies
        change(new ConfigChange.PutClient(Client.withLuns(T1, STRANGER, Set.of(0))));
        assertThat(registry.find(T1)).isNotSameAs(t1);
        assertThat(registry.find(T1).login().initiatorAllowed().test(STRANGER)).isTrue();
        assertThat(reconciler.lastPassWork()).isEqualTo(new Reconciler.PassWork(1, 0));

        // outside every target (discovery CHAP): none
        TargetEntry t1now = registry.find(T1);
        change(new ConfigChange.PutDiscoveryAuth(Authentication.chap(CHAP)));
        assertThat(registry.find(T1)).isSameAs(t1now);
        assertThat(reconciler.lastPassWork()).isEqualTo(new Reconciler.PassWork(0, 0));

        // a gateway (every LUN's port groups): every target, every LUN's ALUA states
        change(new ConfigChange.PutGateway(new Gateway("gw-c", List.of(Portal.parse("10.0.0.3:3260")), 9)));
        assertThat(reconciler.lastPassWork()).isEqualTo(new Reconciler.PassWork(2, 4));
        assertThat(reconciler.aluaOf(T1, 0).orElseThrow().groups(nexus(ESX1, T1)))
                .extracting(TargetPortGroups.Group::id)
                .containsExactly(7, 8, 9);
    }

    @Test
    void reopenClosesTheDisksRunsTheStepBetweenAndServesThemAgain() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        io.rbdgw.scsi.LogicalUnit before = t.lun(0);
        opened.clear();
        java.util.concurrent.CountDownLatch between = new java.util.concurrent.CountDownLatch(1);
        reconciler.reopen(d -> d.id().equals("rbd/a"), () -> {
            assertThat(closed).containsExactly("rbd/a"); // closed before the new client exists
            between.countDown();
        });
        assertThat(between.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(opened).containsExactly("rbd/a");
            assertThat(t.lun(0)).isNotNull().isNotSameAs(before);
        });
        assertThat(t.lun(1)).isNotNull();
    }

    @Test
    void aLunWhoseDiskIsReopenedStaysListedAndAnswersNotReadyNeverLogicalUnitNotSupported() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        t.nexusCreated(esx1, esx1);
        drain(t, esx1, 0);
        drain(t, esx1, 1);
        java.util.concurrent.CountDownLatch inBetween = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        reconciler.reopen(d -> d.id().equals("rbd/a"), () -> {
            inBetween.countDown();
            try {
                release.await(); // a new Ceph client being connected
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(inBetween.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // hosts retry 02/04/0A; 05/25/00 would read as permanent device loss (ESXi PDL)
        tur(t, esx1, 0).check(2, 0x04, 0x0A);
        run(t, esx1, 0, 0x2A, 0, 0, 0, 0, 0, 0, 0, 0, 0).check(2, 0x04, 0x0A);
        assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2);
        tur(t, esx1, 1).good(); // the others had no 3F/0E: the LUN set did not change
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> t.lun(0) != null);
        drain(t, esx1, 0);
        tur(t, esx1, 1).good();
    }

    @Test
    void aGatewayThatDoesNotKnowItsAluaStateReportsItselfTransitioning() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        t.nexusCreated(esx1, esx1);
        drain(t, esx1, 0);
        reconciler.aluaChanged(new AluaSnapshot(
                Map.of("rbd/a", new LunOwnership("rbd/a", "gw-a", 1, null)), Set.of("gw-a", "gw-b"), Set.of()));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(
                        () -> assertThat(reconciler.aluaOf(T1, 0).orElseThrow().localState())
                                .isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED));
        drain(t, esx1, 0);

        reconciler.aluaKnown(false); // fenced, or its ZooKeeper session is lost
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(
                                reconciler.aluaOf(T1, 0).orElseThrow().groups(esx1))
                        .extracting(g -> g.id() + ":" + g.state())
                        .containsExactly(
                                "7:" + TargetPortGroups.TRANSITIONING, "8:" + TargetPortGroups.ACTIVE_NON_OPTIMIZED));
        tur(t, esx1, 0).check(6, 0x2A, 0x06);

        reconciler.aluaKnown(true);
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(
                        () -> assertThat(reconciler.aluaOf(T1, 0).orElseThrow().localState())
                                .isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED));
        tur(t, esx1, 0).check(6, 0x2A, 0x06);
    }

    @Test
    void anOwnershipSnapshotThatArrivesBeforeTheFirstConfigurationIsReportedOnceApplied() throws Exception {
        List<AluaSnapshot> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        Reconciler late = new Reconciler(
                "gw-a",
                new TargetRegistry(),
                new SessionRegistry(),
                disk -> new MemoryBlockDevice(disk.size(), 512, "memory:" + disk.id()),
                (e, h, d) -> {},
                Duration.ofMillis(200));
        late.observe(new Reconciler.Observer() {
            @Override
            public void aluaApplied(AluaSnapshot snapshot, int transitions, long nanos) {
                reported.add(snapshot);
            }
        });
        try {
            late.start();
            AluaSnapshot s = new AluaSnapshot(
                    Map.of("rbd/a", new LunOwnership("rbd/a", "gw-a", 3, null)), Set.of("gw-a"), Set.of());
            late.aluaChanged(s); // a gateway started after the ownership record existed
            Thread.sleep(200);
            watcher.addListener(late);
            long epoch = store.update(
                    c -> List.of(
                            new ConfigChange.PutTarget(Target.of(T2)),
                            new ConfigChange.PutDisk(disk("a")),
                            new ConfigChange.PutLun(new Lun(T2, 0, "rbd/a"))),
                    5);
            late.awaitApplied(epoch, Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(5)).until(() -> reported.contains(s));
        } finally {
            late.close();
        }
    }

    @Test
    void lunMaskingPerClientAndHostGroup() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        ItNexus esx2 = nexus(ESX2, T1);
        ItNexus win = nexus(WIN, T1);
        assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2);
        assertThat(reportLuns(t, win)).containsExactly(1);
        assertThat(reportLuns(t, esx2)).containsExactly(2); // through its host group's disk
        assertThat(reportLuns(t, nexus(STRANGER, T1))).isEmpty();
        t.nexusCreated(win, win);
        t.nexusCreated(esx2, esx2);
        tur(t, win, 0).check(5, 0x25, 0x00);
        drain(t, win, 1);
        drain(t, esx2, 2);

        // the host group gains a disk: only its member's view changes
        change(new ConfigChange.PutHostGroup(HostGroup.of(T1, "cluster", Set.of(ESX2), Set.of("rbd/c", "rbd/a"))));
        assertThat(reportLuns(t, esx2)).containsExactly(0, 2);
        tur(t, esx2, 2).check(6, 0x3F, 0x0E);
        tur(t, win, 1).good();
    }

    @Test
    void addedAndRemovedLunsRaiseReportedLunsDataChanged() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        ItNexus win = nexus(WIN, T1);
        t.nexusCreated(esx1, esx1);
        t.nexusCreated(win, win);
        drain(t, esx1, 0);
        drain(t, win, 1);

        change(new ConfigChange.PutDisk(disk("d")), new ConfigChange.PutLun(new Lun(T1, 5, "rbd/d")));
        assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2, 5);
        tur(t, esx1, 0).check(6, 0x3F, 0x0E);
        tur(t, win, 1).good(); // WIN does not see LUN 5: nothing changed for it
        assertThat(t.lun(5).identity()).isEqualTo(io.rbdgw.scsi.LuIdentity.fromDeviceIdentity("rbd/d"));

        change(new ConfigChange.DeleteLun(T1, 5));
        assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2);
        tur(t, esx1, 0).check(6, 0x3F, 0x0E);
        tur(t, esx1, 5).check(5, 0x25, 0x00);
        assertThat(closed).contains("rbd/d");
    }

    @Test
    void aDiskSharedByTwoTargetsIsOpenedOnceAndClosedWithItsLastLun() throws Exception {
        basicTarget();
        change(
                new ConfigChange.PutTarget(Target.of(T2).withAcl(false)),
                new ConfigChange.PutLun(new Lun(T2, 0, "rbd/a")));
        ScsiTarget t2 = scsi(T2);
        assertThat(t2.lun(0).device()).isSameAs(scsi(T1).lun(0).device());
        assertThat(reportLuns(t2, nexus(STRANGER, T2))).containsExactly(0); // ACL off: everyone sees everything
        change(new ConfigChange.DeleteLun(T2, 0));
        assertThat(closed).doesNotContain("rbd/a");
        change(new ConfigChange.DeleteTarget(T1));
        assertThat(closed).contains("rbd/a");
    }

    @Test
    void theRbdDisksOfManyNewLunsAreOpenedConcurrentlyWithABound() throws Exception {
        // the first four opens wait for each other (at most 2 s each): one after another, none would meet
        openTogether = new CountDownLatch(4);
        List<ConfigChange> changes = new ArrayList<>();
        changes.add(new ConfigChange.PutTarget(Target.of(T1).withAcl(false)));
        for (int i = 0; i < 48; i++) {
            changes.add(new ConfigChange.PutDisk(disk("many-" + i)));
            changes.add(new ConfigChange.PutLun(new Lun(T1, i, "rbd/many-" + i)));
        }
        long t0 = System.nanoTime();
        change(changes.toArray(ConfigChange[]::new));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertThat(opened).hasSize(48);
        assertThat(mostOpeningAtOnce.get())
                .as("disks opening at once (applied in " + ms + " ms)")
                .isGreaterThanOrEqualTo(4)
                .isLessThanOrEqualTo(LiveExports.OPEN_CONCURRENCY);
        assertThat(openTogether.getCount()).isZero();
        for (int i = 0; i < 48; i++) {
            assertThat(scsi(T1).lun(i).device().info().sizeBytes()).isEqualTo(1 << 20);
        }
        assertThat(closed).as("every disk opened ahead is used").isEmpty();
    }

    @Test
    void aDiskThatCannotBeOpenedDegradesWithoutBlockingTheRestAndIsRetried() throws Exception {
        broken.add("rbd/b");
        basicTarget();
        ScsiTarget t = scsi(T1);
        // the LUN whose disk is not open yet is listed and not ready (retryable), never LOGICAL UNIT NOT SUPPORTED
        // (a host's permanent device loss); the target is served (announced, logins accepted) meanwhile
        assertThat(reportLuns(t, nexus(ESX1, T1))).containsExactly(0, 1, 2);
        tur(t, nexus(ESX1, T1), 1).check(2, 0x04, 0x0A);
        assertThat(registry.isReady(T1)).isTrue();
        long epoch = store.epoch();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            GatewayStatus s = membership.view().status("gw-a").orElseThrow();
            assertThat(s.appliedEpoch()).isEqualTo(epoch);
            assertThat(s.health()).isEqualTo(GatewayStatus.Health.DEGRADED);
            assertThat(s.detail()).contains("rbd/b").contains("does not exist");
        });
        broken.clear(); // the image appears: the periodic retry picks it up
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                membership.view().status("gw-a").orElseThrow().health())
                        .isEqualTo(GatewayStatus.Health.OK));
        assertThat(reportLuns(t, nexus(ESX1, T1))).containsExactly(0, 1, 2);
        drain(t, nexus(ESX1, T1), 1);
    }

    /**
     * An image that still has exclusive-lock is changed by the disk's owner alone (two gateways updating one
     * image's features at once hung librbd), is served meanwhile, and stays reported until it is fixed: each
     * pass checks it again (before, a retry pass reported OK without looking).
     */
    @Test
    void onlyTheDisksOwnerFixesItsImageAndEveryPassChecksItUntilFixed() throws Exception {
        basicTarget();
        lockedImages.add("rbd/d");
        long epoch = store.update(
                c -> List.of(new ConfigChange.PutDisk(disk("d")), new ConfigChange.PutLun(new Lun(T1, 5, "rbd/d"))), 5);
        Reconciler.Status s = reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
        assertThat(s.health()).isEqualTo(GatewayStatus.Health.DEGRADED);
        assertThat(s.detail()).contains("disk rbd/d: image has exclusive-lock");
        assertThat(reportLuns(scsi(T1), nexus(ESX1, T1))).contains(5); // served meanwhile
        drain(scsi(T1), nexus(ESX1, T1), 5);

        // another gateway owns the disk: this one only reports, on every retry pass (200 ms here)
        reconciler.aluaChanged(new AluaSnapshot(
                Map.of("rbd/d", new LunOwnership("rbd/d", "gw-b", 1, null)), Set.of("gw-a", "gw-b"), Set.of()));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> checks.stream()
                                .filter(c -> c.equals("rbd/d owner=gw-b self=false"))
                                .count()
                        >= 3);
        assertThat(reconciler.status().orElseThrow().health()).isEqualTo(GatewayStatus.Health.DEGRADED);
        assertThat(reconciler.status().orElseThrow().detail()).contains("its owner gw-b disables it");
        assertThat(fixed).isEmpty();
        assertThat(checks).doesNotContain("rbd/d owner=gw-a self=true").contains("rbd/d owner=null self=false");

        // this gateway becomes the owner: the ownership change alone (no configuration change) fixes it, once
        reconciler.aluaChanged(new AluaSnapshot(
                Map.of("rbd/d", new LunOwnership("rbd/d", "gw-a", 2, null)), Set.of("gw-a", "gw-b"), Set.of()));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() ->
                        assertThat(reconciler.status().orElseThrow().health()).isEqualTo(GatewayStatus.Health.OK));
        assertThat(fixed).containsExactly("rbd/d");
        int checked = checks.size();
        change(new ConfigChange.PutDisk(disk("e")), new ConfigChange.PutLun(new Lun(T1, 6, "rbd/e")));
        assertThat(checks.subList(checked, checks.size()))
                .as("a fixed disk is not checked again by later passes")
                .containsExactly("rbd/e owner=null self=false");
    }

    @Test
    void withoutZooKeeperIoContinuesAndChangesMadeMeanwhileAreAppliedOnReturn() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        t.nexusCreated(esx1, esx1);
        drain(t, esx1, 0);
        long before = store.epoch();

        zk.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> !watcher.isConnected());
        tur(t, esx1, 0).good();
        byte[] write = new byte[512];
        write[0] = 42;
        RecordingTask w = new RecordingTask(esx1, 0, RecordingTask.bytes(0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0), write);
        t.execute(w);
        await().atMost(Duration.ofSeconds(5)).until(() -> w.completions == 1);
        assertThat(w.status).isZero();
        assertThat(registry.find(T1)).isNotNull();

        zk.restart();
        long epoch;
        // another admin's change while this gateway was cut off is the same as one made after: the
        // gateway catches up with whatever the store holds when it reconnects
        epoch = store.update(c -> List.of(new ConfigChange.DeleteLun(T1, 0)), 20);
        assertThat(epoch).isGreaterThan(before);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(20));
        assertThat(reportLuns(t, esx1)).containsExactly(1, 2);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                membership.view().status("gw-a").orElseThrow().appliedEpoch())
                        .isEqualTo(epoch));
    }

    @Test
    void aPassThatThrowsAnErrorIsLoggedCountedAndReportedAndTheNextPassStillApplies() throws Exception {
        basicTarget();
        ScsiTarget t = scsi(T1);
        ItNexus esx1 = nexus(ESX1, T1);
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Reconciler.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            staleJar.add("rbd/d");
            long epoch = store.update(
                    c -> List.of(new ConfigChange.PutDisk(disk("d")), new ConfigChange.PutLun(new Lun(T1, 5, "rbd/d"))),
                    5);
            Reconciler.Status s = reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
            assertThat(s.health()).isEqualTo(GatewayStatus.Health.DEGRADED);
            assertThat(s.detail())
                    .contains("internal error at target " + T1 + " LUN 5 (disk rbd/d)")
                    .contains("NoClassDefFoundError");
            assertThat(reconciler.failedPasses()).isPositive();
            List<ILoggingEvent> logged;
            synchronized (logs) { // the appender appends under its own lock; retries keep logging
                logged = List.copyOf(logs.list);
            }
            assertThat(logged).anySatisfy(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.ERROR);
                assertThat(e.getFormattedMessage())
                        .contains("epoch " + epoch)
                        .contains("LUN 5 (disk rbd/d)")
                        .contains("NoClassDefFoundError")
                        .contains("reinstall");
                assertThat(e.getThrowableProxy().getClassName()).isEqualTo(NoClassDefFoundError.class.getName());
            });
            assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2); // what was live stays live

            // the jar is fixed: the following passes run and apply the change and a newer one
            staleJar.clear();
            change(new ConfigChange.PutDisk(disk("e")), new ConfigChange.PutLun(new Lun(T1, 6, "rbd/e")));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(reportLuns(t, esx1)).containsExactly(0, 1, 2, 5, 6);
                assertThat(reconciler.status().orElseThrow().health()).isEqualTo(GatewayStatus.Health.OK);
            });
        } finally {
            logger.detachAppender(logs);
        }
    }
}
