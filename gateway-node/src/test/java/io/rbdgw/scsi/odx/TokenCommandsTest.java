package io.rbdgw.scsi.odx;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.MemoryDevice;
import io.rbdgw.scsi.PermitAll;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.WriteGate;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import io.rbdgw.scsi.xcopy.CopyLimits;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ODX through the SCSI engine: POPULATE TOKEN, RECEIVE ROD TOKEN INFORMATION, WRITE USING TOKEN between two units
 * of a target, the CHECK CONDITIONs of malformed, truncated and altered parameter lists and tokens, masking,
 * expiry, the token bound, aborts, and the Third-party Copy VPD page's ODX descriptors.
 */
class TokenCommandsTest {

    private static final int BS = 512;

    private final ScsiTarget target = new ScsiTarget();
    private final MemoryDevice dev0 = MemoryDevice.thin(4096, BS); // 2 MiB: more than one copy chunk
    private final MemoryDevice dev1 = MemoryDevice.thin(4100, BS); // another size: another identity (NAA)
    private final MemoryRodTokens tokens = new MemoryRodTokens();
    private LogicalUnit lu0;
    private LogicalUnit lu1;

    @BeforeEach
    void setUp() {
        lu0 = new LogicalUnit(0, dev0, ua -> new PermitAll());
        lu1 = new LogicalUnit(1, dev1, ua -> new PermitAll());
        lu0.rodTokens(tokens);
        lu1.rodTokens(tokens);
        target.addLun(lu0);
        target.addLun(lu1);
        target.nexusCreated(RecordingTask.NEXUS, this);
        run(0, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        run(1, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x00);
        for (int i = 0; i < dev0.data.length; i++) {
            dev0.data[i] = (byte) (i * 31 + i / BS);
        }
        Arrays.fill(dev1.data, (byte) 0x5A);
    }

    private RecordingTask run(long lun, byte[] data, int... cdb) {
        RecordingTask t = new RecordingTask(RecordingTask.NEXUS, lun, RecordingTask.bytes(cdb), data);
        target.execute(t);
        return t;
    }

    private RecordingTask out(long lun, int sa, long listId, byte[] list) {
        int n = list.length;
        return run(
                lun,
                list,
                0x83,
                sa,
                0,
                0,
                0,
                0,
                (int) (listId >>> 24),
                (int) (listId >>> 16) & 0xff,
                (int) (listId >>> 8) & 0xff,
                (int) listId & 0xff,
                n >>> 24,
                n >>> 16 & 0xff,
                n >>> 8 & 0xff,
                n & 0xff,
                0,
                0);
    }

    private RecordingTask populate(long lun, long listId, byte[] list) {
        return out(lun, 0x10, listId, list);
    }

    private RecordingTask write(long lun, long listId, byte[] list) {
        return out(lun, 0x11, listId, list);
    }

    private RecordingTask rrti(long lun, long listId) {
        return run(
                lun,
                null,
                0x84,
                0x07,
                (int) (listId >>> 24),
                (int) (listId >>> 16) & 0xff,
                (int) (listId >>> 8) & 0xff,
                (int) listId & 0xff,
                0,
                0,
                0,
                0,
                0,
                0,
                0x10,
                0,
                0,
                0);
    }

    /** A POPULATE TOKEN parameter list: ranges as lba,blocks pairs. */
    static byte[] populateList(int flags, int inactivity, long... ranges) {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * ranges.length);
        b.putShort((short) (b.capacity() - 2)).put((byte) flags).put((byte) 0).putInt(inactivity);
        b.putInt(0x0001_0000).putShort((short) 0).putShort((short) (8 * ranges.length));
        for (int i = 0; i < ranges.length; i += 2) {
            b.putLong(ranges[i]).putInt((int) ranges[i + 1]).putInt(0);
        }
        return b.array();
    }

