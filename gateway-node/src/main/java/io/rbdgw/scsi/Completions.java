package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;

/** The ways a command handler completes its task. */
public final class Completions {

    private Completions() {}

    /** GOOD, no data. */
    public static void good(ScsiTask task, int transferLength) {
        task.complete(ScsiStatus.GOOD, null, null, transferLength);
    }

    /** CHECK CONDITION with sense. */
    public static void check(ScsiTask task, byte[] sense, int transferLength) {
        task.complete(ScsiStatus.CHECK_CONDITION, null, sense, transferLength);
    }

    /**
     * GOOD with parameter data, truncated to the CDB's allocation length (SPC-4 4.2.5.6). The reported
     * transfer length is the truncated length.
     */
    public static void data(ScsiTask task, ByteBuf data, long allocationLength) {
        int len = data.readableBytes();
        if (len > allocationLength) {
            len = (int) allocationLength;
            data.writerIndex(data.readerIndex() + len);
        }
        task.complete(ScsiStatus.GOOD, data, null, len);
    }
}
