package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiOpcodes;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;

/**
 * READ 6/10/12/16, WRITE 6/10/12/16, VERIFY 10/12/16 and WRITE AND VERIFY 10/12/16.
 *
 * <p>Reads go straight into a pooled direct data-in buffer; writes hand the data-out buffer to the
 * device in place. The only per-command object is the completion callback.
 */
public final class ReadWrite {

    private ReadWrite() {}

    /** READ 6/10/12/16. */
    public static void read(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        long lba;
        long blocks;
        int lenOffset;
        if ((cdb[0] & 0xff) == ScsiOpcodes.READ_6) {
            lba = Cdbs.u24(cdb, 1) & 0x1F_FFFF;
            blocks = Cdbs.u8(cdb, 4) == 0 ? 256 : Cdbs.u8(cdb, 4);
            lenOffset = 4;
        } else {
            lba = Blocks.lba(cdb);
            blocks = Blocks.blocks(cdb);
            lenOffset = Blocks.blocksOffset(cdb);
        }
        DeviceInfo info = lu.info();
        Blocks.checkRange(info, lba, blocks);
        if (blocks == 0) {
            task.complete(ScsiStatus.GOOD, null, null, 0);
            return;
        }
        if (blocks > lu.maxTransferBlocks(info)) {
            throw ScsiError.invalidCdb(lenOffset, -1);
        }
        int len = (int) (blocks * info.blockSize());
        ByteBuf buf = task.alloc().directBuffer(len);
        try {
            lu.device().read(lba * info.blockSize(), buf.nioBuffer(0, len), new ReadDone(task, buf, len));
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /** WRITE 6/10/12/16 and WRITE AND VERIFY 10/12/16. */
    public static void write(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int op = cdb[0] & 0xff;
        long lba;
        long blocks;
        int lenOffset;
        boolean fua;
        boolean verify = op == ScsiOpcodes.WRITE_AND_VERIFY_10
                || op == ScsiOpcodes.WRITE_AND_VERIFY_12
                || op == ScsiOpcodes.WRITE_AND_VERIFY_16;
        if (op == ScsiOpcodes.WRITE_6) {
            lba = Cdbs.u24(cdb, 1) & 0x1F_FFFF;
            blocks = Cdbs.u8(cdb, 4) == 0 ? 256 : Cdbs.u8(cdb, 4);
            lenOffset = 4;
            fua = false;
        } else {
            lba = Blocks.lba(cdb);
            blocks = Blocks.blocks(cdb);
            lenOffset = Blocks.blocksOffset(cdb);
            // WRITE AND VERIFY: the data must be on the medium before we claim it verified
            fua = verify || (cdb[1] & 0x08) != 0;
        }
        DeviceInfo info = lu.info();
        int bs = info.blockSize();
        long maxBlocks = lu.maxTransferBlocks(info);
        int expected = blocks > maxBlocks ? -1 : (int) (blocks * bs);
        try {
            Blocks.checkRange(info, lba, blocks);
            if (blocks == 0) {
                task.complete(ScsiStatus.GOOD, null, null, 0);
                return;
            }
            if (blocks > maxBlocks) {
                throw ScsiError.invalidCdb(lenOffset, -1);
            }
        } catch (ScsiError e) {
            throw e.withTransferLength(expected);
        }
        // residual overflow: only the whole blocks that arrived are written (nothing if none did);
        // the CDB's length is still reported so that the transport computes the residual
        int len = (int) (Blocks.blocksSent(task, blocks, bs) * bs);
        if (len == 0) {
            task.complete(ScsiStatus.GOOD, null, null, expected);
            return;
        }
        ByteBuf out = task.dataOut();
        boolean byteCheck = verify && (cdb[1] & 0x02) != 0;
        if (out.isDirect() && out.nioBufferCount() > 1) {
            // data that arrived in several PDUs goes to the device as it lies in the receive buffers
            WriteDone done = new WriteDone(lu, task, null, len, expected, byteCheck ? lba * bs : -1);
            lu.device().writev(lba * bs, out.nioBuffers(out.readerIndex(), len), fua, done);
            return;
        }
        ByteBuf copy = Blocks.directCopyIfNeeded(out, len, task.alloc());
        WriteDone done = new WriteDone(lu, task, copy, len, expected, byteCheck ? lba * bs : -1);
        try {
            lu.device().write(lba * bs, Blocks.nio(out, copy, 0, len), fua, done);
        } catch (RuntimeException e) {
            done.releaseHeld();
            throw e;
        }
    }

    /** VERIFY 10/12/16: BYTCHK=0 checks the range only; BYTCHK=1 compares the data-out with the medium. */
    public static void verify(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        long lba = Blocks.lba(cdb);
        long blocks = Blocks.blocks(cdb);
        DeviceInfo info = lu.info();
        boolean byteCheck = (cdb[1] & 0x02) != 0;
        int bs = info.blockSize();
        long maxBlocks = lu.maxTransferBlocks(info);
        int expected = byteCheck && blocks <= maxBlocks ? (int) (blocks * bs) : -1;
        try {
            Blocks.checkRange(info, lba, blocks);
            if (blocks == 0 || !byteCheck) {
                task.complete(ScsiStatus.GOOD, null, null, expected == 0 ? -1 : expected);
                return;
            }
            if (blocks > maxBlocks) {
                throw ScsiError.invalidCdb(Blocks.blocksOffset(cdb), -1);
            }
        } catch (ScsiError e) {
            throw e.withTransferLength(expected);
        }
        Blocks.dataOut(task, expected);
        readAndCompare(lu, task, lba * bs, expected, expected);
    }

    /** Reads {@code len} bytes at {@code offset} and compares them with the task's data-out. */
    static void readAndCompare(LogicalUnit lu, ScsiTask task, long offset, int len, int transferLength) {
        ByteBuf buf = task.alloc().directBuffer(len);
        try {
            lu.device().read(offset, buf.nioBuffer(0, len), new CompareDone(task, buf, len, transferLength));
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private static final class ReadDone extends BlockCallback {
        private final int len;

        ReadDone(ScsiTask task, ByteBuf buf, int len) {
            super(task, len, buf);
            this.len = len;
        }

        @Override
        void succeeded(long bytes) {
            ByteBuf buf = takeHeld();
            buf.writerIndex(len);
            task.complete(ScsiStatus.GOOD, buf, null, len);
        }
    }

    private static final class WriteDone extends BlockCallback {
        private final LogicalUnit lu;
        private final int len;
        private final long verifyOffset;

        WriteDone(LogicalUnit lu, ScsiTask task, ByteBuf copy, int len, int transferLength, long verifyOffset) {
            super(task, transferLength, copy);
            this.lu = lu;
            this.len = len;
            this.verifyOffset = verifyOffset;
        }

        @Override
        void succeeded(long bytes) {
            releaseHeld();
            if (verifyOffset < 0) {
                good();
                return;
            }
            try {
                readAndCompare(lu, task, verifyOffset, len, transferLength);
            } catch (RuntimeException e) {
                task.complete(
                        ScsiStatus.CHECK_CONDITION,
                        null,
                        SenseData.fixed(SenseData.HARDWARE_ERROR, 0x44, 0x00),
                        transferLength);
            }
        }
    }

    private static final class CompareDone extends BlockCallback {
        private final ByteBuf medium;
        private final int len;

        CompareDone(ScsiTask task, ByteBuf medium, int len, int transferLength) {
            super(task, transferLength, medium);
            this.medium = medium;
            this.len = len;
        }

        @Override
        void succeeded(long bytes) {
            ByteBuf out = task.dataOut();
            int at = Blocks.firstMismatch(medium, 0, out, out.readerIndex(), len);
            releaseHeld();
            if (at < 0) {
                good();
            } else {
                task.complete(
                        ScsiStatus.CHECK_CONDITION,
                        null,
                        SenseData.withInformation(SenseData.MISCOMPARE, 0x1D, 0x00, at),
                        transferLength);
            }
        }
    }
}