    /** A WRITE USING TOKEN parameter list. */
    static byte[] writeList(int flags, long offsetIntoRod, byte[] token, long... ranges) {
        ByteBuffer b = ByteBuffer.allocate(536 + 8 * ranges.length);
        b.putShort((short) (b.capacity() - 2)).put((byte) flags).put((byte) 0).putInt(0);
        b.putLong(offsetIntoRod).put(token).position(534);
        b.putShort((short) (8 * ranges.length));
        for (int i = 0; i < ranges.length; i += 2) {
            b.putLong(ranges[i]).putInt((int) ranges[i + 1]).putInt(0);
        }
        return b.array();
    }

    /** POPULATE TOKEN on LUN 0 for {@code ranges}, then the token from RECEIVE ROD TOKEN INFORMATION. */
    private byte[] token(long listId, long... ranges) {
        populate(0, listId, populateList(0, 0, ranges)).good();
        byte[] info = rrti(0, listId).good();
        ByteBuffer b = ByteBuffer.wrap(info);
        assertThat(info[4]).as("response to POPULATE TOKEN").isEqualTo((byte) 0x10);
        assertThat(info[5]).as("completed").isEqualTo((byte) 0x01);
        assertThat(info[15] & 0xff).as("units: blocks").isEqualTo(0xF1);
        assertThat(b.getInt(32)).as("ROD TOKEN DESCRIPTORS LENGTH").isEqualTo(514);
        return Arrays.copyOfRange(info, 38, 38 + 512);
    }

    private byte[] blocks(byte[] data, long lba, long count) {
        return Arrays.copyOfRange(data, (int) lba * BS, (int) (lba + count) * BS);
    }

    @Test
    void aTokenOfTwoRangesIsWrittenIntoTwoOtherRangesOfAnotherUnit() {
        byte[] token = token(7, 100, 2000, 3000, 48); // 2048 blocks: more than one copy chunk
        assertThat(ByteBuffer.wrap(token).getInt(0))
                .as("ROD type: access upon reference")
                .isEqualTo(0x0001_0000);
        assertThat(ByteBuffer.wrap(token).getShort(6)).isEqualTo((short) 0x01F8);
        assertThat(ByteBuffer.wrap(token).getLong(56)).as("bytes represented").isEqualTo(2048L * BS);
        assertThat(Arrays.copyOfRange(token, 24, 40)).isEqualTo(lu0.identity().naaDesignator());

        write(1, 8, writeList(0, 0, token, 10, 1000, 1500, 1048)).good();
        assertThat(blocks(dev1.data, 10, 1000)).isEqualTo(blocks(dev0.data, 100, 1000));
        assertThat(blocks(dev1.data, 1500, 1000)).isEqualTo(blocks(dev0.data, 1100, 1000));
        assertThat(blocks(dev1.data, 2500, 48)).isEqualTo(blocks(dev0.data, 3000, 48));
        assertThat(blocks(dev1.data, 1010, 490)).containsOnly(0x5A);
        assertThat(blocks(dev1.data, 2548, 1)).containsOnly(0x5A);
        byte[] info = rrti(1, 8).good();
        assertThat(info[4]).isEqualTo((byte) 0x11);
        assertThat(info[5]).isEqualTo((byte) 0x01);
        assertThat(ByteBuffer.wrap(info).getLong(16)).as("transfer count").isEqualTo(2048);

        // an offset into the ROD, and the token is used again (not deleted without DEL_TKN)
        write(1, 9, writeList(0, 1990, token, 3000, 20)).good();
        assertThat(blocks(dev1.data, 3000, 10)).isEqualTo(blocks(dev0.data, 2090, 10));
        assertThat(blocks(dev1.data, 3010, 10)).isEqualTo(blocks(dev0.data, 3000, 10));
        // DEL_TKN: used once more, then gone
        write(1, 10, writeList(0x02, 0, token, 0, 1)).good();
        write(1, 11, writeList(0, 0, token, 0, 1)).check(5, 0x23, 0x04);
    }

    @Test
    void moreBlocksThanTheTokenHoldsCopiesWhatItHoldsAndSaysSo() {
        byte[] token = token(1, 0, 16);
        write(1, 2, writeList(0, 8, token, 100, 32)).good();
        assertThat(blocks(dev1.data, 100, 8)).isEqualTo(blocks(dev0.data, 8, 8));
        assertThat(blocks(dev1.data, 108, 24)).containsOnly(0x5A);
        byte[] info = rrti(1, 2).good();
        assertThat(info[5]).as("completed with partial ROD token usage").isEqualTo((byte) 0x03);
        assertThat(ByteBuffer.wrap(info).getLong(16)).isEqualTo(8);
        write(1, 3, writeList(0, 16, token, 100, 1)).check(5, 0x26, 0x00); // offset beyond the ROD
    }

