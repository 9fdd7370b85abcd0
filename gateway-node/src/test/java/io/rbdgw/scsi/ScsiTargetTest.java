package io.rbdgw.scsi;

import static io.rbdgw.scsi.RecordingTask.NEXUS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ScsiTargetTest {

    private static final Object SESSION = new Object();

    private final ScsiTarget target = new ScsiTarget();

    private RecordingTask run(long lun, int... cdb) {
        RecordingTask t = new RecordingTask(NEXUS, lun, RecordingTask.bytes(cdb), null);
        target.execute(t);
        return t;
    }

    private static LogicalUnit lu(long lun) {
        return new LogicalUnit(lun, MemoryDevice.thin(16, 512), ua -> new PermitAll());
    }

    private long[] reportLuns(long via) {
        byte[] d = run(via, 0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        long[] luns = new long[b.getInt(0) / 8];
        for (int i = 0; i < luns.length; i++) {
            luns[i] = b.getLong(8 + 8 * i) >>> 48 & 0x3FFF;
        }
        return luns;
    }

    @Test
    void reportLunsFollowsAddAndRemoveAndPostsUnitAttention() {
        target.nexusCreated(NEXUS, SESSION);
        assertThat(reportLuns(0)).isEmpty();
        target.addLun(lu(0));
        target.addLun(lu(3));
        target.addLun(lu(300));
        assertThat(reportLuns(7)).containsExactly(0, 3, 300);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        target.removeLun(3);
        assertThat(reportLuns(0)).containsExactly(0, 300);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        run(0, 0x00, 0, 0, 0, 0, 0).good();
        run(300, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(300, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        run(300, 0x00, 0, 0, 0, 0, 0).good();
        run(0, 0xA0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0).invalidCdb(2, -1);
        run(0, 0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0).invalidCdb(6, -1);
    }

    @Test
    void nonexistentLun() {
        byte[] inq = run(5, 0x12, 0, 0, 0, 96, 0).good();
        assertThat(inq[0] & 0xff).isEqualTo(0x7F);
        byte[] sense = run(5, 0x03, 0, 0, 0, 18, 0).good();
        assertThat(SenseData.senseKey(sense)).isEqualTo(5);
        assertThat(SenseData.asc(sense)).isEqualTo(0x25);
        run(5, 0x00, 0, 0, 0, 0, 0).check(5, 0x25, 0);
        run(5, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(5, 0x25, 0);
    }

    @Test
    void lunResetAndTargetReset() {
        ItNexus other = RecordingTask.OTHER;
        target.addLun(lu(0));
        target.nexusCreated(NEXUS, SESSION);
        target.nexusCreated(other, SESSION);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        target.lunReset(0, other);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x03);
        target.targetReset(NEXUS);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x03); // the nexus that reset sees it too
        run(0, 0x00, 0, 0, 0, 0, 0).good();
        target.nexusLost(NEXUS, SESSION);
        assertThat(target.lun(0).unitAttentionQueues().knows(NEXUS)).isFalse();
    }

    @Test
    void aSessionThatFormsANexusAgainKeepsItWhenTheEarlierSessionsLateTeardownRuns() {
        target.addLun(lu(0));
        Object first = new Object();
        Object second = new Object();
        target.nexusCreated(NEXUS, first);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        target.lun(0).unitAttentionQueues().post(NEXUS, 0x2A, 0x09);
        // reinstatement: the new session forms the nexus before the old connection's teardown has run
        target.nexusCreated(NEXUS, second);
        target.nexusLost(NEXUS, first);
        assertThat(target.lun(0).unitAttentionQueues().knows(NEXUS)).isTrue();
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0); // a fresh nexus: the old one's conditions are gone
        run(0, 0x00, 0, 0, 0, 0, 0).good();
        target.lun(0).unitAttentionQueues().postAllExcept(null, 0x2A, 0x06);
        run(0, 0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x06);
        target.nexusLost(NEXUS, second);
        assertThat(target.lun(0).unitAttentionQueues().knows(NEXUS)).isFalse();
    }

    private RecordingTask run(ItNexus nexus, long lun, int... cdb) {
        RecordingTask t = new RecordingTask(nexus, lun, RecordingTask.bytes(cdb), null);
        target.execute(t);
        return t;
    }

    private long[] reportLuns(ItNexus nexus) {
        byte[] d = run(nexus, 0, 0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        long[] luns = new long[b.getInt(0) / 8];
        for (int i = 0; i < luns.length; i++) {
            luns[i] = b.getLong(8 + 8 * i) >>> 48 & 0x3FFF;
        }
        return luns;
    }

    @Test
    void maskedLunsAreInvisibleAndMaskingChangesPostUnitAttentionsToWhomItConcerns() {
        ItNexus other = RecordingTask.OTHER;
        target.addLun(lu(0));
        target.addLun(lu(1));
        target.nexusCreated(NEXUS, SESSION);
        target.nexusCreated(other, SESSION);
        // NEXUS sees LUN 0 and 1, OTHER only LUN 1
        target.setMasking((initiator, lun) -> initiator.equals(NEXUS.initiatorName()) || lun == 1);
        assertThat(reportLuns(NEXUS)).containsExactly(0, 1);
        assertThat(reportLuns(other)).containsExactly(1);
        run(other, 0, 0x00, 0, 0, 0, 0, 0).check(5, 0x25, 0);
        byte[] inq = run(other, 0, 0x12, 0, 0, 0, 96, 0).good();
        assertThat(inq[0] & 0xff).isEqualTo(0x7F);
        run(other, 1, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(other, 1, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E); // its view changed from both to one
        run(other, 1, 0x00, 0, 0, 0, 0, 0).good();
        run(NEXUS, 0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(NEXUS, 0, 0x00, 0, 0, 0, 0, 0).good(); // its view did not change

        // a LUN only NEXUS sees: OTHER is not told
        target.addLun(lu(2));
        run(other, 1, 0x00, 0, 0, 0, 0, 0).good();
        run(NEXUS, 0, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        assertThat(reportLuns(other)).containsExactly(1);

        // OTHER is granted everything: told on the LUNs it now sees
        target.setMasking(LunMasking.ALL);
        run(other, 0, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(other, 0, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        run(NEXUS, 1, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0);
        run(NEXUS, 1, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E); // LUN 2's arrival, queued per LUN
        run(NEXUS, 1, 0x00, 0, 0, 0, 0, 0).good(); // nothing new from the masking change
        assertThat(reportLuns(other)).containsExactly(0, 1, 2);
    }
}
