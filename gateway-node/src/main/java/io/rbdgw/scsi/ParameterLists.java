package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;

/** The parameter list a command carries in its Data-Out (EXTENDED COPY, POPULATE TOKEN, WRITE USING TOKEN). */
public final class ParameterLists {

    private ParameterLists() {}

    /**
     * The {@code length} bytes of the task's parameter list, copied out; null when {@code length} is 0 (no list:
     * not an error, SPC-4 6.4.1; the task is then completed with GOOD). A list longer than {@code max} is a
     * PARAMETER LIST LENGTH ERROR, one shorter than it says a short Data-Out, both before anything is read.
     */
    public static byte[] read(ScsiTask task, long length, long max) {
        if (length == 0) {
            Completions.good(task, 0);
            return null;
        }
        int transfer = (int) Math.min(length, Integer.MAX_VALUE);
        if (length > max) {
            throw ScsiError.parameterListLength().withTransferLength(transfer);
        }
        ByteBuf out = task.dataOut();
        if (out == null || out.readableBytes() < length) {
            throw ScsiError.shortDataOut(transfer);
        }
        byte[] p = new byte[transfer];
        out.getBytes(out.readerIndex(), p);
        return p;
    }
}
