package io.rbdgw.scsi.xcopy;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.MemoryDevice;
import io.rbdgw.scsi.PermitAll;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTarget;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.junit.jupiter.api.Test;

/** The copy engine's bound: a command keeps at most {@link CopyLimits#LANES} chunks in flight, and uses them. */
class CopyLanesTest {

    private static final int BS = 512;

    /** A memory device whose completions the test delivers one at a time, as an asynchronous backend would. */
    static final class DeferredDevice implements BlockDevice {
        final MemoryDevice mem;
        final Deque<Runnable> pending = new ArrayDeque<>();

        DeferredDevice(MemoryDevice mem) {
            this.mem = mem;
        }

        private IoCallback later(IoCallback cb) {
            return new IoCallback() {
                @Override
                public void onSuccess(long bytes) {
                    pending.add(() -> cb.onSuccess(bytes));
                }

                @Override
                public void onFailure(BlockDeviceException e) {
                    pending.add(() -> cb.onFailure(e));
                }
            };
        }

        @Override
        public DeviceInfo info() {
            return mem.info();
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCallback callback) {
            mem.read(offset, dst, later(callback));
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
            mem.write(offset, src, fua, later(callback));
        }

        @Override
        public void flush(IoCallback callback) {
            mem.flush(later(callback));
        }

        @Override
        public void discard(long offset, long length, IoCallback callback) {
            mem.discard(offset, length, later(callback));
        }

        @Override
        public void writeZeroes(long offset, long length, IoCallback callback) {
            mem.writeZeroes(offset, length, later(callback));
        }

        @Override
        public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
            mem.writeSame(offset, length, pattern, later(callback));
        }

        @Override
        public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
            mem.compareAndWrite(offset, compare, write, later(callback));
        }

        @Override
        public void allocationStatus(long offset, IoCallback callback) {
            mem.allocationStatus(offset, later(callback));
        }

        @Override
        public void close() {
            mem.close();
        }
    }

    @Test
    void aCopyKeepsAtMostFourChunksInFlightAndCopiesEverything() {
        DeferredDevice src = new DeferredDevice(MemoryDevice.thin(16384, BS)); // 8 MiB
        DeferredDevice dst = new DeferredDevice(MemoryDevice.thin(16385, BS)); // another identity
        for (int i = 0; i < src.mem.data.length; i++) {
            src.mem.data[i] = (byte) (i * 7 + i / BS);
        }
        ScsiTarget target = new ScsiTarget();
        LogicalUnit a = new LogicalUnit(0, src, ua -> new PermitAll());
        LogicalUnit b = new LogicalUnit(1, dst, ua -> new PermitAll());
        target.addLun(a);
        target.addLun(b);
        target.nexusCreated(RecordingTask.NEXUS, this);
        for (int lun = 0; lun < 2; lun++) {
            RecordingTask ua = new RecordingTask(RecordingTask.NEXUS, lun, new byte[6], null);
            target.execute(ua);
            ua.check(6, 0x29, 0x00);
        }
        ByteBuffer list = ByteBuffer.allocate(16 + 64 + 28);
        list.put((byte) 1)
                .put((byte) 0)
                .putShort((short) 64)
                .putInt(0)
                .putInt(28)
                .putInt(0);
        for (LogicalUnit lu : new LogicalUnit[] {a, b}) {
            int at = list.position();
            list.put((byte) 0xE4)
                    .put((byte) 0)
                    .putShort((short) 0)
                    .put((byte) 1)
                    .put((byte) 3)
                    .put((byte) 0);
            list.put((byte) 16).put(lu.identity().naaDesignator()).position(at + 29);
            list.put((byte) 0).putShort((short) BS);
        }
        list.put((byte) 0x02)
                .put((byte) 0)
                .putShort((short) 24)
                .putShort((short) 0)
                .putShort((short) 1);
        list.putShort((short) 0).putShort((short) 16000).putLong(100).putLong(200);
        byte[] p = list.array();
        int n = p.length;
        byte[] cdb = RecordingTask.bytes(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >>> 8, n & 0xff, 0, 0);
        RecordingTask t = new RecordingTask(RecordingTask.NEXUS, 0, cdb, p);
        target.execute(t);

        int most = 0;
        int rounds = 0;
        while (t.completions == 0) {
            int inFlight = src.pending.size() + dst.pending.size();
            most = Math.max(most, inFlight);
            assertThat(inFlight).as("chunks in flight").isLessThanOrEqualTo(CopyLimits.LANES);
            Runnable next = !src.pending.isEmpty() ? src.pending.poll() : dst.pending.poll();
            assertThat(next)
                    .as("a copy that is not done has something in flight")
                    .isNotNull();
            next.run();
            assertThat(++rounds).isLessThan(1000);
        }
        assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(most).as("the lanes run at once").isEqualTo(CopyLimits.LANES);
        assertThat(Arrays.copyOfRange(dst.mem.data, 200 * BS, 16200 * BS))
                .isEqualTo(Arrays.copyOfRange(src.mem.data, 100 * BS, 16100 * BS));
        assertThat(Arrays.copyOfRange(dst.mem.data, 16200 * BS, 16201 * BS)).containsOnly(0);
    }
}
