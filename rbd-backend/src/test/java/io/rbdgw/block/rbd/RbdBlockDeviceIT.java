package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.BlockDeviceException.Kind;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.MiscompareException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RbdBlockDevice against a real Ceph cluster (scripts/ceph-dev-cluster.sh). */
class RbdBlockDeviceIT {

    private static final int MIB = 1 << 20;
    private static final long SIZE = 64L * MIB;

    private static RbdImages images;
    private static String imageName;
    private static RbdBlockDevice device;

    @BeforeAll
    static void openDevice() throws Exception {
        images = TestCeph.cluster().images(TestCeph.POOL);
        imageName = TestCeph.uniqueName("it-dev");
        images.create(imageName, SIZE);
        device = images.open(imageName);
    }

    @AfterAll
    static void removeImage() throws Exception {
        if (device != null) {
            device.close();
        }
        if (images != null && imageName != null) {
            images.delete(imageName);
        }
    }

    private static ByteBuffer filled(int length, int value) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(length);
        while (buffer.hasRemaining()) {
            buffer.put((byte) value);
        }
        return buffer.flip();
    }

    private static void write(long offset, ByteBuffer data) {
        Done done = new Done();
        device.write(offset, data.duplicate(), false, done);
        assertThat(done.success()).isEqualTo(data.remaining());
    }

    private static ByteBuffer read(long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocateDirect(length);
        Done done = new Done();
        device.read(offset, dst, done);
        assertThat(done.success()).isEqualTo(length);
        assertThat(dst.position()).as("position untouched").isZero();
        return dst;
    }

    @Test
    void writeAtomicInsideOneObjectAndRefusedAcrossABoundary() {
        DeviceInfo info = device.info();
        int a = 128 * 1024; // gcd(4 MiB objects, 128 KiB)
        assertThat(info.maxAtomicWriteBytes()).isEqualTo(a);
        assertThat(info.atomicAlignmentBytes()).isEqualTo(a);
        assertThat(info.atomicGranularityBytes()).isEqualTo(a);
        long lastWindowOfFirstObject = 4L * MIB - a;
        ByteBuffer data = TestCeph.random(a, 77);
        Done done = new Done();
        device.writeAtomic(lastWindowOfFirstObject, data.duplicate(), true, done);
        assertThat(done.success()).isEqualTo(a);
        assertThat(read(lastWindowOfFirstObject, a)).isEqualTo(data);
        // half in the first object, half in the second: two RADOS operations, not atomic
        assertThatThrownBy(() -> device.writeAtomic(4L * MIB - a / 2, TestCeph.random(a, 78), false, new Done()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("window");
        assertThatThrownBy(() -> device.writeAtomic(4L * MIB - 512, TestCeph.random(1024, 79), false, new Done()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(read(4L * MIB - a / 2, 512))
                .isEqualTo(data.duplicate().position(a / 2).limit(a / 2 + 512));
    }

    @Test
    void atomicWriteSizeDividesTheStripeUnit() {
        assertThat(ImageLayout.atomicWriteBytes(4L * MIB)).isEqualTo(128 * 1024);
        assertThat(ImageLayout.atomicWriteBytes(64 * 1024)).isEqualTo(64 * 1024);
        assertThat(ImageLayout.atomicWriteBytes(3 * 64 * 1024)).isEqualTo(64 * 1024);
        assertThat(ImageLayout.atomicWriteBytes(256)).isZero();
    }

    @Test
    void infoDescribesTheImage() {
        DeviceInfo info = device.info();
        assertThat(info.sizeBytes()).isEqualTo(SIZE);
        assertThat(info.blockSize()).isEqualTo(512);
        assertThat(info.thinProvisioned()).isTrue();
        assertThat(info.discardZeroes()).isFalse();
        assertThat(info.volatileWriteCache()).isFalse();
        assertThat(info.maxAtomicCompareAndWriteBytes()).isEqualTo(512);
        assertThat(info.optimalTransferBytes()).isEqualTo(4 * MIB);
        assertThat(info.identity()).isEqualTo("rbd:" + TestCeph.POOL + "/" + device.imageId());
        assertThat(device.imageId()).isNotBlank().isNotEqualTo(imageName);
    }

    /** {@code data} cut into direct pieces of the given size (the last one takes the rest). */
    private static ByteBuffer[] cut(ByteBuffer data, int pieceSize) {
        int n = (data.remaining() + pieceSize - 1) / pieceSize;
        ByteBuffer[] out = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            int len = Math.min(pieceSize, data.remaining() - i * pieceSize);
            out[i] = ByteBuffer.allocateDirect(len).put(0, data, data.position() + i * pieceSize, len);
        }
        return out;
    }

    @Test
    void gatherWritesCrossObjectsAndReadBack() {
        // 1 MiB + 4 KiB across the boundary of objects 1 and 2, in 37 pieces of odd sizes (rbd_aio_writev)
        ByteBuffer data = TestCeph.random(MIB + 4096, 41);
        ByteBuffer[] pieces = cut(data, 28_673);
        assertThat(pieces.length).isBetween(2, RbdBlockDevice.MAX_IOV);
        long offset = 8L * MIB - MIB / 2;
        Done done = new Done();
        device.writev(offset, pieces, true, done);
        assertThat(done.success()).isEqualTo(data.remaining());
        assertThat(read(offset, data.remaining())).isEqualTo(data);
        // more pieces than one iovec array takes: assembled first, same result
        ByteBuffer many = TestCeph.random(RbdBlockDevice.MAX_IOV * 512 + 512, 42);
        Done manyDone = new Done();
        device.writev(offset, cut(many, 512), false, manyDone);
        assertThat(manyDone.success()).isEqualTo(many.remaining());
        assertThat(read(offset, many.remaining())).isEqualTo(many);
        assertThat(read(offset + many.remaining(), 4096))
                .isEqualTo(data.duplicate().position(many.remaining()).limit(many.remaining() + 4096));
    }

    @Test
    void writeThenReadReturnsTheData() {
        ByteBuffer data = TestCeph.random(64 * 1024, 1);
        write(3 * MIB + 512, data);
        assertThat(read(3 * MIB + 512, 64 * 1024)).isEqualTo(data);
        // an unaligned slice of a larger buffer: the device uses position and limit, not the whole buffer
        ByteBuffer big = ByteBuffer.allocateDirect(8192);
        big.position(1024).limit(1024 + 4096);
        Done done = new Done();
        device.read(3 * MIB + 512, big, done);
        assertThat(done.success()).isEqualTo(4096);
        assertThat(big.position()).isEqualTo(1024);
        assertThat(big.slice()).isEqualTo(data.duplicate().limit(4096));
    }

    @Test
    void writeAcrossAnObjectBoundary() {
        ByteBuffer data = TestCeph.random(MIB, 2);
        write(4L * MIB - 512 * 1024, data);
        assertThat(read(4L * MIB - 512 * 1024, MIB)).isEqualTo(data);
    }

    @Test
    void heapBuffersWorkThroughACopy() {
        ByteBuffer data = ByteBuffer.wrap(new byte[4096]);
        new Random(3).nextBytes(data.array());
        Done w = new Done();
        device.write(5 * MIB, data, false, w);
        assertThat(w.success()).isEqualTo(4096);
        ByteBuffer dst = ByteBuffer.allocate(4096);
        Done r = new Done();
        device.read(5 * MIB, dst, r);
        assertThat(r.success()).isEqualTo(4096);
        assertThat(dst).isEqualTo(data);
    }

    @Test
    void unwrittenRangeReadsZeros() {
        assertThat(read(40L * MIB, 8192)).isEqualTo(ByteBuffer.allocateDirect(8192));
    }

    @Test
    void fuaWriteAndFlushSucceed() {
        ByteBuffer data = TestCeph.random(4096, 4);
        Done fua = new Done();
        device.write(6 * MIB, data.duplicate(), true, fua);
        assertThat(fua.success()).isEqualTo(4096);
        Done flush = new Done();
        device.flush(flush);
        assertThat(flush.success()).isZero();
        assertThat(flush.thread).as("completion thread").isEqualTo("librbd-aio");
        assertThat(read(6 * MIB, 4096)).isEqualTo(data);
    }

    @Test
    void discardOfWholeObjectsReadsBackZerosAndPartialDiscardSucceeds() {
        write(8L * MIB, TestCeph.random(4 * MIB, 5));
        Done whole = new Done();
        device.discard(8L * MIB, 4L * MIB, whole);
        assertThat(whole.success()).isEqualTo(4L * MIB);
        assertThat(read(8L * MIB, 64 * 1024)).isEqualTo(ByteBuffer.allocateDirect(64 * 1024));

        // a discard inside an object succeeds but may leave the data (hence discardZeroes=false)
        write(12L * MIB, TestCeph.random(8192, 6));
        Done partial = new Done();
        device.discard(12L * MIB, 4096, partial);
        assertThat(partial.success()).isEqualTo(4096);
    }

    @Test
    void writeZeroesReadsBackZerosEvenInsideAnObject() {
        ByteBuffer data = TestCeph.random(16384, 7);
        write(13L * MIB, data);
        Done done = new Done();
        device.writeZeroes(13L * MIB + 4096, 4096, done);
        assertThat(done.success()).isEqualTo(4096);
        ByteBuffer back = read(13L * MIB, 16384);
        assertThat(back.duplicate().position(4096).limit(8192).slice()).isEqualTo(ByteBuffer.allocateDirect(4096));
        assertThat(back.duplicate().limit(4096)).isEqualTo(data.duplicate().limit(4096));
        assertThat(back.duplicate().position(8192)).isEqualTo(data.duplicate().position(8192));
    }

    @Test
    void writeSameRepeatsTheBlock() {
        ByteBuffer pattern = TestCeph.random(512, 8);
        Done done = new Done();
        device.writeSame(14L * MIB, 64 * 1024, pattern.duplicate(), done);
        assertThat(done.success()).isEqualTo(64 * 1024);
        ByteBuffer back = read(14L * MIB, 64 * 1024);
        for (int i = 0; i < 128; i++) {
            assertThat(back.duplicate().position(i * 512).limit(i * 512 + 512).slice())
                    .as("block %d", i)
                    .isEqualTo(pattern);
        }
    }

    @ParameterizedTest(name = "at image offset {0}")
    @ValueSource(longs = {15L * MIB + 1024, 16L * MIB, 16L * MIB + 4L * MIB - 512, 0})
    void compareAndWriteWritesOnlyWhenEqual(long offset) {
        ByteBuffer original = TestCeph.random(512, offset);
        write(offset, original);
        ByteBuffer replacement = TestCeph.random(512, offset + 1);

        Done ok = new Done();
        device.compareAndWrite(offset, original.duplicate(), replacement.duplicate(), ok);
        assertThat(ok.success()).isEqualTo(512);
        assertThat(read(offset, 512)).isEqualTo(replacement);

        for (int differAt : new int[] {0, 100, 511}) {
            ByteBuffer stale =
                    ByteBuffer.allocateDirect(512).put(replacement.duplicate()).flip();
            stale.put(differAt, (byte) (stale.get(differAt) ^ 0x5a));
            Done miscompare = new Done();
            device.compareAndWrite(offset, stale, TestCeph.random(512, 11), miscompare);
            BlockDeviceException error = miscompare.failure();
            assertThat(error).isInstanceOf(MiscompareException.class);
            assertThat(((MiscompareException) error).offsetInCompare()).isEqualTo(differAt);
            assertThat(read(offset, 512)).as("nothing written on miscompare").isEqualTo(replacement);
        }
    }

    @Test
    void compareAndWriteWithHeapBuffers() {
        long offset = 17L * MIB + 512;
        ByteBuffer original = TestCeph.random(512, 77);
        write(offset, original);
        byte[] cmp = new byte[512];
        original.duplicate().get(cmp);
        ByteBuffer replacement = TestCeph.random(512, 78);
        byte[] wr = new byte[512];
        replacement.duplicate().get(wr);
        Done ok = new Done();
        device.compareAndWrite(offset, ByteBuffer.wrap(cmp), ByteBuffer.wrap(wr), ok);
        assertThat(ok.success()).isEqualTo(512);
        assertThat(read(offset, 512)).isEqualTo(replacement);
    }

    @Test
    void compareAndWriteLongerThanOneSectorIsRejected() {
        assertThatThrownBy(() -> device.compareAndWrite(
                        0, ByteBuffer.allocateDirect(1024), ByteBuffer.allocateDirect(1024), new Done()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outOfRangeAndMisalignedRequests() {
        Done beyond = new Done();
        device.read(SIZE - 512, ByteBuffer.allocateDirect(1024), beyond);
        assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        Done zeroBeyond = new Done();
        device.writeZeroes(SIZE, 512, zeroBeyond);
        assertThat(zeroBeyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        assertThatThrownBy(() -> device.write(100, ByteBuffer.allocateDirect(512), false, new Done()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> device.read(0, ByteBuffer.allocateDirect(100), new Done()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manyOutstandingOperationsFromSeveralThreads() throws Exception {
        int threads = 4;
        int perThread = 64;
        int length = 8192;
        long base = 20L * MIB;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch written = new CountDownLatch(threads * perThread);
            AtomicReference<BlockDeviceException> failure = new AtomicReference<>();
            AtomicInteger inFlightPeak = new AtomicInteger();
            AtomicInteger inFlight = new AtomicInteger();
            IoCallback counting = new IoCallback() {
                @Override
                public void onSuccess(long bytes) {
                    inFlight.decrementAndGet();
                    written.countDown();
                }

                @Override
                public void onFailure(BlockDeviceException error) {
                    failure.compareAndSet(null, error);
                    inFlight.decrementAndGet();
                    written.countDown();
                }
            };
            for (int t = 0; t < threads; t++) {
                int thread = t;
                pool.execute(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int n = thread * perThread + i;
                        inFlightPeak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        device.write(base + (long) n * length, TestCeph.random(length, 1000 + n), false, counting);
                    }
                });
            }
            assertThat(written.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(failure.get()).isNull();

            List<ByteBuffer> reads = new ArrayList<>();
            CountDownLatch readDone = new CountDownLatch(threads * perThread);
            for (int n = 0; n < threads * perThread; n++) {
                ByteBuffer dst = ByteBuffer.allocateDirect(length);
                reads.add(dst);
                device.read(base + (long) n * length, dst, new IoCallback() {
                    @Override
                    public void onSuccess(long bytes) {
                        readDone.countDown();
                    }

                    @Override
                    public void onFailure(BlockDeviceException error) {
                        failure.compareAndSet(null, error);
                        readDone.countDown();
                    }
                });
            }
            assertThat(readDone.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(failure.get()).isNull();
            for (int n = 0; n < reads.size(); n++) {
                assertThat(reads.get(n)).as("block run %d", n).isEqualTo(TestCeph.random(length, 1000 + n));
            }
            System.out.println("peak writes in flight: " + inFlightPeak.get());
            assertThat(inFlightPeak.get()).as("writes really overlapped").isGreaterThan(16);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void measure4kWritesAndReadsAtQueueDepth32() throws Exception {
        int ops = 3000;
        long base = 32L * MIB;
        for (boolean isWrite : new boolean[] {true, false}) {
            Semaphore window = new Semaphore(32);
            CountDownLatch all = new CountDownLatch(ops);
            AtomicReference<BlockDeviceException> failure = new AtomicReference<>();
            IoCallback cb = new IoCallback() {
                @Override
                public void onSuccess(long bytes) {
                    window.release();
                    all.countDown();
                }

                @Override
                public void onFailure(BlockDeviceException error) {
                    failure.compareAndSet(null, error);
                    window.release();
                    all.countDown();
                }
            };
            ByteBuffer[] buffers = new ByteBuffer[32];
            for (int i = 0; i < 32; i++) {
                buffers[i] = TestCeph.random(4096, i);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                window.acquire();
                long offset = base + (long) (i % 2048) * 4096;
                if (isWrite) {
                    device.write(offset, buffers[i % 32].duplicate(), false, cb);
                } else {
                    device.read(offset, ByteBuffer.allocateDirect(4096), cb);
                }
            }
            assertThat(all.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(failure.get()).isNull();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    "4K %s QD32: %d ops in %.2f s = %.0f IOPS%n",
                    isWrite ? "write" : "read", ops, seconds, ops / seconds);
        }
    }

    @Test
    void resizeIsSeenByTheOpenDevice() throws Exception {
        String name = TestCeph.uniqueName("it-resize");
        images.create(name, 8L * MIB);
        try (RbdBlockDevice dev = images.open(name)) {
            AtomicInteger notified = new AtomicInteger();
            dev.onResize(notified::incrementAndGet);
            Done beyond = new Done();
            dev.write(10L * MIB, TestCeph.random(4096, 12), false, beyond);
            assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);

            TestCeph.cli("rbd", "resize", "--no-progress", "--size", "16M", TestCeph.POOL + "/" + name);
            await().atMost(Duration.ofSeconds(10)).until(() -> dev.info().sizeBytes() == 16L * MIB);
            await().atMost(Duration.ofSeconds(5)).until(() -> notified.get() >= 1);
            Done grown = new Done();
            dev.write(10L * MIB, TestCeph.random(4096, 12), false, grown);
            assertThat(grown.success()).isEqualTo(4096);

            images.resize(name, 4L * MIB); // through the API, shrinking
            await().atMost(Duration.ofSeconds(10)).until(() -> dev.info().sizeBytes() == 4L * MIB);
            assertThat(dev.info().identity()).isEqualTo("rbd:" + TestCeph.POOL + "/" + dev.imageId());
        } finally {
            images.delete(name);
        }
    }

    @Test
    void closeWaitsForOperationsInFlight() throws Exception {
        String name = TestCeph.uniqueName("it-close-busy");
        images.create(name, 8L * MIB);
        try {
            RbdBlockDevice dev = images.open(name);
            List<Done> writes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                Done done = new Done();
                writes.add(done);
                dev.write((long) i * 65536, TestCeph.random(65536, i), false, done);
            }
            dev.close();
            for (Done done : writes) {
                assertThat(done.success()).as("completed before close returned").isEqualTo(65536);
            }
            try (RbdBlockDevice again = images.open(name)) {
                Done r = new Done();
                ByteBuffer dst = ByteBuffer.allocateDirect(65536);
                again.read(63L * 65536, dst, r);
                r.success();
                assertThat(dst).isEqualTo(TestCeph.random(65536, 63));
            }
        } finally {
            images.delete(name);
        }
    }

    @Test
    void closedDeviceFailsWithClosed() throws Exception {
        String name = TestCeph.uniqueName("it-close");
        images.create(name, 4L * MIB);
        try {
            RbdBlockDevice dev = images.open(name);
            dev.close();
            Done done = new Done();
            dev.read(0, ByteBuffer.allocateDirect(512), done);
            assertThat(done.failure().kind()).isEqualTo(Kind.CLOSED);
            dev.close(); // idempotent
        } finally {
            images.delete(name);
        }
    }
}
