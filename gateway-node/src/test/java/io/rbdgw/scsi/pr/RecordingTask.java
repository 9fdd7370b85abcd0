package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A task that records its completion; copies and releases the data-in buffer. {@link #await} waits for a completion
 * that comes from another thread (the cluster store completes reservation commands on its executor).
 */
final class RecordingTask implements ScsiTask {

    private final byte[] cdb;
    private final ItNexus nexus;
    private final ByteBuf dataOut;
    private final CompletableFuture<Integer> done = new CompletableFuture<>();
    volatile int completions;
    volatile int status = -1;
    volatile byte[] dataIn;
    volatile byte[] sense;
    volatile int transferLength = Integer.MIN_VALUE;

    RecordingTask(ItNexus nexus, byte[] cdb, byte[] dataOut) {
        this.nexus = nexus;
        this.cdb = cdb;
        this.dataOut = dataOut == null ? null : Unpooled.wrappedBuffer(dataOut);
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
        return 0;
    }

    @Override
    public int expectedTransferLength() {
        return dataOut != null ? dataOut.readableBytes() : 65536;
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
        this.sense = sense;
        this.transferLength = transferLength;
        if (dataIn != null) {
            this.dataIn = ByteBufUtil.getBytes(dataIn);
            dataIn.release();
        }
        done.complete(status);
    }

    /** The status of the first completion, waiting up to 20 s for it. */
    int await() throws Exception {
        return done.get(20, TimeUnit.SECONDS);
    }
}
