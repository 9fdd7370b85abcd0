package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiTask;

/** A task that records its completion; copies and releases the data-in buffer. */
final class RecordingTask implements ScsiTask {

    private final byte[] cdb;
    private final ItNexus nexus;
    private final ByteBuf dataOut;
    int completions;
    int status = -1;
    byte[] dataIn;
    byte[] sense;
    int transferLength = Integer.MIN_VALUE;

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
    }
}
