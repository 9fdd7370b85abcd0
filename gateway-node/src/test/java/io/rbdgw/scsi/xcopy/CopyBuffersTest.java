package io.rbdgw.scsi.xcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import io.rbdgw.scsi.xcopy.CopyLanesTest.DeferredDevice;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The gateway-wide budget of copy buffers: however many EXTENDED COPY commands run, together they hold no more
 * chunk buffers than the budget, every one of them completes, and beyond the bound of waiting copies a new one is
 * refused with 05/55/03 INSUFFICIENT RESOURCES.
 */
class CopyBuffersTest {

    private static final int BS = 512;
    private static final int MIB = 1 << 20;
    private static final int COPY_BLOCKS = 4096; // 2 MiB: two chunks per copy, two lanes

    private final DeferredDevice src = new DeferredDevice(MemoryDevice.thin(16384, BS)); // 8 MiB
    private final DeferredDevice dst = new DeferredDevice(MemoryDevice.thin(65536, BS)); // 32 MiB, another identity
    private final ScsiTarget target = new ScsiTarget();
    private final LogicalUnit a = new LogicalUnit(0, src, ua -> new PermitAll());
    private final LogicalUnit b = new LogicalUnit(1, dst, ua -> new PermitAll());

    private void setUp(CopyBuffers buffers) {
        a.copyBuffers(buffers);
        b.copyBuffers(buffers);
        target.addLun(a);
        target.addLun(b);
        target.nexusCreated(RecordingTask.NEXUS, this);
        for (int lun = 0; lun < 2; lun++) {
            RecordingTask ua = new RecordingTask(RecordingTask.NEXUS, lun, new byte[6], null);
            target.execute(ua);
            ua.check(6, 0x29, 0x00);
        }
        for (int i = 0; i < src.mem.data.length; i++) {
            src.mem.data[i] = (byte) (i * 7 + i / BS);
        }
    }

    /** EXTENDED COPY of copy {@code i}: 2 MiB of the source to the i-th 2 MiB of the destination. */
    private RecordingTask xcopy(int i) {
        ByteBuffer list = ByteBuffer.allocate(16 + 64 + 28);
        list.put((byte) i)
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
        list.putShort((short) 0)
                .putShort((short) COPY_BLOCKS)
                .putLong(srcLba(i))
                .putLong((long) i * COPY_BLOCKS);
        byte[] p = list.array();
        int n = p.length;
        byte[] cdb = RecordingTask.bytes(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >>> 8, n & 0xff, 0, 0);
        RecordingTask t = new RecordingTask(RecordingTask.NEXUS, 0, cdb, p);
        target.execute(t);
        return t;
    }

    private static long srcLba(int i) {
        return (long) (i % 4) * COPY_BLOCKS;
    }

    private static boolean allDone(List<RecordingTask> tasks) {
        return tasks.stream().allMatch(t -> t.completions > 0);
    }

    /** Completes the devices' I/O in a seeded random order until every task is done; the most bytes held at once. */
    private long pump(List<RecordingTask> tasks, CopyBuffers buffers, long seed) {
        Random random = new Random(seed);
        long most = 0;
        int rounds = 0;
        while (!allDone(tasks)) {
            int inFlight = src.pending.size() + dst.pending.size();
            // every I/O in flight has its own chunk buffer: the bytes the copies really hold, measured from outside
            assertThat((long) inFlight * MIB).as("chunk I/O in flight").isLessThanOrEqualTo(buffers.budget());
            assertThat(buffers.inUse()).as("budget in use").isLessThanOrEqualTo(buffers.budget());
            most = Math.max(most, (long) inFlight * MIB);
            boolean fromSrc = !src.pending.isEmpty() && (dst.pending.isEmpty() || random.nextBoolean());
            Runnable next = fromSrc ? src.pending.poll() : dst.pending.poll();
            assertThat(next).as("copies that are not done have I/O in flight").isNotNull();
            next.run();
            assertThat(++rounds).as("rounds").isLessThan(10_000);
        }
        return most;
    }

    private void assertCopied(int copies) {
        for (int i = 0; i < copies; i++) {
            long from = srcLba(i) * BS;
            long to = (long) i * COPY_BLOCKS * BS;
            assertThat(Arrays.copyOfRange(dst.mem.data, (int) to, (int) to + COPY_BLOCKS * BS))
                    .as("copy %d", i)
                    .isEqualTo(Arrays.copyOfRange(src.mem.data, (int) from, (int) from + COPY_BLOCKS * BS));
        }
    }

