package io.rbdgw.scsi.xcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.MemoryDevice;
import io.rbdgw.scsi.PermitAll;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.WriteGate;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExtendedCopyTest {

    private static final int BS = 512;

    private final ScsiTarget target = new ScsiTarget();
    private final MemoryDevice dev0 = MemoryDevice.thin(4096, BS); // 2 MiB: more than one copy chunk
    private final MemoryDevice dev1 = MemoryDevice.thin(1024, BS);
    private final PermitAll res0 = new PermitAll();
    private final PermitAll res1 = new PermitAll();
    private LogicalUnit lu0;
    private LogicalUnit lu1;

    @BeforeEach
    void setUp() {
        lu0 = new LogicalUnit(0, dev0, ua -> res0);
        lu1 = new LogicalUnit(1, dev1, ua -> res1);
        target.addLun(lu0);
        target.addLun(lu1);
        target.nexusCreated(RecordingTask.NEXUS, this);
        run(0, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        run(1, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        for (int i = 0; i < dev0.data.length; i++) {
            dev0.data[i] = (byte) (i * 31 + i / BS);
        }
    }

    private RecordingTask run(long lun, byte[] data, int... cdb) {
        RecordingTask t = new RecordingTask(RecordingTask.NEXUS, lun, RecordingTask.bytes(cdb), data);
        target.execute(t);
        return t;
    }

    private RecordingTask xcopy(long lun, byte[] list) {
        int n = list.length;
        return run(
                lun, list, 0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >>> 24, n >>> 16 & 0xff, n >>> 8 & 0xff, n & 0xff, 0, 0);
    }

    private RecordingTask receive(long lun, int sa, int listId) {
        return run(lun, null, 0x84, sa, listId, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0);
    }

    /** Builds an EXTENDED COPY (LID1) parameter list. */
    private static final class ListBuilder {
        final ByteArrayOutputStream targets = new ByteArrayOutputStream();
        final ByteArrayOutputStream segments = new ByteArrayOutputStream();
        int listId = 1;
        int usage = 0;

        ListBuilder target(LuIdentity id) {
            return target(0xE4, id.naaDesignator(), BS, 0);
        }

        ListBuilder target(int type, byte[] naa, int blockSize, int byte1) {
            byte[] d = new byte[32];
            d[0] = (byte) type;
            d[1] = (byte) byte1;
            d[4] = 0x01; // binary
            d[5] = 0x03; // LU association, NAA
            d[7] = 16;
            System.arraycopy(naa, 0, d, 8, 16);
            d[29] = (byte) (blockSize >>> 16);
            d[30] = (byte) (blockSize >>> 8);
            d[31] = (byte) blockSize;
            targets.writeBytes(d);
            return this;
        }

        ListBuilder segment(int src, int dst, int blocks, long srcLba, long dstLba) {
            return segment(0x02, src, dst, blocks, srcLba, dstLba);
        }

        ListBuilder segment(int type, int src, int dst, int blocks, long srcLba, long dstLba) {
            ByteBuffer d = ByteBuffer.allocate(28);
            d.put((byte) type)
                    .put((byte) 0)
                    .putShort((short) 24)
                    .putShort((short) src)
                    .putShort((short) dst)
                    .putShort((short) 0)
                    .putShort((short) blocks)
                    .putLong(srcLba)
                    .putLong(dstLba);
            segments.writeBytes(d.array());
            return this;
        }

        byte[] build() {
            ByteBuffer b = ByteBuffer.allocate(16 + targets.size() + segments.size());
            b.put((byte) listId)
                    .put((byte) (usage << 3))
                    .putShort((short) targets.size())
                    .putInt(0)
                    .putInt(segments.size())
                    .putInt(0);
            b.put(targets.toByteArray()).put(segments.toByteArray());
            return b.array();
        }
    }

    private byte[] blocks(byte[] data, long lba, int count) {
        return Arrays.copyOfRange(data, (int) lba * BS, (int) (lba + count) * BS);
    }

    @Test
    void copiesBetweenTwoLogicalUnits() {
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .target(lu1.identity())
                .segment(0, 1, 16, 3, 100)
                .segment(0, 1, 8, 4000, 0)
                .build();
        RecordingTask t = xcopy(0, list);
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(t.transferLength).isEqualTo(list.length);
        assertThat(blocks(dev1.data, 100, 16)).isEqualTo(blocks(dev0.data, 3, 16));
        assertThat(blocks(dev1.data, 0, 8)).isEqualTo(blocks(dev0.data, 4000, 8));
        assertThat(blocks(dev1.data, 116, 1)).containsOnly(0);
    }

    @Test
    void copiesWithinOneUnitAcrossChunksWithOverlap() {
        byte[] before = dev0.data.clone();
        // 1.5 MiB, destination overlapping the source from behind: must behave like memmove
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .segment(0, 0, 3000, 10, 500)
                .build();
        assertThat(xcopy(0, list).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev0.data, 500, 3000)).isEqualTo(blocks(before, 10, 3000));
        assertThat(blocks(dev0.data, 0, 500)).isEqualTo(blocks(before, 0, 500));
        assertThat(dev0.ops)
                .filteredOn(op -> op.startsWith("read"))
                .hasSize(2)
                .allMatch(op -> Integer.parseInt(op.split(" ")[2]) <= CopyLimits.CHUNK_BYTES);
        // and the other way round
        byte[] mid = dev0.data.clone();
        list = new ListBuilder()
                .target(lu0.identity())
                .segment(0, 0, 3000, 600, 20)
                .build();
        assertThat(xcopy(0, list).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev0.data, 20, 3000)).isEqualTo(blocks(mid, 600, 3000));
    }

    @Test
    void copyManagerOnTheDestinationUnitWorksToo() {
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .target(lu1.identity())
                .segment(0, 1, 4, 0, 1020)
                .build();
        assertThat(xcopy(1, list).status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev1.data, 1020, 4)).isEqualTo(blocks(dev0.data, 0, 4));
    }

    @Test
    void emptyParameterListIsGood() {
        RecordingTask t = xcopy(0, new byte[0]);
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void parameterListLengthErrors() {
        byte[] list =
                new ListBuilder().target(lu0.identity()).segment(0, 0, 1, 0, 1).build();
        xcopy(0, Arrays.copyOf(list, 16 + 31)).check(5, 0x1A, 0x00);
        xcopy(0, Arrays.copyOf(list, list.length - 1)).check(5, 0x1A, 0x00);
        xcopy(0, Arrays.copyOf(list, 10)).check(5, 0x1A, 0x00);
        ListBuilder huge = new ListBuilder();
        for (int i = 0; i <= CopyLimits.MAX_TARGET_DESCRIPTORS; i++) {
            huge.target(lu0.identity());
        }
        for (int i = 0; i <= CopyLimits.MAX_SEGMENT_DESCRIPTORS; i++) {
            huge.segment(0, 0, 1, 0, 1);
        }
        xcopy(0, huge.build()).check(5, 0x1A, 0x00);
    }

    @Test
    void descriptorCountAndTypeErrors() {
        ListBuilder b = new ListBuilder();
        for (int i = 0; i <= CopyLimits.MAX_TARGET_DESCRIPTORS; i++) {
            b.target(lu0.identity());
        }
        xcopy(0, b.segment(0, 0, 1, 0, 1).build()).check(5, 0x26, 0x06);
        b = new ListBuilder().target(lu0.identity());
        for (int i = 0; i <= CopyLimits.MAX_SEGMENT_DESCRIPTORS; i++) {
            b.segment(0, 0, 1, 0, 1);
        }
        xcopy(0, b.build()).check(5, 0x26, 0x08);
        byte[] naa = lu0.identity().naaDesignator();
        xcopy(
                        0,
                        new ListBuilder()
                                .target(0xE0, naa, BS, 0)
                                .segment(0, 0, 1, 0, 1)
                                .build())
                .check(5, 0x26, 0x07);
        xcopy(
                        0,
                        new ListBuilder()
                                .target(lu0.identity())
                                .segment(0x03, 0, 0, 1, 0, 1)
                                .build())
                .check(5, 0x26, 0x09);
        // block length not the unit's, peripheral type not a block device: invalid field, pointer given
        RecordingTask t = xcopy(
                0,
                new ListBuilder()
                        .target(0xE4, naa, 4096, 0)
                        .segment(0, 0, 1, 0, 1)
                        .build());
        t.check(5, 0x26, 0x00);
        assertThat(((t.sense[16] & 0xff) << 8) | (t.sense[17] & 0xff)).isEqualTo(16 + 29);
        xcopy(
                        0,
                        new ListBuilder()
                                .target(0xE4, naa, BS, 0x01)
                                .segment(0, 0, 1, 0, 1)
                                .build())
                .check(5, 0x26, 0x00);
        assertThat(dev0.ops).noneMatch(op -> op.startsWith("write"));
    }

    @Test
    void segmentsThatCannotBeCarriedOutAbortTheCopyBeforeAnyData() {
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .segment(0, 0, 8, 0, 8)
                .segment(0, 1, 1, 0, 0)
                .build(); // index 1 does not exist
        RecordingTask t = xcopy(0, list);
        t.check(0x0A, 0x08, 0x04);
        assertThat(t.sense[11]).as("segment number").isEqualTo((byte) 1);
        assertThat(t.sense[15] & 0xff).isEqualTo(0xA0);
        assertThat(t.sense[17]).as("field: destination id").isEqualTo((byte) 6);
        assertThat(dev0.ops).noneMatch(op -> op.startsWith("write"));

        t = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .segment(0, 0, 2048, 0, 4096 - 1)
                        .build());
        t.check(0x0A, 0x00, 0x00);
        assertThat(t.sense[17]).as("field: destination LBA").isEqualTo((byte) 20);
        xcopy(
                        0,
                        new ListBuilder()
                                .target(lu0.identity())
                                .segment(0, 0, 1, -1L, 0)
                                .build())
                .check(0x0A, 0, 0);

        byte[] stranger = new LuIdentity("X", "Y", "1", "s", 0x6000000000000001L, 2).naaDesignator();
        xcopy(
                        0,
                        new ListBuilder()
                                .target(lu0.identity())
                                .target(0xE4, stranger, BS, 0)
                                .segment(0, 1, 1, 0, 0)
                                .build())
                .check(0x0A, 0x0D, 0x02);
        xcopy(
                        0,
                        new ListBuilder()
                                .target(0xE4, lu0.identity().naaDesignator(), BS, 0x20)
                                .segment(0, 0, 1, 0, 1)
                                .build())
                .check(0x0A, 0x08, 0x04);
    }

    @Test
    void aMaskedUnitIsNotACopyTargetInEitherDirection() {
        // the nexus sees LUN 0 only; LUN 1's designator must be as unknown to it as a stranger's
        target.setMasking((initiator, lun) -> lun == 0 || !initiator.equals(RecordingTask.NEXUS.initiatorName()));
        Arrays.fill(dev1.data, (byte) 0x5A);
        byte[] before0 = dev0.data.clone();
        run(0, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E); // its view changed

        RecordingTask into = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .target(lu1.identity())
                        .segment(0, 1, 8, 0, 0)
                        .build());
        into.check(0x0A, 0x0D, 0x02);
        assertThat(into.sense[17]).as("field: destination id").isEqualTo((byte) 6);
        RecordingTask outOf = xcopy(
                0,
                new ListBuilder()
                        .target(lu1.identity())
                        .target(lu0.identity())
                        .segment(0, 1, 8, 0, 0)
                        .build());
        outOf.check(0x0A, 0x0D, 0x02);
        assertThat(outOf.sense[17]).as("field: source id").isEqualTo((byte) 4);

        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write") || op.startsWith("read"));
        assertThat(dev1.data).containsOnly(0x5A);
        assertThat(dev0.data).isEqualTo(before0);
        // another initiator that sees both still copies
        RecordingTask other = new RecordingTask(RecordingTask.OTHER, 0, RecordingTask.bytes(0x00, 0, 0, 0, 0, 0), null);
        target.nexusCreated(RecordingTask.OTHER, this);
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .target(lu1.identity())
                .segment(0, 1, 8, 0, 0)
                .build();
        int n = list.length;
        RecordingTask ok = new RecordingTask(
                RecordingTask.OTHER,
                0,
                RecordingTask.bytes(
                        0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >>> 24, n >>> 16 & 0xff, n >>> 8 & 0xff, n & 0xff, 0, 0),
                list);
        target.execute(other);
        target.execute(ok);
        assertThat(ok.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev1.data, 0, 8)).isEqualTo(blocks(dev0.data, 0, 8));
    }

    /**
     * A copy into another disk passes that disk's write gate for every chunk: without its token the copy writes
     * nothing and waits for it (the gateway asks for it, as for a host's write); once granted the copy runs and the
     * gate counts its writes as done.
     */
    @Test
    void aDestinationIsWrittenOnlyUnderItsDisksWriteTokenAndTheCopyWaitsForIt() {
        AtomicInteger asked = new AtomicInteger();
        WriteGate gate1 = new WriteGate("pool/disk1", asked::incrementAndGet, 16, Duration.ofSeconds(30));
        lu1.writeGate(gate1);
        Arrays.fill(dev1.data, (byte) 0x5A);
        byte[] list = new ListBuilder()
                .target(lu0.identity())
                .target(lu1.identity())
                .segment(0, 1, 8, 0, 0)
                .build();

        RecordingTask waiting = xcopy(0, list);
        assertThat(waiting.completions).as("waits for the destination's token").isZero();
        assertThat(asked).as("the token was asked for").hasPositiveValue();
        assertThat(gate1.waiting()).isEqualTo(1);
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
        assertThat(dev1.data).containsOnly(0x5A);

        gate1.grant(); // the memory device completes inline: the copy ends within this call
        assertThat(waiting.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev1.data, 0, 8)).isEqualTo(blocks(dev0.data, 0, 8));
        assertThat(gate1.inflight()).isZero();
        assertThat(gate1.waiting()).isZero();
    }

    /** The destination's token does not come within the wait: 02/04/0A (hosts retry), nothing written. */
    @Test
    void withoutTheDestinationsTokenTheCopyEndsRetryablyAndWritesNothing() {
        WriteGate gate1 = new WriteGate("pool/disk1", () -> {}, 16, Duration.ofMillis(100));
        lu1.writeGate(gate1);
        Arrays.fill(dev1.data, (byte) 0x5A);
        RecordingTask t = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .target(lu1.identity())
                        .segment(0, 1, 8, 0, 0)
                        .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> t.completions == 1);
        t.check(2, 0x04, 0x0A);
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
        assertThat(dev1.data).containsOnly(0x5A);
        receive(0, 0, 1).good(); // its status is held as failed
    }

    /**
     * The copy manager reads its source: a copy sent to the source unit, whose disk's write token is another
     * gateway's, runs at once and asks for nothing (it once waited for the source's token and moved it).
     */
    @Test
    void theSourcesWriteTokenIsNotNeeded() {
        AtomicInteger asked0 = new AtomicInteger();
        WriteGate gate0 = new WriteGate("pool/disk0", asked0::incrementAndGet, 16, Duration.ofSeconds(30));
        lu0.writeGate(gate0); // never granted: another gateway writes disk 0
        WriteGate gate1 = new WriteGate("pool/disk1", () -> {}, 16, Duration.ofSeconds(30));
        gate1.grant();
        lu1.writeGate(gate1);
        RecordingTask t = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .target(lu1.identity())
                        .segment(0, 1, 8, 16, 32)
                        .build());
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(blocks(dev1.data, 32, 8)).isEqualTo(blocks(dev0.data, 16, 8));
        assertThat(asked0).as("the source's token was not asked for").hasValue(0);
        assertThat(gate0.waiting()).isZero();
        assertThat(gate1.inflight()).isZero();
    }

    @Test
    void destinationReservationConflicts() {
        res1.permit = false;
        RecordingTask t = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .target(lu1.identity())
                        .segment(0, 1, 1, 0, 0)
                        .build());
        assertThat(t.status).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
    }

    @Test
    void deviceFailureIsCopyAborted() {
        dev1.failNext =
                new io.rbdgw.block.BlockDeviceException(io.rbdgw.block.BlockDeviceException.Kind.WRITE_ERROR, "boom");
        RecordingTask t = xcopy(
                0,
                new ListBuilder()
                        .target(lu0.identity())
                        .target(lu1.identity())
                        .segment(0, 1, 1, 0, 0)
                        .build());
        t.check(0x0A, 0x0C, 0x00);
        receive(0, 0, 1).good();
    }

    @Test
    void copyStatusIsHeldPerListIdentifierAndNexus() {
        receive(0, 0x00, 7).invalidCdb(2, -1);
        ListBuilder b =
                new ListBuilder().target(lu0.identity()).target(lu1.identity()).segment(0, 1, 16, 0, 0);
        b.listId = 7;
        assertThat(xcopy(0, b.build()).status).isEqualTo(ScsiStatus.GOOD);
        byte[] d = receive(0, 0x00, 7).good();
        assertThat(d).hasSize(12);
        assertThat(ByteBuffer.wrap(d).getInt(0)).isEqualTo(8);
        assertThat(d[4]).as("completed, no errors").isEqualTo((byte) 0x01);
        assertThat(ByteBuffer.wrap(d).getShort(5)).as("segments").isEqualTo((short) 1);
        assertThat(d[7]).as("bytes").isZero();
        assertThat(ByteBuffer.wrap(d).getInt(8)).isEqualTo(16 * BS);
        // not held: usage 10b
        b.listId = 8;
        b.usage = 2;
        assertThat(xcopy(0, b.build()).status).isEqualTo(ScsiStatus.GOOD);
        receive(0, 0x00, 8).invalidCdb(2, -1);
        // usage 11b needs list id 0
        b.usage = 3;
        xcopy(0, b.build()).check(5, 0x26, 0x00);
        // a lost nexus takes its statuses with it
        target.nexusLost(RecordingTask.NEXUS, this);
        target.nexusCreated(RecordingTask.NEXUS, this);
        run(0, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        receive(0, 0x00, 7).invalidCdb(2, -1);
    }

    @Test
    void operatingParameters() {
        byte[] d = receive(0, 0x03, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        assertThat(d).hasSize(46);
        assertThat(b.getInt(0)).isEqualTo(42);
        assertThat(b.getShort(8)).isEqualTo((short) CopyLimits.MAX_TARGET_DESCRIPTORS);
        assertThat(b.getShort(10)).isEqualTo((short) CopyLimits.MAX_SEGMENT_DESCRIPTORS);
        assertThat(b.getInt(12)).isEqualTo(CopyLimits.MAX_DESCRIPTOR_LIST_LENGTH);
        assertThat(b.getInt(16)).isEqualTo(CopyLimits.MAX_SEGMENT_BYTES);
        assertThat(d[37]).isEqualTo((byte) 9);
        assertThat(d[43]).isEqualTo((byte) 2);
        assertThat(Arrays.copyOfRange(d, 44, 46)).containsExactly(0x02, 0xE4);
        // other service actions are not supported
        receive(0, 0x01, 0).invalidCdb(1, 4);
    }

    @Test
    void thirdPartyCopyVpdPage() {
        byte[] d = run(0, null, 0x12, 0x01, 0x8F, 0x04, 0x00, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        assertThat(d[1]).isEqualTo((byte) 0x8F);
        assertThat(b.getShort(2) & 0xffff).isEqualTo(d.length - 4);
        int at = 4;
        int[] types = new int[5];
        int n = 0;
        while (at < d.length) {
            types[n++] = b.getShort(at) & 0xffff;
            int len = b.getShort(at + 2) & 0xffff;
            assertThat((4 + len) % 4).isZero();
            if (types[n - 1] == 0x0001) {
                assertThat(Arrays.copyOfRange(d, at + 5, at + 12)).containsExactly(0x83, 1, 0, 0x84, 2, 0, 3);
            }
            at += 4 + len;
        }
        assertThat(at).isEqualTo(d.length);
        assertThat(types).containsExactly(0x0001, 0x0004, 0x0008, 0x000C, 0x8001);
    }
}