    @Test
    void malformedAndTruncatedPopulateTokenListsAreRefusedWithTheRightSense() {
        byte[] good = populateList(0, 0, 0, 8);
        populate(0, 1, Arrays.copyOf(good, 12)).check(5, 0x1A, 0x00); // shorter than the header
        populate(0, 1, Arrays.copyOf(good, 24)).check(5, 0x1A, 0x00); // cut inside the range descriptor
        byte[] bad = good.clone();
        bad[1] = 0x7F; // POPULATE TOKEN DATA LENGTH beyond the list: cut short
        populate(0, 1, bad).check(5, 0x1A, 0x00);
        bad = good.clone();
        bad[1] = 0x0C; // POPULATE TOKEN DATA LENGTH shorter than the fixed part
        populate(0, 1, bad).invalidParameter(0, -1);
        bad = good.clone();
        bad[2] = 0x01; // IMMED
        populate(0, 1, bad).invalidParameter(2, 0);
        bad = good.clone();
        bad[2] = 0x02; // RTV with ...
        bad[9] = 0x02; // ... ROD type 0x00020000
        populate(0, 1, bad).invalidParameter(8, -1);
        bad = good.clone();
        bad[6] = 0x7F; // INACTIVITY TIMEOUT beyond the maximum
        populate(0, 1, bad).invalidParameter(4, -1);
        bad = good.clone();
        bad[15] = 15; // RANGE DESCRIPTOR LENGTH not a multiple of 16
        populate(0, 1, bad).invalidParameter(14, -1);
        populate(0, 1, populateList(0, 0, 4090, 8)).check(5, 0x21, 0x00); // beyond the capacity
        long[] many = new long[2 * 65];
        for (int i = 0; i < 65; i++) {
            many[2 * i] = i;
            many[2 * i + 1] = 1;
        }
        populate(0, 1, populateList(0, 0, many)).check(5, 0x26, 0x08); // TOO MANY SEGMENT DESCRIPTORS
        populate(0, 1, populateList(0, 0, 0, 0)).invalidParameter(24, -1); // no blocks at all
        assertThat(tokens.tokens).as("no token was created").isEmpty();
        rrti(0, 1).check(5, 0x24, 0x00); // nothing ran under list id 1
    }

    @Test
    void everyAlteredTokenIsRefusedAndWritesNothing() {
        byte[] token = token(1, 0, 64);
        // a bit flipped in the ROD type, the length, the creator descriptor, its designator, the identifier, or
        // anywhere else: unsupported type, invalid length, corrupt, unknown, unknown, corrupt
        int[][] cases = {{2, 0x01}, {7, 0x0A}, {16, 0x05}, {30, 0x04}, {OdxLimits.ID_OFFSET + 5, 0x04}, {300, 0x05}};
        for (int[] c : cases) {
            byte[] forged = token.clone();
            forged[c[0]] ^= 0x10;
            write(1, 2, writeList(0, 0, forged, 0, 64)).check(5, 0x23, c[1]);
        }
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
        assertThat(dev1.data).containsOnly(0x5A);
        byte[] info = rrti(1, 2).good();
        assertThat(info[5]).as("failed").isEqualTo((byte) 0x02);
        assertThat(info[12]).as("CHECK CONDITION").isEqualTo((byte) 0x02);
        assertThat(info[13]).as("sense data held").isEqualTo((byte) 18);
        assertThat(info[32 + 12]).isEqualTo((byte) 0x23);
        // the real token still works
        write(1, 3, writeList(0, 0, token, 0, 64)).good();
    }

