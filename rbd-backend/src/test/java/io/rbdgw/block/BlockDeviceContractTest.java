package io.rbdgw.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@link BlockDevice} contract, run against every implementation. */
abstract class BlockDeviceContractTest {

    static final int MIB = 1 << 20;
    static final long SIZE = 8L * MIB;
    static final int BLOCK = 512;

    private final List<BlockDevice> opened = new ArrayList<>();

    /** A fresh, empty device of the given geometry. */
    protected abstract BlockDevice create(long sizeBytes, int blockSize) throws Exception;

    protected BlockDevice device(long sizeBytes, int blockSize) throws Exception {
        BlockDevice d = create(sizeBytes, blockSize);
        opened.add(d);
        return d;
    }

    @AfterEach
    void closeDevices() {
        opened.forEach(BlockDevice::close);
    }

    // ---- helpers

    static ByteBuffer random(Random rnd, int length) {
        byte[] b = new byte[length];
        rnd.nextBytes(b);
        return ByteBuffer.allocateDirect(length).put(b).flip();
    }

    static ByteBuffer filled(int length, int value) {
        ByteBuffer b = ByteBuffer.allocateDirect(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) value);
        }
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Asserts every byte equals {@code value}; reports the first that does not (fast on MiBs). */
    static void assertFilled(byte[] actual, int value) {
        int bad = -1;
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != (byte) value) {
                bad = i;
                break;
            }
        }
        assertThat(bad)
                .as("index of the first byte that is not %d (-1: none)", value)
                .isEqualTo(-1);
    }

    static byte[] read(BlockDevice d, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocateDirect(length);
        Completion c = new Completion();
        d.read(offset, dst, c);
        assertThat(c.success()).isEqualTo(length);
        assertThat(dst.position()).as("position untouched").isZero();
        return bytes(dst);
    }

    static void write(BlockDevice d, long offset, ByteBuffer src) {
        Completion c = new Completion();
        int length = src.remaining();
        d.write(offset, src, false, c);
        assertThat(c.success()).isEqualTo(length);
    }

    static long allocation(BlockDevice d, long offset) {
        Completion c = new Completion();
        d.allocationStatus(offset, c);
        return c.success();
    }

    // ---- tests

    @Test
    void infoDescribesTheDevice() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        DeviceInfo info = d.info();
        assertThat(info.sizeBytes()).isEqualTo(SIZE);
        assertThat(info.blockSize()).isEqualTo(BLOCK);
        assertThat(info.thinProvisioned()).isTrue();
        assertThat(info.discardZeroes()).isTrue();
        assertThat(info.maxAtomicCompareAndWriteBytes()).isGreaterThanOrEqualTo(512);
    }

    @Test
    void unwrittenDeviceReadsZeros() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        assertFilled(read(d, 0, 2 * MIB), 0);
        assertFilled(read(d, SIZE - BLOCK, BLOCK), 0);
    }

    @Test
    void randomWritesReadBackAtManyOffsetsAndSizes() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        Random rnd = new Random(42);
        byte[] model = new byte[(int) SIZE];
        for (int i = 0; i < 300; i++) {
            int blocks = 1 + (i % 5 == 0 ? rnd.nextInt(4096) : rnd.nextInt(16));
            int length = blocks * BLOCK;
            long offset = (long) rnd.nextInt((int) (SIZE - length) / BLOCK + 1) * BLOCK;
            // the data sits in the middle of a larger buffer: position and limit must be honoured
            int pad = rnd.nextInt(3) * 7;
            ByteBuffer outer = random(rnd, length + 2 * pad);
            ByteBuffer src = outer.position(pad).limit(pad + length);
            write(d, offset, src);
            assertThat(src.position()).isEqualTo(pad);
            assertThat(src.limit()).isEqualTo(pad + length);
            outer.duplicate().position(pad).get(model, (int) offset, length);
            if (i % 10 == 0) {
                int rl = (1 + rnd.nextInt(600)) * BLOCK;
                long ro = (long) rnd.nextInt((int) (SIZE - rl) / BLOCK + 1) * BLOCK;
                assertThat(read(d, ro, rl)).isEqualTo(Arrays.copyOfRange(model, (int) ro, (int) ro + rl));
            }
        }
        assertThat(read(d, 0, (int) SIZE)).isEqualTo(model);
        // a read into the middle of a larger buffer fills exactly [position, limit)
        ByteBuffer outer = filled(3 * BLOCK, 0x55);
        Completion c = new Completion();
        d.read(MIB - BLOCK, outer.position(BLOCK).limit(2 * BLOCK), c);
        assertThat(c.success()).isEqualTo(BLOCK);
        byte[] all = new byte[3 * BLOCK];
        outer.clear().get(all);
        assertFilled(Arrays.copyOfRange(all, 0, BLOCK), 0x55);
        assertThat(Arrays.copyOfRange(all, BLOCK, 2 * BLOCK)).isEqualTo(Arrays.copyOfRange(model, MIB - BLOCK, MIB));
        assertFilled(Arrays.copyOfRange(all, 2 * BLOCK, 3 * BLOCK), 0x55);
    }

    /** Cuts {@code data} into pieces of uneven sizes (not block multiples), alternating direct and heap. */
    static ByteBuffer[] pieces(ByteBuffer data, int... sizes) {
        ByteBuffer[] out = new ByteBuffer[sizes.length + 1];
        int at = data.position();
        for (int i = 0; i <= sizes.length; i++) {
            int n = i < sizes.length ? sizes[i] : data.limit() - at;
            ByteBuffer piece = i % 2 == 0 ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
            piece.put(0, data, at, n);
            out[i] = piece;
            at += n;
        }
        return out;
    }

    @Test
    void gatherWriteEqualsOneWriteOfTheConcatenation() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        Random rnd = new Random(7);
        ByteBuffer data = random(rnd, 300 * BLOCK);
        write(d, MIB - 4 * BLOCK, filled(308 * BLOCK, 0x5A));
        ByteBuffer[] srcs = pieces(data, 100, 412, 4096, 1, 70000);
        Completion c = new Completion();
        d.writev(MIB - 2 * BLOCK, srcs, false, c);
        assertThat(c.success()).isEqualTo(300 * BLOCK);
        for (ByteBuffer src : srcs) {
            assertThat(src.position()).as("positions untouched").isZero();
        }
        assertThat(read(d, MIB - 2 * BLOCK, 300 * BLOCK)).isEqualTo(bytes(data));
        assertFilled(read(d, MIB - 4 * BLOCK, 2 * BLOCK), 0x5A);
        assertFilled(read(d, MIB + 298 * BLOCK, 2 * BLOCK), 0x5A);
        // one piece is a plain write; FUA completes the same way
        Completion one = new Completion();
        d.writev(0, new ByteBuffer[] {filled(BLOCK, 3)}, true, one);
        assertThat(one.success()).isEqualTo(BLOCK);
        assertFilled(read(d, 0, BLOCK), 3);
    }

    @Test
    void gatherWriteChecksItsArguments() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        // the total, not each piece, must be a block multiple
        assertThatThrownBy(() ->
                        d.writev(0, new ByteBuffer[] {filled(100, 1), filled(100, 1)}, false, new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
        Completion beyond = new Completion();
        d.writev(SIZE - BLOCK, new ByteBuffer[] {filled(BLOCK, 1), filled(BLOCK, 1)}, false, beyond);
        assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        assertFilled(read(d, SIZE - BLOCK, BLOCK), 0);
    }

    @Test
    void works4kBlocks() throws Exception {
        BlockDevice d = device(SIZE, 4096);
        Random rnd = new Random(7);
        ByteBuffer data = random(rnd, 3 * 4096);
        write(d, MIB - 4096, data);
        assertThat(read(d, MIB - 4096, 3 * 4096)).isEqualTo(bytes(data));
        assertThatThrownBy(() -> d.read(512, ByteBuffer.allocateDirect(4096), new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentOutstandingOperationsFromSeveralThreads() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        int threads = 6;
        int blocksPerOp = 8;
        int slots = (int) (SIZE / (blocksPerOp * BLOCK));
        byte[][] expected = new byte[slots][];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Semaphore window = new Semaphore(64);
        AtomicInteger completions = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                Random rnd = new Random(thread);
                // each thread owns the slots congruent to it; it writes each of them twice, the last wins
                for (int round = 0; round < 2; round++) {
                    for (int slot = thread; slot < slots; slot += threads) {
                        ByteBuffer data = random(rnd, blocksPerOp * BLOCK);
                        if (round == 1) {
                            expected[slot] = bytes(data);
                        }
                        window.acquireUninterruptibly();
                        d.write((long) slot * blocksPerOp * BLOCK, data, false, new IoCallback() {
                            @Override
                            public void onSuccess(long bytes) {
                                completions.incrementAndGet();
                                window.release();
                            }

                            @Override
                            public void onFailure(BlockDeviceException error) {
                                failure.compareAndSet(null, error);
                                window.release();
                            }
                        });
                    }
                    // round 2 must not overtake round 1 on the same slot: wait for this thread's writes
                    if (round == 0) {
                        window.acquireUninterruptibly(64);
                        window.release(64);
                    }
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(window.tryAcquire(64, 10, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isNull();
        assertThat(completions.get()).isEqualTo(2 * slots);
        byte[] all = read(d, 0, (int) SIZE);
        for (int slot = 0; slot < slots; slot++) {
            int at = slot * blocksPerOp * BLOCK;
            assertThat(Arrays.copyOfRange(all, at, at + blocksPerOp * BLOCK))
                    .as("slot %d", slot)
                    .isEqualTo(expected[slot]);
        }
    }

    @Test
    void discardReadsZerosAndKeepsNeighbours() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        ByteBuffer data = random(new Random(1), 4 * MIB);
        write(d, 0, data);
        Completion c = new Completion();
        d.discard(MIB / 2, 2 * MIB, c);
        assertThat(c.success()).isEqualTo(2 * MIB);
        byte[] after = read(d, 0, 4 * MIB);
        byte[] expected = bytes(data);
        Arrays.fill(expected, MIB / 2, MIB / 2 + 2 * MIB, (byte) 0);
        assertThat(after).isEqualTo(expected);
        // at least the whole MiB at [1 MiB, 2 MiB) is deallocated (a device may be more precise,
        // up to the discard's end); what is left before it is still mapped
        assertThat(allocation(d, MIB)).isBetween(-(3L * MIB / 2), -(long) MIB);
        assertThat(allocation(d, 0)).isPositive();
    }

    @Test
    void writeZeroesReadsZeros() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        ByteBuffer data = random(new Random(2), 3 * MIB);
        write(d, 0, data);
        Completion c = new Completion();
        d.writeZeroes(BLOCK, 2 * MIB + 3 * BLOCK, c);
        assertThat(c.success()).isEqualTo(2 * MIB + 3 * BLOCK);
        byte[] expected = bytes(data);
        Arrays.fill(expected, BLOCK, BLOCK + 2 * MIB + 3 * BLOCK, (byte) 0);
        assertThat(read(d, 0, 3 * MIB)).isEqualTo(expected);
    }

    @Test
    void writeSameRepeatsThePattern() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        write(d, 0, filled(4 * MIB, 0x11));
        ByteBuffer pattern = random(new Random(3), BLOCK);
        long length = 2L * MIB + 5 * BLOCK; // more than one fill buffer, odd block count
        Completion c = new Completion();
        d.writeSame(BLOCK, length, pattern, c);
        assertThat(c.success()).isEqualTo(length);
        assertThat(pattern.position()).isZero();
        byte[] all = read(d, 0, 4 * MIB);
        assertFilled(Arrays.copyOfRange(all, 0, BLOCK), 0x11);
        byte[] p = bytes(pattern);
        long badBlock = -1;
        for (long at = BLOCK; at < BLOCK + length && badBlock < 0; at += BLOCK) {
            if (!Arrays.equals(all, (int) at, (int) at + BLOCK, p, 0, BLOCK)) {
                badBlock = at;
            }
        }
        assertThat(badBlock)
                .as("offset of the first block without the pattern (-1: none)")
                .isEqualTo(-1);
        int end = (int) (BLOCK + length);
        assertFilled(Arrays.copyOfRange(all, end, 4 * MIB), 0x11);

        Completion z = new Completion();
        d.writeSame(0, MIB, ByteBuffer.allocateDirect(BLOCK), z);
        assertThat(z.success()).isEqualTo(MIB);
        assertFilled(read(d, 0, MIB), 0);
        assertThatThrownBy(() -> d.writeSame(0, MIB, ByteBuffer.allocateDirect(BLOCK * 2), new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void compareAndWriteWritesOnlyWhenEqual() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        Random rnd = new Random(4);
        int length = 8 * BLOCK;
        long offset = MIB - 4 * BLOCK; // straddles a chunk / lock-region boundary
        ByteBuffer old = random(rnd, length);
        write(d, offset, old);

        ByteBuffer next = random(rnd, length);
        Completion ok = new Completion();
        d.compareAndWrite(offset, old, next, ok);
        assertThat(ok.success()).isEqualTo(length);
        assertThat(read(d, offset, length)).isEqualTo(bytes(next));

        // compare with the old data again: the first difference is at the first byte that changed
        ByteBuffer wrongCompare =
                ByteBuffer.allocateDirect(length).put(bytes(next)).flip();
        wrongCompare.put(4 * BLOCK + 17, (byte) (wrongCompare.get(4 * BLOCK + 17) ^ 0x5a));
        ByteBuffer third = random(rnd, length);
        Completion miss = new Completion();
        d.compareAndWrite(offset, wrongCompare, third, miss);
        BlockDeviceException e = miss.failure();
        assertThat(e.kind()).isEqualTo(Kind.MISCOMPARE);
        assertThat(e).isInstanceOf(MiscompareException.class);
        assertThat(((MiscompareException) e).offsetInCompare()).isEqualTo(4 * BLOCK + 17);
        assertThat(read(d, offset, length)).as("nothing written on miscompare").isEqualTo(bytes(next));
    }

    @Test
    void compareAndWriteAgainstUnwrittenBlocksComparesWithZeros() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        ByteBuffer compare = ByteBuffer.allocateDirect(BLOCK);
        compare.put(300, (byte) 1);
        Completion miss = new Completion();
        d.compareAndWrite(2 * MIB, compare, filled(BLOCK, 9), miss);
        assertThat(((MiscompareException) miss.failure()).offsetInCompare()).isEqualTo(300);
        Completion ok = new Completion();
        d.compareAndWrite(2 * MIB, ByteBuffer.allocateDirect(BLOCK), filled(BLOCK, 9), ok);
        ok.success();
        assertFilled(read(d, 2 * MIB, BLOCK), 9);
    }

    @Test
    void writeAtomicWritesWithinTheAdvertisedLimits() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        DeviceInfo info = d.info();
        assertThat(info.maxAtomicWriteBytes()).isGreaterThanOrEqualTo(256 * BLOCK);
        Completion c = new Completion();
        d.writeAtomic(MIB - 3 * BLOCK, filled(64 * 1024, 0x5A), true, c);
        assertThat(c.success()).isEqualTo(64 * 1024);
        assertFilled(read(d, MIB - 3 * BLOCK, 64 * 1024), 0x5A);
        assertFilled(read(d, MIB - 4 * BLOCK, BLOCK), 0);
        assertThatThrownBy(
                        () -> d.writeAtomic(0, filled(info.maxAtomicWriteBytes() + BLOCK, 1), false, new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
        Completion beyond = new Completion();
        d.writeAtomic(SIZE - BLOCK, filled(2 * BLOCK, 1), false, beyond);
        assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
    }

    /**
     * Two atomic writers fill the same 64 KiB (straddling a lock region boundary) with their own byte
     * while readers read it and a wider range around it: no read may ever see a mix.
     */
    @Test
    void readersNeverSeeATornAtomicWrite() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        int len = 64 * 1024;
        long offset = MIB - len / 2;
        write(d, offset, filled(len, 1));
        int writes = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicReference<String> torn = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 1; w <= 2; w++) {
            int value = w == 1 ? 0x11 : 0x22;
            writers.add(pool.submit(() -> {
                ByteBuffer data = filled(len, value);
                // on a loaded machine the writers could finish before a reader ever ran
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (reads.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                for (int i = 0; i < writes; i++) {
                    Completion c = new Completion();
                    d.writeAtomic(offset, data.duplicate(), false, c);
                    c.success();
                }
                return null;
            }));
        }
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int extra = r * BLOCK; // the second reader reads a block more on each side
            readers.add(pool.submit(() -> {
                ByteBuffer dst = ByteBuffer.allocateDirect(len + 2 * extra);
                while (!stop.get()) {
                    Completion c = new Completion();
                    d.read(offset - extra, dst.clear(), c);
                    c.success();
                    byte first = dst.get(extra);
                    for (int i = extra; i < extra + len; i++) {
                        if (dst.get(i) != first) {
                            torn.compareAndSet(
                                    null, "byte " + (i - extra) + " is " + dst.get(i) + ", byte 0 is " + first);
                            break;
                        }
                    }
                    reads.incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> f : writers) {
            f.get(20, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : readers) {
            f.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(torn.get()).as("a torn read").isNull();
        assertThat(reads.get()).isPositive();
        byte last = read(d, offset, len)[0];
        assertThat(last).isIn((byte) 0x11, (byte) 0x22);
        assertFilled(read(d, offset, len), last);
    }

    @Test
    void compareAndWriteIsAtomicUnderContention() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        int threads = 4;
        int increments = 150;
        long offset = 3 * BLOCK;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                int retries = 0;
                for (int i = 0; i < increments; i++) {
                    while (true) {
                        ByteBuffer current = ByteBuffer.allocateDirect(BLOCK);
                        Completion r = new Completion();
                        d.read(offset, current, r);
                        r.success();
                        ByteBuffer next = ByteBuffer.allocateDirect(BLOCK);
                        next.put(0, current, 0, BLOCK);
                        next.putLong(0, current.getLong(0) + 1);
                        next.putLong(BLOCK - 8, current.getLong(0) + 1); // a torn write would show
                        Completion c = new Completion();
                        d.compareAndWrite(offset, current, next, c);
                        if (c.succeeded()) {
                            break;
                        }
                        retries++;
                    }
                }
                return retries;
            }));
        }
        for (Future<Integer> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
        ByteBuffer end = ByteBuffer.wrap(read(d, offset, BLOCK));
        assertThat(end.getLong(0)).isEqualTo((long) threads * increments);
        assertThat(end.getLong(BLOCK - 8)).isEqualTo((long) threads * increments);
    }

    @Test
    void fuaWritesAndFlushComplete() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        ByteBuffer data = random(new Random(5), 64 * 1024);
        Completion w = new Completion();
        d.write(4 * MIB, data, true, w);
        assertThat(w.success()).isEqualTo(64 * 1024);
        Completion f = new Completion();
        d.flush(f);
        assertThat(f.success()).isZero();
        assertThat(read(d, 4 * MIB, 64 * 1024)).isEqualTo(bytes(data));
    }

    @Test
    void requestsBeyondTheEndFailOutOfRange() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        Completion r = new Completion();
        d.read(SIZE, ByteBuffer.allocateDirect(BLOCK), r);
        assertThat(r.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        Completion w = new Completion();
        d.write(SIZE - BLOCK, ByteBuffer.allocateDirect(2 * BLOCK), false, w);
        assertThat(w.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        Completion dis = new Completion();
        d.discard(0, SIZE + BLOCK, dis);
        assertThat(dis.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        Completion a = new Completion();
        d.allocationStatus(SIZE, a);
        assertThat(a.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        Completion caw = new Completion();
        d.compareAndWrite(SIZE, ByteBuffer.allocateDirect(BLOCK), ByteBuffer.allocateDirect(BLOCK), caw);
        assertThat(caw.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        // the last block is in range
        write(d, SIZE - BLOCK, filled(BLOCK, 3));
        assertFilled(read(d, SIZE - BLOCK, BLOCK), 3);
    }

    @Test
    void misalignedArgumentsThrow() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        assertThatThrownBy(() -> d.read(100, ByteBuffer.allocateDirect(BLOCK), new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.write(0, ByteBuffer.allocateDirect(100), false, new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.discard(0, 100, new Completion())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.compareAndWrite(
                        0, ByteBuffer.allocateDirect(BLOCK), ByteBuffer.allocateDirect(2 * BLOCK), new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
        int tooLarge = d.info().maxAtomicCompareAndWriteBytes() + BLOCK;
        assertThatThrownBy(() -> d.compareAndWrite(
                        0, ByteBuffer.allocateDirect(tooLarge), ByteBuffer.allocateDirect(tooLarge), new Completion()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void operationsAfterCloseFailClosed() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        d.close();
        Completion r = new Completion();
        d.read(0, ByteBuffer.allocateDirect(BLOCK), r);
        assertThat(r.failure().kind()).isEqualTo(Kind.CLOSED);
        Completion w = new Completion();
        d.write(0, ByteBuffer.allocateDirect(BLOCK), true, w);
        assertThat(w.failure().kind()).isEqualTo(Kind.CLOSED);
        Completion f = new Completion();
        d.flush(f);
        assertThat(f.failure().kind()).isEqualTo(Kind.CLOSED);
        d.close(); // idempotent
    }

    @Test
    void closeCompletesEverythingInFlight() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        List<Completion> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Completion c = new Completion();
            d.write((long) i * 4096, filled(4096, i), false, c);
            all.add(c);
        }
        d.close();
        for (Completion c : all) {
            assertThat(c.isDone()).as("completed before close returned").isTrue();
            assertThat(c.calls()).isEqualTo(1);
        }
    }

    @Test
    void allocationStatusDescribesExtents() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        assertThat(allocation(d, 0)).isEqualTo(-SIZE);
        assertThat(allocation(d, SIZE - BLOCK)).isEqualTo(-BLOCK);
        write(d, 2 * MIB, filled(4096, 1));
        write(d, 5 * MIB + 4096, filled(8192, 2));
        assertThat(allocation(d, 0)).isEqualTo(-2L * MIB);
        long mapped = allocation(d, 2 * MIB);
        assertThat(mapped).isPositive().isGreaterThanOrEqualTo(4096).isLessThanOrEqualTo(MIB);
        // walking the extents covers the device exactly, alternating states
        long at = 0;
        long mappedTotal = 0;
        Boolean previous = null;
        int extents = 0;
        while (at < SIZE) {
            long e = allocation(d, at);
            assertThat(e).isNotZero();
            assertThat(Math.abs(e) % BLOCK).isZero();
            if (previous != null) {
                assertThat(e > 0).as("extents alternate").isNotEqualTo(previous);
            }
            previous = e > 0;
            mappedTotal += Math.max(e, 0);
            at += Math.abs(e);
            extents++;
        }
        assertThat(at).isEqualTo(SIZE);
        assertThat(extents).isEqualTo(5);
        assertThat(mappedTotal).isBetween(12288L, 2L * MIB);
        Completion c = new Completion();
        d.discard(0, SIZE, c);
        c.success();
        assertThat(allocation(d, 0)).isEqualTo(-SIZE);
    }
}
