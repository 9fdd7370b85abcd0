package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.iscsi.session.TargetRegistry.PortalAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The diff from what is live to a snapshot, without ZooKeeper, devices or sessions. */
class ReconcilePlanTest {

    private static final String T1 = "iqn.2026-11.io.rbdgw:t1";
    private static final String T2 = "iqn.2026-11.io.rbdgw:t2";
    private static final long MIB = 1 << 20;

    private static ClusterConfig config(Disk... disks) {
        ClusterConfig.Builder b = ClusterConfig.EMPTY.toBuilder()
                .epoch(3)
                .put(new Gateway("gw-a", List.of(Portal.parse("10.0.0.1:3260")), 2))
                .put(new Gateway("gw-b", List.of(Portal.parse("10.0.0.2:3260"), Portal.parse("10.0.1.2:3260")), 3))
                .put(Target.of(T1));
        for (Disk d : disks) {
            b.put(d);
        }
        return b.build();
    }

    private static ClusterConfig withLuns(ClusterConfig c, Lun... luns) {
        ClusterConfig.Builder b = c.toBuilder();
        for (Lun l : luns) {
            b.put(l);
        }
        return b.build();
    }

    @Test
    void fromNothingEveryTargetAndLunIsAddedAndThePortalsAndPortGroupComeFromTheGateways() {
        ClusterConfig c = withLuns(
                config(Disk.rbd("rbd", "a", MIB), Disk.rbd("rbd", "b", MIB)),
                new Lun(T1, 1, "rbd/b"),
                new Lun(T1, 0, "rbd/a"));

        ReconcilePlan plan = ReconcilePlan.between(c, "gw-b", Map.of(), Map.of());

        assertThat(plan.portGroup()).isEqualTo(3);
        assertThat(plan.discoveryPortals())
                .containsExactly(
                        new PortalAddress("10.0.0.1:3260", 2),
                        new PortalAddress("10.0.0.2:3260", 3),
                        new PortalAddress("10.0.1.2:3260", 3));
        assertThat(plan.removedTargets()).isEmpty();
        assertThat(plan.replacedDisks()).isEmpty();
        assertThat(plan.targets()).containsOnlyKeys(T1);
        assertThat(plan.targets().get(T1).removed()).isEmpty();
        assertThat(plan.targets().get(T1).added()).containsExactly(Map.entry(0, "rbd/a"), Map.entry(1, "rbd/b"));
    }

    @Test
    void aGatewayTheSnapshotDoesNotDeclareIsPortGroupOne() {
        assertThat(ReconcilePlan.between(config(), "gw-x", Map.of(), Map.of()).portGroup())
                .isEqualTo(1);
    }

    @Test
    void whatIsLiveAndUnchangedIsLeftAloneAndOnlyTheDifferenceIsPlanned() {
        Disk a = Disk.rbd("rbd", "a", MIB);
        Disk b = Disk.rbd("rbd", "b", MIB);
        Disk d = Disk.rbd("rbd", "d", MIB);
        ClusterConfig c =
                withLuns(config(a, b, d), new Lun(T1, 0, "rbd/a"), new Lun(T1, 1, "rbd/d"), new Lun(T1, 3, "rbd/b"));
        Map<String, Map<Integer, String>> live = Map.of(
                T1, Map.of(0, "rbd/a", 1, "rbd/b", 2, "rbd/c"), // 1 now exports another disk, 2 is gone
                T2, Map.of(0, "rbd/a")); // the target is gone

        ReconcilePlan plan = ReconcilePlan.between(c, "gw-a", live, Map.of("rbd/a", a, "rbd/b", b));

        assertThat(plan.removedTargets()).containsExactly(T2);
        assertThat(plan.replacedDisks()).isEmpty();
        assertThat(plan.targets().get(T1).removed()).containsExactly(1, 2);
        assertThat(plan.targets().get(T1).added()).containsExactly(Map.entry(1, "rbd/d"), Map.entry(3, "rbd/b"));
    }

    @Test
    void aDiskWhoseDeviceChangedIsReplacedAndItsLunsAreAddedAgainNotRemoved() {
        Disk before = Disk.file("local", "f", MIB, "/srv/f.img");
        Disk moved = Disk.file("local", "f", MIB, "/srv/g.img");
        Disk grown = Disk.rbd("rbd", "a", 2 * MIB);
        ClusterConfig c = withLuns(config(moved, grown), new Lun(T1, 0, "local/f"), new Lun(T1, 1, "rbd/a"));

        ReconcilePlan plan = ReconcilePlan.between(
                c,
                "gw-a",
                Map.of(T1, Map.of(0, "local/f", 1, "rbd/a")),
                Map.of("local/f", before, "rbd/a", Disk.rbd("rbd", "a", MIB)));

        // a new path is another device; a new size is the same device, grown online
        assertThat(plan.replacedDisks()).containsExactly("local/f");
        assertThat(plan.targets().get(T1).removed()).isEmpty();
        assertThat(plan.targets().get(T1).added()).containsExactly(Map.entry(0, "local/f"));
    }

    @Test
    void aLunWhoseDiskCouldNotBeOpenedIsPlannedAgain() {
        Disk a = Disk.rbd("rbd", "a", MIB);
        ClusterConfig c = withLuns(config(a), new Lun(T1, 0, "rbd/a"));

        ReconcilePlan plan = ReconcilePlan.between(c, "gw-a", Map.of(T1, Map.of()), Map.of());

        assertThat(plan.targets().get(T1).added()).containsExactly(Map.entry(0, "rbd/a"));
    }

    @Test
    void aNewIdentitySeedIsAnotherDevice() {
        Disk a = Disk.rbd("rbd", "a", MIB);
        Disk reseeded = new Disk("rbd", "a", MIB, "other-seed", null, null);
        assertThat(ReconcilePlan.sameDevice(a, Disk.rbd("rbd", "a", 4 * MIB))).isTrue();
        assertThat(ReconcilePlan.sameDevice(a, reseeded)).isFalse();
        assertThat(ReconcilePlan.sameDevice(a, Disk.memory("rbd", "a", MIB))).isFalse();
    }

    @Test
    void aTargetsSliceChangesWithItsOwnItemsAndItsDisksOnlyNotWithOtherTargetsOrTheEpoch() {
        Disk a = Disk.rbd("rbd", "a", MIB);
        Disk b = Disk.rbd("rbd", "b", MIB);
        ClusterConfig c = withLuns(config(a, b).toBuilder().put(Target.of(T2)).build(), new Lun(T1, 0, "rbd/a"));
        ClusterConfig otherTarget = withLuns(c, new Lun(T2, 0, "rbd/b")).toBuilder()
                .epoch(4)
                .put(new Target(T2, "renamed", true, null, null))
                .build();
        Target t1 = c.target(T1).orElseThrow();

        assertThat(ReconcilePlan.slice(otherTarget, t1)).isEqualTo(ReconcilePlan.slice(c, t1));
        assertThat(ReconcilePlan.slice(c, t1).disks()).containsExactly(a); // not every disk of the cluster
        ClusterConfig resized =
                c.toBuilder().put(Disk.rbd("rbd", "a", 2 * MIB)).epoch(5).build();
        assertThat(ReconcilePlan.slice(resized, t1)).isNotEqualTo(ReconcilePlan.slice(c, t1));
        Target aclOff = t1.withAcl(false);
        ClusterConfig changed = c.toBuilder().put(aclOff).build();
        assertThat(ReconcilePlan.slice(changed, aclOff)).isNotEqualTo(ReconcilePlan.slice(c, t1));
    }
}