    @Test
    void truncatedAndMalformedWriteUsingTokenListsAreRefused() {
        byte[] token = token(1, 0, 8);
        byte[] good = writeList(0, 0, token, 0, 8);
        write(1, 2, Arrays.copyOf(good, 535)).check(5, 0x1A, 0x00); // cut inside the token's trailer
        write(1, 2, Arrays.copyOf(good, 540)).check(5, 0x1A, 0x00); // cut inside the range descriptor
        byte[] bad = good.clone();
        bad[2] = 0x01; // IMMED
        write(1, 2, bad).invalidParameter(2, 0);
        bad = good.clone();
        bad[0] = 0x01; // WRITE USING TOKEN DATA LENGTH shorter than the fixed part
        write(1, 2, bad).invalidParameter(0, -1);
        write(1, 2, writeList(0, 0, token, 4095, 8)).check(5, 0x21, 0x00); // beyond the destination
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
    }

    @Test
    void aTokenOfAUnitTheNexusMayNotSeeIsAsInvalidAsAnUnknownOne() {
        byte[] token = token(1, 0, 8);
        // the nexus now sees LUN 1 only
        target.setMasking((initiator, lun) -> lun == 1 || !initiator.equals(RecordingTask.NEXUS.initiatorName()));
        run(1, null, 0x00, 0, 0, 0, 0, 0).check(6, 0x3F, 0x0E);
        write(1, 2, writeList(0, 0, token, 0, 8)).check(5, 0x23, 0x04);
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write") || op.startsWith("read"));
        assertThat(dev0.ops).noneMatch(op -> op.startsWith("read"));
    }

    @Test
    void anExpiredTokenIsRefused() {
        populate(0, 1, populateList(0, 5, 0, 8)).good(); // inactivity timeout 5 s
        byte[] token = Arrays.copyOfRange(rrti(0, 1).good(), 38, 38 + 512);
        tokens.nowMillis.addAndGet(4_000);
        write(1, 2, writeList(0, 0, token, 0, 8)).good();
        tokens.nowMillis.addAndGet(5_000);
        write(1, 3, writeList(0, 0, token, 0, 8)).check(5, 0x23, 0x07);
    }

    @Test
    void populateTokenBeyondTheBoundFailsWithInsufficientResources() {
        tokens.max = 2;
        populate(0, 1, populateList(0, 0, 0, 8)).good();
        populate(0, 2, populateList(0, 0, 0, 8)).good();
        populate(0, 3, populateList(0, 0, 0, 8)).check(5, 0x55, 0x0D);
        assertThat(rrti(0, 3).good()[5]).isEqualTo((byte) 0x02);
    }

    /**
     * With the gateway's copy buffers spent and as many copies waiting for them as allowed, WRITE USING TOKEN is
     * refused before it copies (05/55/03, reported by RECEIVE ROD TOKEN INFORMATION too); once buffers come back it
     * copies again.
     */
    @Test
    void writeUsingTokenBeyondTheWaitingCopiesIsRefusedWithInsufficientResources() {
        byte[] token = token(1, 0, 64);
        CopyBuffers buffers = new CopyBuffers(CopyLimits.CHUNK_BYTES, 1);
        lu0.copyBuffers(buffers);
        lu1.copyBuffers(buffers);
        // another copy holds the only chunk, a third waits for it
        CopyBuffers.Copy holder = buffers.admit();
        assertThat(buffers.acquire(holder, CopyLimits.CHUNK_BYTES, () -> {})).isTrue();
        CopyBuffers.Copy waiter = buffers.admit();
        AtomicInteger granted = new AtomicInteger();
        assertThat(buffers.acquire(waiter, CopyLimits.CHUNK_BYTES, granted::incrementAndGet))
                .isFalse();

        write(1, 2, writeList(0, 0, token, 0, 64)).check(5, 0x55, 0x03);
        byte[] info = rrti(1, 2).good();
        assertThat(info[5]).as("failed").isEqualTo((byte) 0x02);
        assertThat(Arrays.copyOfRange(info, 32, 32 + 18)).satisfies(sense -> {
            assertThat(sense[2] & 0x0f).isEqualTo(5);
            assertThat(sense[12] & 0xff).isEqualTo(0x55);
            assertThat(sense[13] & 0xff).isEqualTo(0x03);
        });
        assertThat(blocks(dev1.data, 0, 64)).containsOnly(0x5A);
        assertThat(buffers.refused()).isEqualTo(1);

        buffers.release(holder, CopyLimits.CHUNK_BYTES);
        buffers.finish(holder);
        assertThat(granted).hasValue(1);
        buffers.release(waiter, CopyLimits.CHUNK_BYTES);
        buffers.finish(waiter);
        write(1, 3, writeList(0, 0, token, 0, 64)).good();
        assertThat(blocks(dev1.data, 0, 64)).isEqualTo(blocks(dev0.data, 0, 64));
        assertThat(buffers.inUse()).isZero();
        assertThat(buffers.waitingCopies()).isZero();
    }

