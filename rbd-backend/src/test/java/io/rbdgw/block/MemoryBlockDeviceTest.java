package io.rbdgw.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class MemoryBlockDeviceTest extends BlockDeviceContractTest {

    @Override
    protected BlockDevice create(long sizeBytes, int blockSize) {
        return new MemoryBlockDevice(sizeBytes, blockSize, "memory:test");
    }

    @Test
    void completesOnTheCallersThreadAndIsNotVolatile() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        assertThat(d.info().volatileWriteCache()).isFalse();
        Completion c = new Completion();
        d.write(0, ByteBuffer.allocateDirect(BLOCK), false, c);
        assertThat(c.isDone()).as("completed before write returned").isTrue();
    }

    @Test
    void allocatesOnWriteAndFreesWholeChunksOnDiscard() throws Exception {
        MemoryBlockDevice d = (MemoryBlockDevice) device(SIZE, BLOCK);
        assertThat(d.allocatedBytes()).isZero();
        int chunk = MemoryBlockDevice.CHUNK_BYTES;
        write(d, chunk - BLOCK, filled(2 * BLOCK, 1)); // touches chunks 0 and 1
        assertThat(d.allocatedBytes()).isEqualTo(2L * chunk);
        Completion c = new Completion();
        d.discard(0, chunk + BLOCK, c); // covers chunk 0 entirely, chunk 1 partly
        c.success();
        assertThat(d.allocatedBytes()).isEqualTo(chunk);
        assertFilled(read(d, chunk - BLOCK, 2 * BLOCK), 0);
    }

    @Test
    void acceptsHeapBuffers() throws Exception {
        BlockDevice d = device(SIZE, BLOCK);
        ByteBuffer heap = ByteBuffer.allocate(BLOCK);
        heap.put(7, (byte) 7);
        write(d, BLOCK, heap);
        ByteBuffer back = ByteBuffer.allocate(BLOCK);
        Completion c = new Completion();
        d.read(BLOCK, back, c);
        c.success();
        assertThat(back.get(7)).isEqualTo((byte) 7);
    }
}
