package io.rbdgw.scsi;

import static io.rbdgw.scsi.TargetPortGroups.ACTIVE_NON_OPTIMIZED;
import static io.rbdgw.scsi.TargetPortGroups.ACTIVE_OPTIMIZED;
import static io.rbdgw.scsi.TargetPortGroups.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.ClusterTargetPortGroups.Port;
import io.rbdgw.scsi.TargetPortGroups.Group;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterTargetPortGroupsTest {

    private static final int LOCAL = 2;

    private final MemoryDevice device = MemoryDevice.thin(1024, 512);
    private final ClusterTargetPortGroups tpgs = new ClusterTargetPortGroups(LOCAL, 10);
    private final LogicalUnit lu =
            new LogicalUnit(0, device, LuIdentity.fromDeviceIdentity("disk-a"), ua -> new PermitAll(), tpgs);

    ClusterTargetPortGroupsTest() {
        tpgs.attach(lu.unitAttentions());
        lu.nexusCreated(RecordingTask.NEXUS);
        lu.nexusCreated(RecordingTask.OTHER);
        run(RecordingTask.NEXUS, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        run(RecordingTask.OTHER, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
    }

    @Test
    void ownerIsOptimizedOthersNonOptimizedDeadUnavailable() {
        List<Group> g = ClusterTargetPortGroups.states(
                List.of(new Port(3, false, false), new Port(1, true, true), new Port(LOCAL, true, false)), LOCAL);
        assertThat(g)
                .containsExactly(
                        new Group(1, ACTIVE_OPTIMIZED, false, List.of(1)),
                        new Group(2, ACTIVE_NON_OPTIMIZED, false, List.of(2)),
                        new Group(3, UNAVAILABLE, false, List.of(3)));
    }

    @Test
    void withoutALiveOwnerEveryLiveGatewayIsOptimizedAndTheLocalOneIsAlwaysListed() {
        List<Group> g =
                ClusterTargetPortGroups.states(List.of(new Port(1, false, true), new Port(3, true, false)), LOCAL);
        assertThat(g)
                .extracting(Group::id, Group::state)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, UNAVAILABLE),
                        org.assertj.core.groups.Tuple.tuple(2, ACTIVE_OPTIMIZED),
                        org.assertj.core.groups.Tuple.tuple(3, ACTIVE_OPTIMIZED));
    }

    @Test
    void reportTargetPortGroupsListsOneGroupPerGatewayWithItsState() {
        tpgs.update(LOCAL, List.of(new Port(1, true, false), new Port(LOCAL, true, true), new Port(3, false, false)));
        assertThat(tpgs.localState()).isEqualTo(ACTIVE_OPTIMIZED);
        run(RecordingTask.NEXUS, 0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x06);

        byte[] d = run(RecordingTask.NEXUS, 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
                .good();
        assertThat(((d[0] & 0xff) << 24 | (d[1] & 0xff) << 16 | (d[2] & 0xff) << 8 | d[3] & 0xff))
                .isEqualTo(3 * 12);
        // descriptor: state, supported, group id, reserved, status, vendor, port count, (reserved, relative port)
        assertThat(descriptor(d, 0)).containsExactly(ACTIVE_NON_OPTIMIZED, 1, 1);
        assertThat(descriptor(d, 1)).containsExactly(ACTIVE_OPTIMIZED, 2, 2);
        assertThat(descriptor(d, 2)).containsExactly(UNAVAILABLE, 3, 3);
    }

    @Test
    void extendedHeaderCarriesTheImplicitTransitionTime() {
        byte[] d = run(RecordingTask.NEXUS, 0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
                .good();
        assertThat(d[4]).isEqualTo((byte) 0x10);
        assertThat(d[5]).isEqualTo((byte) 10);
    }

    @Test
    void vpd83CarriesThisGatewaysGroupAndRelativePort() {
        byte[] d = run(RecordingTask.NEXUS, 0x12, 1, 0x83, 0, 255, 0).good();
        int rel = -1;
        int tpg = -1;
        for (int i = 4; i + 4 <= d.length; ) {
            int type = d[i + 1] & 0x0f;
            int len = d[i + 3] & 0xff;
            if (type == 4) {
                rel = (d[i + 6] & 0xff) << 8 | d[i + 7] & 0xff;
            } else if (type == 5) {
                tpg = (d[i + 6] & 0xff) << 8 | d[i + 7] & 0xff;
            }
            i += 4 + len;
        }
        assertThat(rel).isEqualTo(LOCAL);
        assertThat(tpg).isEqualTo(LOCAL);
    }

    @Test
    void aStateChangePostsAsymmetricAccessStateChangedToEveryNexusOnce() {
        List<Port> ownedByOther = List.of(new Port(1, true, true), new Port(LOCAL, true, false));
        assertThat(tpgs.update(LOCAL, ownedByOther)).isTrue();
        assertThat(tpgs.update(LOCAL, ownedByOther)).as("same view again").isFalse();
        assertThat(tpgs.localState()).isEqualTo(ACTIVE_NON_OPTIMIZED);
        run(RecordingTask.NEXUS, 0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x06);
        run(RecordingTask.NEXUS, 0x00, 0, 0, 0, 0, 0).good();
        run(RecordingTask.OTHER, 0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x06);
        run(RecordingTask.OTHER, 0x00, 0, 0, 0, 0, 0).good();
    }

    @Test
    void aNonOptimizedPathServesIo() {
        tpgs.update(LOCAL, List.of(new Port(1, true, true), new Port(LOCAL, true, false)));
        run(RecordingTask.NEXUS, 0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x06);
        // READ(10) of one block
        byte[] data = run(RecordingTask.NEXUS, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).good();
        assertThat(data).hasSize(512);
    }

    private RecordingTask run(ItNexus nexus, int... cdb) {
        RecordingTask t = new RecordingTask(nexus, 0, RecordingTask.bytes(cdb), null);
        lu.execute(t);
        return t;
    }

    private static int[] descriptor(byte[] d, int n) {
        int o = 4 + n * 12;
        return new int[] {
            d[o] & 0x0f, (d[o + 2] & 0xff) << 8 | d[o + 3] & 0xff, (d[o + 10] & 0xff) << 8 | d[o + 11] & 0xff
        };
    }
}