    /** An aborted WRITE USING TOKEN stops before its next chunk: here while it waits for the destination's token. */
    @Test
    void anAbortedCopyStopsAndWritesNothingMore() {
        byte[] token = token(1, 0, 64);
        WriteGate gate1 = new WriteGate("pool/disk1", () -> {}, 16, Duration.ofSeconds(30));
        lu1.writeGate(gate1);
        RecordingTask t = write(1, 2, writeList(0, 0, token, 0, 64));
        assertThat(t.completions).as("waits for the write token").isZero();
        t.aborted = true;
        gate1.grant();
        assertThat(t.status).isEqualTo(ScsiStatus.TASK_ABORTED);
        assertThat(dev1.ops).noneMatch(op -> op.startsWith("write"));
        assertThat(gate1.inflight()).isZero();
        write(1, 3, writeList(0, 0, token, 0, 64)).good();
        assertThat(blocks(dev1.data, 0, 64)).isEqualTo(blocks(dev0.data, 0, 64));
    }

    @Test
    void theThirdPartyCopyPageAdvertisesOdx() {
        byte[] d = run(0, null, 0x12, 0x01, 0x8F, 0x04, 0x00, 0).good();
        ByteBuffer b = ByteBuffer.wrap(d);
        assertThat(b.getShort(2) & 0xffff).isEqualTo(d.length - 4);
        int at = 4;
        int limits = -1;
        int features = -1;
        int types = -1;
        int commands = -1;
        int last = -1;
        while (at < d.length) {
            int type = b.getShort(at) & 0xffff;
            int len = b.getShort(at + 2) & 0xffff;
            assertThat(type).as("ascending descriptor types").isGreaterThan(last);
            assertThat((4 + len) % 4).isZero();
            last = type;
            switch (type) {
                case 0x0000 -> limits = at;
                case 0x0001 -> commands = at;
                case 0x0106 -> features = at;
                case 0x0108 -> types = at;
                default -> {}
            }
            at += 4 + len;
        }
        assertThat(at).isEqualTo(d.length);
        assertThat(b.getShort(limits + 2)).isEqualTo((short) 0x20);
        assertThat(b.getShort(limits + 10)).as("MAXIMUM RANGE DESCRIPTORS").isEqualTo((short) 64);
        assertThat(b.getInt(limits + 12)).as("MAXIMUM INACTIVITY TIMEOUT").isEqualTo(600);
        assertThat(b.getInt(limits + 16)).as("DEFAULT INACTIVITY TIMEOUT").isEqualTo(60);
        assertThat(b.getLong(limits + 20)).as("MAXIMUM TOKEN TRANSFER SIZE").isEqualTo((1L << 30) / BS);
        assertThat(b.getLong(limits + 28)).as("OPTIMAL TRANSFER COUNT").isEqualTo((256L << 20) / BS);
        assertThat(Arrays.copyOfRange(d, commands + 5, commands + 15))
                .containsExactly(0x83, 3, 0x00, 0x10, 0x11, 0x84, 3, 0x00, 0x03, 0x07);
        assertThat(b.getInt(features + 24))
                .as("MAXIMUM TOKEN INACTIVITY TIMEOUT")
                .isEqualTo(600);
        assertThat(b.getShort(types + 6)).isEqualTo((short) 8);
        assertThat(b.getInt(types + 8)).isEqualTo(0x0001_0000);
        assertThat(d[types + 12]).as("TOKEN_IN, TOKEN_OUT").isEqualTo((byte) 0x03);
    }
}
