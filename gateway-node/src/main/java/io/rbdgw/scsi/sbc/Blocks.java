package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;
import java.nio.ByteBuffer;

/** Address decoding, range checks and data-out handling shared by the SBC commands. */
final class Blocks {

    private Blocks() {}

    /** LBA of a 10/12/16-byte block command (READ/WRITE/VERIFY/... layouts). */
    static long lba(byte[] cdb) {
        return cdb.length >= 16 && isSixteen(cdb) ? Cdbs.u64(cdb, 2) : Cdbs.u32(cdb, 2);
    }

    /** Transfer length (blocks) of a 10/12/16-byte block command. */
    static long blocks(byte[] cdb) {
        int op = cdb[0] & 0xff;
        if (isSixteen(cdb)) {
            return Cdbs.u32(cdb, 10);
        }
        if (op >= 0xA0) {
            return Cdbs.u32(cdb, 6);
        }
        return Cdbs.u16(cdb, 7);
    }

    /** Offset of the transfer length field, for field pointers. */
    static int blocksOffset(byte[] cdb) {
        int op = cdb[0] & 0xff;
        if (isSixteen(cdb)) {
            return 10;
        }
        return op >= 0xA0 ? 6 : 7;
    }

    private static boolean isSixteen(byte[] cdb) {
        int op = cdb[0] & 0xff;
        return op >= 0x80 && op < 0xA0;
    }

    /** 05/21/00 unless LBA is a valid address and [lba, lba + blocks) lies within the device. */
    static void checkRange(DeviceInfo info, long lba, long blocks) {
        long total = info.blockCount();
        if (lba < 0 || lba >= total || blocks > total - lba) {
            throw ScsiError.lbaOutOfRange();
        }
    }

    /**
     * 05/21/00 unless [lba, lba + blocks) lies within the device; unlike {@link #checkRange} an empty
     * range may start at the capacity (UNMAP descriptors with no blocks). LBAs are unsigned: one with
     * the top bit set is always out of range.
     */
    static void checkRangeAllowEmpty(DeviceInfo info, long lba, long blocks) {
        long total = info.blockCount();
        if (lba < 0 || lba > total || blocks > total - lba) {
            throw ScsiError.lbaOutOfRange();
        }
    }

    /**
     * Whole blocks of data-out the initiator actually sent for a write of {@code blocks} blocks: the
     * expected transfer length (and the buffer) rounded down to blocks, at most {@code blocks}. When
     * the initiator announces less than the CDB asks for, SAM-5 lets the device server process only
     * what arrived; the transport reports the difference as residual overflow.
     */
    static long blocksSent(ScsiTask task, long blocks, int blockSize) {
        ByteBuf out = task.dataOut();
        if (out == null) {
            return 0;
        }
        long bytes = Math.min(out.readableBytes(), Math.max(0, task.expectedTransferLength()));
        return Math.min(blocks, bytes / blockSize);
    }

    /**
     * 05/24/00 INVALID FIELD IN CDB (pointing at {@code lengthField}) unless the initiator announced
     * exactly {@code len} bytes of data-out: for COMPARE AND WRITE and WRITE SAME a different size
     * means initiator and CDB disagree about the command, and nothing may be executed.
     */
    static void checkExactDataOut(ScsiTask task, int len, int lengthField) {
        ByteBuf out = task.dataOut();
        int sent = out == null ? 0 : out.readableBytes();
        if (task.expectedTransferLength() != len || sent < len) {
            throw ScsiError.invalidCdb(lengthField, -1).withTransferLength(len);
        }
    }

    /**
     * The first {@code len} bytes of the data-out buffer, or 05/0E/03 when the initiator sent fewer
     * (nothing is executed then; the transfer length still tells the transport the CDB's size).
     */
    static ByteBuf dataOut(ScsiTask task, int len) {
        ByteBuf out = task.dataOut();
        if (len > 0 && (out == null || out.readableBytes() < len)) {
            throw ScsiError.shortDataOut(len);
        }
        return out;
    }

    /**
     * Null when {@code out} is a single direct buffer (the normal case: the device reads it in place);
     * otherwise (a composite of several PDUs, or heap memory) a pooled direct copy of its first
     * {@code len} bytes, which the caller releases after the I/O.
     */
    static ByteBuf directCopyIfNeeded(ByteBuf out, int len, ByteBufAllocator alloc) {
        if (out.isDirect() && out.nioBufferCount() == 1) {
            return null;
        }
        ByteBuf copy = alloc.directBuffer(len);
        copy.writeBytes(out, out.readerIndex(), len);
        return copy;
    }

    /** The NIO view for the device: of the copy if there is one, else of the data-out buffer. */
    static ByteBuffer nio(ByteBuf out, ByteBuf copy, int offset, int len) {
        return copy != null ? copy.nioBuffer(offset, len) : out.nioBuffer(out.readerIndex() + offset, len);
    }

    /** Index of the first byte where the two ranges differ, or -1. */
    static int firstMismatch(ByteBuf a, int aIndex, ByteBuf b, int bIndex, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            if (a.getLong(aIndex + i) != b.getLong(bIndex + i)) {
                break;
            }
        }
        for (; i < len; i++) {
            if (a.getByte(aIndex + i) != b.getByte(bIndex + i)) {
                return i;
            }
        }
        return -1;
    }
}