    /** 16 copies of 2 MiB (32 chunks wanted at once) through a budget of {@code budgetMib} MiB. */
    private long sixteenCopiesThrough(int budgetMib) {
        CopyBuffers buffers = new CopyBuffers((long) budgetMib * MIB, 64);
        setUp(buffers);
        List<RecordingTask> tasks = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            tasks.add(xcopy(i));
        }
        assertThat(buffers.waitingCopies()).as("copies without a buffer").isEqualTo(16 - (budgetMib + 1) / 2);
        long most = pump(tasks, buffers, budgetMib);
        for (RecordingTask t : tasks) {
            assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        }
        assertCopied(16);
        assertThat(buffers.peak()).as("the most the budget gave at once").isEqualTo((long) budgetMib * MIB);
        assertThat(buffers.inUse()).as("every buffer came back").isZero();
        assertThat(buffers.waitingCopies()).isZero();
        assertThat(buffers.refused()).isZero();
        return most;
    }

    @Test
    void manyCopiesNeverHoldMoreThanTheBudgetAndAllComplete() {
        assertThat(sixteenCopiesThrough(8)).as("chunk I/O in flight at most").isEqualTo(8L * MIB);
    }

    @Test
    void aSmallerBudgetGivesFewerChunksInFlight() {
        assertThat(sixteenCopiesThrough(3)).as("chunk I/O in flight at most").isEqualTo(3L * MIB);
    }

    @Test
    void beyondTheWaitingBoundANewCopyIsRefusedWithInsufficientResources() {
        CopyBuffers buffers = new CopyBuffers(2L * MIB, 2); // one copy's two lanes take it all
        setUp(buffers);
        List<RecordingTask> tasks = new ArrayList<>();
        tasks.add(xcopy(0));
        tasks.add(xcopy(1));
        tasks.add(xcopy(2));
        assertThat(buffers.waitingCopies()).isEqualTo(2);
        assertThat(tasks).allMatch(t -> t.completions == 0, "copying or waiting");

        RecordingTask refused = xcopy(3);
        assertThat(refused.completions).as("refused at once").isEqualTo(1);
        refused.check(5, 0x55, 0x03);
        assertThat(src.pending.size() + dst.pending.size())
                .as("the refused copy read nothing")
                .isEqualTo(2);
        assertThat(buffers.refused()).isEqualTo(1);

        pump(tasks, buffers, 1);
        for (RecordingTask t : tasks) {
            assertThat(t.status).isEqualTo(ScsiStatus.GOOD);
        }
        assertCopied(3);
        // the refusal is not sticky: once the others are done the same copy runs
        RecordingTask again = xcopy(3);
        pump(List.of(again), buffers, 2);
        assertThat(again.status).isEqualTo(ScsiStatus.GOOD);
        assertCopied(4);
        assertThat(buffers.inUse()).isZero();
        assertThat(buffers.waitingCopies()).isZero();
    }

    @Test
    void aCopyAbortedWhileItWaitsForABufferEndsWithoutCopyingAndFreesItsTurn() {
        CopyBuffers buffers = new CopyBuffers(MIB, 4);
        setUp(buffers);
        RecordingTask first = xcopy(0);
        RecordingTask aborted = xcopy(1);
        RecordingTask last = xcopy(2);
        assertThat(buffers.waitingCopies()).isEqualTo(2);
        aborted.aborted = true; // ABORT TASK while it waits

        pump(List.of(first, aborted, last), buffers, 3);
        assertThat(first.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(aborted.status).isEqualTo(ScsiStatus.TASK_ABORTED);
        assertThat(last.status).isEqualTo(ScsiStatus.GOOD);
        assertThat(Arrays.copyOfRange(dst.mem.data, COPY_BLOCKS * BS, 2 * COPY_BLOCKS * BS))
                .as("the aborted copy wrote nothing")
                .containsOnly(0);
        assertThat(buffers.inUse()).isZero();
        assertThat(buffers.waitingCopies()).isZero();
        assertThat(buffers.peak()).isEqualTo(MIB);
    }

    /** A memory device that completes every I/O on one of a pool's threads, after a short random delay. */
    static final class ThreadedDevice implements BlockDevice {
        final MemoryDevice mem;
        final ScheduledExecutorService pool;
        final Random random = new Random(7);

        ThreadedDevice(MemoryDevice mem, ScheduledExecutorService pool) {
            this.mem = mem;
            this.pool = pool;
        }

        /** Calls {@code cb} outside the device's lock, so that a lane continuing from it can take the lock again. */
        private static IoCallback outside(IoCallback cb, List<Runnable> after) {
            return new IoCallback() {
                @Override
                public void onSuccess(long bytes) {
                    after.add(() -> cb.onSuccess(bytes));
                }

                @Override
                public void onFailure(BlockDeviceException e) {
                    after.add(() -> cb.onFailure(e));
                }
            };
        }

        private void io(Consumer<IoCallback> op, IoCallback cb) {
            pool.schedule(
                    () -> {
                        List<Runnable> after = new ArrayList<>(1);
                        synchronized (mem) {
                            op.accept(outside(cb, after));
                        }
                        after.forEach(Runnable::run);
                    },
                    nextDelay(),
                    TimeUnit.MICROSECONDS);
        }

        private long nextDelay() {
            synchronized (random) {
                return random.nextInt(200);
            }
        }

        @Override
        public DeviceInfo info() {
            return mem.info();
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCallback callback) {
            io(cb -> mem.read(offset, dst, cb), callback);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
            io(cb -> mem.write(offset, src, fua, cb), callback);
        }

        @Override
        public void flush(IoCallback callback) {
            io(mem::flush, callback);
        }

        @Override
        public void discard(long offset, long length, IoCallback callback) {
            io(cb -> mem.discard(offset, length, cb), callback);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCallback callback) {
            io(cb -> mem.writeZeroes(offset, length, cb), callback);
        }

        @Override
        public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
            io(cb -> mem.writeSame(offset, length, pattern, cb), callback);
        }

        @Override
        public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
            io(cb -> mem.compareAndWrite(offset, compare, write, cb), callback);
        }

        @Override
        public void allocationStatus(long offset, IoCallback callback) {
            io(cb -> mem.allocationStatus(offset, cb), callback);
        }

        @Override
        public void close() {
            mem.close();
        }
    }

    /**
     * Completions on four threads at once, as librbd's: 24 copies of 4 MiB (4 lanes each) through a 5 MiB budget
     * never hold more than it (sampled by a fifth thread), all copy exactly, and every buffer comes back.
     */
    @Test
    void copiesCompletingOnManyThreadsStayWithinTheBudget() throws Exception {
        ScheduledExecutorService pool = Executors.newScheduledThreadPool(4);
        try {
            ThreadedDevice s = new ThreadedDevice(MemoryDevice.thin(16384, BS), pool);
            ThreadedDevice d = new ThreadedDevice(MemoryDevice.thin(8192 * 24 + 1, BS), pool);
            for (int i = 0; i < s.mem.data.length; i++) {
                s.mem.data[i] = (byte) (i * 13 + i / BS);
            }
            CopyBuffers buffers = new CopyBuffers(5L * MIB, 64);
            ScsiTarget t = new ScsiTarget();
            LogicalUnit ls = new LogicalUnit(0, s, ua -> new PermitAll());
            LogicalUnit ld = new LogicalUnit(1, d, ua -> new PermitAll());
            ls.copyBuffers(buffers);
            ld.copyBuffers(buffers);
            t.addLun(ls);
            t.addLun(ld);
            t.nexusCreated(RecordingTask.NEXUS, this);
            for (int lun = 0; lun < 2; lun++) {
                RecordingTask ua = new RecordingTask(RecordingTask.NEXUS, lun, new byte[6], null);
                t.execute(ua);
                ua.check(6, 0x29, 0x00);
            }
            AtomicLong most = new AtomicLong();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    long used = buffers.inUse();
                    most.accumulateAndGet(used, Math::max);
                    Thread.onSpinWait();
                }
            });
            sampler.start();
            List<RecordingTask> tasks = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                // each copy: 4 MiB (4 chunks, 4 lanes) from the source's i % 2 half to the destination's i-th 4 MiB
                ByteBuffer list = ByteBuffer.allocate(16 + 64 + 28);
                list.put((byte) i)
                        .put((byte) 0)
                        .putShort((short) 64)
                        .putInt(0)
                        .putInt(28)
                        .putInt(0);
                for (LogicalUnit lu : new LogicalUnit[] {ls, ld}) {
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
                list.putShort((short) 0)
                        .putShort((short) 8192)
                        .putLong((i % 2) * 8192L)
                        .putLong(i * 8192L);
                byte[] p = list.array();
                byte[] cdb = RecordingTask.bytes(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, p.length, 0, 0);
                RecordingTask task = new RecordingTask(RecordingTask.NEXUS, 0, cdb, p);
                tasks.add(task);
                t.execute(task);
            }
            await().atMost(Duration.ofMinutes(2)).until(() -> allDone(tasks));
            sampling.set(false);
            sampler.join(10_000);
            for (RecordingTask task : tasks) {
                assertThat(task.status).isEqualTo(ScsiStatus.GOOD);
            }
            for (int i = 0; i < 24; i++) {
                int from = (i % 2) * 8192 * BS;
                int to = i * 8192 * BS;
                assertThat(Arrays.copyOfRange(d.mem.data, to, to + 8192 * BS))
                        .as("copy %d", i)
                        .isEqualTo(Arrays.copyOfRange(s.mem.data, from, from + 8192 * BS));
            }
            assertThat(most.get()).as("sampled in use").isLessThanOrEqualTo(5L * MIB);
            assertThat(buffers.peak()).isEqualTo(5L * MIB);
            assertThat(buffers.inUse()).isZero();
            assertThat(buffers.waitingCopies()).isZero();
            assertThat(buffers.refused()).isZero();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
