package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SCSI Command (RFC 7143 section 11.3).
 *
 * <p>{@code cdb} is the 16 CDB bytes of the BHS followed by the Extended CDB AHS bytes (type 1) when present;
 * the decoder always returns at least 16 bytes (zero padded as on the wire). The encoder accepts 1..1032 bytes.
 * The array is not copied: treat it as read-only. {@code taskAttributes} is ATTR (low 3 bits of byte 1);
 * {@code data} is immediate data. */
public record ScsiCommand(
        boolean immediate,
        boolean finalFlag,
        boolean read,
        boolean write,
        int taskAttributes,
        long lun,
        int itt,
        int expectedDataTransferLength,
        int cmdSN,
        int expStatSN,
        byte[] cdb,
        ByteBuf data)
        implements IscsiPdu {

    /** 16 bytes in the BHS plus an Extended CDB AHS of at most 255 words (minus its 4-byte header). */
    public static final int MAX_CDB_LENGTH = 16 + 255 * 4 - 4;

    public ScsiCommand {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
        if (cdb == null || cdb.length == 0 || cdb.length > MAX_CDB_LENGTH) {
            throw new IllegalArgumentException("CDB length must be 1.." + MAX_CDB_LENGTH);
        }
    }

    @Override
    public int opcode() {
        return Opcodes.SCSI_COMMAND;
    }
}
