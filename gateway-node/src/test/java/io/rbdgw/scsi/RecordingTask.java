package io.rbdgw.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;

/** Test-only task: records its completion; {@link #data()} copies and releases the data-in. */
public final class RecordingTask implements ScsiTask {

    public static final ItNexus NEXUS =
            new ItNexus("iqn.1994-05.com.example:host1", 0x23d000000001L, "iqn.2024-01.io.rbdgw:target", 1, 1);
    public static final ItNexus OTHER =
            new ItNexus("iqn.1994-05.com.example:host2", 0x23d000000002L, "iqn.2024-01.io.rbdgw:target", 2, 2);

    private final byte[] cdb;
    private final ItNexus nexus;
    private final long lun;
    private final ByteBuf dataOut;
    private final int expected;

    // volatile: a test may await a completion that another thread (a timer, a device) delivers
    public volatile int completions;
    public volatile int status = -1;
    public volatile byte[] sense;
    public volatile int transferLength;
    /** Set by a test to play task management aborting this task. */
    public volatile boolean aborted;

    private ByteBuf dataIn;

    public RecordingTask(ItNexus nexus, long lun, byte[] cdb, byte[] dataOut) {
        byte[] full = new byte[Math.max(16, cdb.length)];
        System.arraycopy(cdb, 0, full, 0, cdb.length);
        this.cdb = full;
        this.nexus = nexus;
        this.lun = lun;
        if (dataOut != null) {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(dataOut.length);
            b.writeBytes(dataOut);
            this.dataOut = b;
        } else {
            this.dataOut = null;
        }
        this.expected = dataOut == null ? 0 : dataOut.length;
    }

    public static RecordingTask of(int... cdb) {
        return new RecordingTask(NEXUS, 0, bytes(cdb), null);
    }

    public static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Override
    public byte[] cdb() {
        return cdb;
    }

    @Override
    public ItNexus nexus() {
        return nexus;
    }

    @Override
    public long lun() {
        return lun;
    }

    @Override
    public int expectedTransferLength() {
        return expected;
    }

    @Override
    public ByteBuf dataOut() {
        return dataOut;
    }

    @Override
    public ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }

    @Override
    public void complete(int status, ByteBuf dataIn, byte[] sense, int transferLength) {
        completions++;
        this.status = status;
        this.dataIn = dataIn;
        this.sense = sense;
        this.transferLength = transferLength;
        if (dataOut != null) {
            dataOut.release();
        }
    }

    @Override
    public boolean aborted() {
        return aborted;
    }

    /** The data-in bytes (empty if none); releases the buffer. */
    public byte[] data() {
        assertThat(completions).isEqualTo(1);
        if (dataIn == null) {
            return new byte[0];
        }
        byte[] b = ByteBufUtil.getBytes(dataIn);
        dataIn.release();
        dataIn = null;
        return b;
    }

    /** Asserts GOOD and returns the data. */
    public byte[] good() {
        assertThat(completions).as("completions").isEqualTo(1);
        assertThat(status)
                .as("status, sense %s", sense == null ? "-" : ByteBufUtil.hexDump(sense))
                .isEqualTo(ScsiStatus.GOOD);
        return data();
    }

    /** Asserts CHECK CONDITION with the given sense key/asc/ascq. */
    public RecordingTask check(int key, int asc, int ascq) {
        assertThat(completions).as("completions").isEqualTo(1);
        assertThat(status).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(dataIn).isNull();
        assertThat(new int[] {SenseData.senseKey(sense), SenseData.asc(sense), SenseData.ascq(sense)})
                .containsExactly(key, asc, ascq);
        return this;
    }

    /** Asserts 05/24/00 with the field pointer at {@code byteOffset}/{@code bit} (-1: no bit). */
    public RecordingTask invalidCdb(int byteOffset, int bit) {
        check(5, 0x24, 0);
        assertThat(sense[15] & 0xC0).isEqualTo(0xC0);
        assertThat(((sense[16] & 0xff) << 8) | (sense[17] & 0xff))
                .as("field pointer")
                .isEqualTo(byteOffset);
        if (bit >= 0) {
            assertThat(sense[15] & 0x0F).as("bit pointer").isEqualTo(0x08 | bit);
        }
        return this;
    }

    /** Asserts 05/26/00 INVALID FIELD IN PARAMETER LIST with the field pointer at {@code byteOffset}/{@code bit}. */
    public RecordingTask invalidParameter(int byteOffset, int bit) {
        check(5, 0x26, 0);
        assertThat(sense[15] & 0xC0).as("SKSV, C/D 0: parameter list").isEqualTo(0x80);
        assertThat(((sense[16] & 0xff) << 8) | (sense[17] & 0xff))
                .as("field pointer")
                .isEqualTo(byteOffset);
        if (bit >= 0) {
            assertThat(sense[15] & 0x0F).as("bit pointer").isEqualTo(0x08 | bit);
        }
        return this;
    }

    public static ByteBuf wrap(byte[] b) {
        return Unpooled.wrappedBuffer(b);
    }
}
