package io.rbdgw.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockDeviceTest extends BlockDeviceContractTest {

    private static final AtomicInteger IMAGES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected BlockDevice create(long sizeBytes, int blockSize) throws IOException {
        return FileBlockDevice.open(dir.resolve("image-" + IMAGES.incrementAndGet() + ".img"), sizeBytes, blockSize);
    }

    /** Bytes the file occupies on disk (st_blocks * 512), from stat(1). */
    private static long diskUsage(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor()).as("stat: %s", out).isZero();
        return Long.parseLong(out) * 512;
    }

    @Test
    void createsASparseFileAndReportsAVolatileCache() throws Exception {
        FileBlockDevice d = (FileBlockDevice) device(SIZE, BLOCK);
        assertThat(Files.size(d.path())).isEqualTo(SIZE);
        assertThat(diskUsage(d.path())).isLessThan(64 * 1024);
        assertThat(d.info().volatileWriteCache()).isTrue();
        assertThat(d.info().identity()).startsWith("file:" + d.path() + "#");
    }

    @Test
    void growsOnlineAndNeverShrinks() throws Exception {
        FileBlockDevice d = (FileBlockDevice) device(SIZE, BLOCK);
        write(d, SIZE - BLOCK, filled(BLOCK, 0x11));
        Completion beyond = new Completion();
        d.read(SIZE, ByteBuffer.allocateDirect(BLOCK), beyond);
        assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);

        assertThat(d.grow(2 * SIZE + BLOCK / 2)).isTrue(); // rounded down to a block multiple
        assertThat(d.info().sizeBytes()).isEqualTo(2 * SIZE);
        assertThat(Files.size(d.path())).isEqualTo(2 * SIZE);
        assertFilled(read(d, SIZE, BLOCK), 0);
        write(d, 2 * SIZE - BLOCK, filled(BLOCK, 0x33));
        assertFilled(read(d, 2 * SIZE - BLOCK, BLOCK), 0x33);

        assertThat(d.grow(SIZE)).as("never shrinks").isFalse();
        assertThat(d.grow(2 * SIZE)).isFalse();
        assertThat(d.info().sizeBytes()).isEqualTo(2 * SIZE);
        d.close();
        assertThatThrownBy(() -> d.grow(4 * SIZE)).isInstanceOf(IOException.class);
    }

    @Test
    void callbacksRunOnWorkerThreads() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        Thread caller = Thread.currentThread();
        Thread[] seen = new Thread[1];
        Completion c = new Completion() {
            @Override
            public void onSuccess(long bytes) {
                seen[0] = Thread.currentThread();
                super.onSuccess(bytes);
            }
        };
        d.read(0, ByteBuffer.allocateDirect(BLOCK), c);
        c.success();
        assertThat(seen[0]).isNotSameAs(caller);
        assertThat(seen[0].getName()).startsWith("file-io-");
    }

    @Test
    void discardPunchesHolesOnDisk() throws Exception {
        FileBlockDevice d = (FileBlockDevice) device(SIZE, BLOCK);
        write(d, 0, random(new Random(9), 4 * MIB));
        Completion f = new Completion();
        d.flush(f);
        f.success();
        long before = diskUsage(d.path());
        assertThat(before).isGreaterThanOrEqualTo(4L * MIB);
        Completion c = new Completion();
        d.discard(MIB, 2 * MIB, c);
        c.success();
        long after = diskUsage(d.path());
        assertThat(before - after).isGreaterThanOrEqualTo(2L * MIB);
        assertFilled(read(d, MIB, 2 * MIB), 0);
        assertThat(Files.size(d.path())).as("size kept").isEqualTo(SIZE);
    }

    @Test
    void reopenKeepsDataIdentityAndTheExistingSize() throws Exception {
        Path image = dir.resolve("persist.img");
        String identity;
        ByteBuffer data = random(new Random(10), 64 * 1024);
        try (FileBlockDevice d = FileBlockDevice.open(image, SIZE, BLOCK)) {
            identity = d.info().identity();
            write(d, 3 * MIB, data);
        }
        assertThat(Files.readString(dir.resolve("persist.img.id")).trim()).matches("[0-9a-f-]{36}");
        try (FileBlockDevice d = FileBlockDevice.open(image, 2 * SIZE, BLOCK)) {
            assertThat(d.info().sizeBytes()).as("the existing size wins").isEqualTo(SIZE);
            assertThat(d.info().identity()).isEqualTo(identity);
            assertThat(read(d, 3 * MIB, 64 * 1024)).isEqualTo(bytes(data));
        }
        try (FileBlockDevice d = FileBlockDevice.open(image, 2 * SIZE, BLOCK, true, 2)) {
            assertThat(d.info().sizeBytes()).as("grown on request").isEqualTo(2 * SIZE);
            assertThat(read(d, 3 * MIB, 64 * 1024)).isEqualTo(bytes(data));
            assertFilled(read(d, 2 * SIZE - MIB, MIB), 0);
        }
        assertThat(Files.size(image)).isEqualTo(2 * SIZE);
        // another image gets another identity
        try (FileBlockDevice other = FileBlockDevice.open(dir.resolve("other.img"), SIZE, BLOCK)) {
            assertThat(other.info().identity()).isNotEqualTo(identity);
        }
    }

    @Test
    void readPastATruncatedFileIsAReadError() throws Exception {
        FileBlockDevice d = (FileBlockDevice) device(SIZE, BLOCK);
        try (RandomAccessFile raf = new RandomAccessFile(d.path().toFile(), "rw")) {
            raf.setLength(MIB);
        }
        Completion c = new Completion();
        d.read(2 * MIB, ByteBuffer.allocateDirect(BLOCK), c);
        assertThat(c.failure().kind()).isEqualTo(Kind.READ_ERROR);
    }

    @Test
    void heapBuffersAreCopiedThroughDirectMemory() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        byte[] payload = new byte[2 * BLOCK];
        new Random(11).nextBytes(payload);
        ByteBuffer heap = ByteBuffer.allocate(2 * BLOCK + 3);
        heap.position(3);
        heap.put(payload).position(3);
        write(d, BLOCK, heap);
        ByteBuffer back = ByteBuffer.allocate(2 * BLOCK);
        Completion c = new Completion();
        d.read(BLOCK, back, c);
        c.success();
        assertThat(back.array()).isEqualTo(payload);
    }
}
