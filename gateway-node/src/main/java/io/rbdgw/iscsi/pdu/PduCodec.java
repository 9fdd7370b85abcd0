package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;

/**
 * The field layouts of RFC 7143 section 11: reads a validated BHS (+ AHS) into a PDU record and writes a record's
 * BHS. Offsets are relative to the start of the BHS; fields common to all PDUs are at bytes 0 (I bit 0x40,
 * opcode), 1 (F bit 0x80 and opcode-specific flags), 4 (TotalAHSLength in words), 5-7 (DataSegmentLength),
 * 8-15 (LUN or opcode-specific) and 16-19 (Initiator Task Tag).
 */
final class PduCodec {
    static final int BHS_LENGTH = 48;
    static final int CDB_IN_BHS = 16;
    static final int AHS_TYPE_EXTENDED_CDB = 1;
    static final int AHS_TYPE_BIDI_READ_LENGTH = 2;

    private static final int I_BIT = 0x40;
    private static final int F_BIT = 0x80;

    private PduCodec() {}

    static int pad4(int n) {
        return (n + 3) & ~3;
    }

    static int opcode(ByteBuf in, int base) {
        return in.getByte(base) & 0x3F;
    }

    static int totalAhsBytes(ByteBuf in, int base) {
        return in.getUnsignedByte(base + 4) * 4;
    }

    static int dataSegmentLength(ByteBuf in, int base) {
        return in.getUnsignedMedium(base + 5);
    }

    static int itt(ByteBuf in, int base) {
        return in.getInt(base + 16);
    }

    /**
     * Decodes a header that passed {@link IscsiPduDecoder}'s validation (opcode, AHS); {@code data} is owned by the
     * returned PDU.
     */
    static IscsiPdu decode(ByteBuf h, int b, ByteBuf data) {
        int opcode = opcode(h, b);
        boolean immediate = (h.getByte(b) & I_BIT) != 0;
        int flags = h.getUnsignedByte(b + 1);
        boolean f = (flags & F_BIT) != 0;
        long lun = h.getLong(b + 8);
        int itt = h.getInt(b + 16);
        int w20 = h.getInt(b + 20);
        int w24 = h.getInt(b + 24);
        int w28 = h.getInt(b + 28);
        int w32 = h.getInt(b + 32);
        int w36 = h.getInt(b + 36);
        int w40 = h.getInt(b + 40);
        int w44 = h.getInt(b + 44);
        switch (opcode) {
            case Opcodes.NOP_OUT:
                return new NopOut(immediate, lun, itt, w20, w24, w28, data);
            case Opcodes.SCSI_COMMAND:
                return new ScsiCommand(
                        immediate,
                        f,
                        (flags & 0x40) != 0,
                        (flags & 0x20) != 0,
                        flags & 0x07,
                        lun,
                        itt,
                        w20,
                        w24,
                        w28,
                        readCdb(h, b),
                        data);
            case Opcodes.TASK_MGMT_REQUEST:
                return new TaskManagementRequest(immediate, flags & 0x7F, lun, itt, w20, w24, w28, w32, w36);
            case Opcodes.LOGIN_REQUEST:
                return new LoginRequest(
                        (flags & 0x80) != 0,
                        (flags & 0x40) != 0,
                        (flags >> 2) & 3,
                        flags & 3,
                        h.getUnsignedByte(b + 2),
                        h.getUnsignedByte(b + 3),
                        readIsid(h, b),
                        h.getUnsignedShort(b + 14),
                        itt,
                        h.getUnsignedShort(b + 20),
                        w24,
                        w28,
                        data);
            case Opcodes.TEXT_REQUEST:
                return new TextRequest(immediate, f, (flags & 0x40) != 0, lun, itt, w20, w24, w28, data);
            case Opcodes.DATA_OUT:
                return new DataOut(f, lun, itt, w20, w28, w36, w40, data);
            case Opcodes.LOGOUT_REQUEST:
                return new LogoutRequest(immediate, flags & 0x7F, itt, h.getUnsignedShort(b + 20), w24, w28);
            case Opcodes.SNACK_REQUEST:
                return new SnackRequest(flags & 0x0F, lun, itt, w20, w28, w40, w44);
            case Opcodes.NOP_IN:
                return new NopIn(lun, itt, w20, w24, w28, w32, data);
            case Opcodes.SCSI_RESPONSE:
                return new ScsiResponse(
                        (flags & 0x10) != 0,
                        (flags & 0x08) != 0,
                        (flags & 0x04) != 0,
                        (flags & 0x02) != 0,
                        h.getUnsignedByte(b + 2),
                        h.getUnsignedByte(b + 3),
                        itt,
                        w20,
                        w24,
                        w28,
                        w32,
                        w36,
                        w40,
                        w44,
                        data);
            case Opcodes.TASK_MGMT_RESPONSE:
                return new TaskManagementResponse(h.getUnsignedByte(b + 2), itt, w24, w28, w32);
            case Opcodes.LOGIN_RESPONSE:
                return new LoginResponse(
                        (flags & 0x80) != 0,
                        (flags & 0x40) != 0,
                        (flags >> 2) & 3,
                        flags & 3,
                        h.getUnsignedByte(b + 2),
                        h.getUnsignedByte(b + 3),
                        readIsid(h, b),
                        h.getUnsignedShort(b + 14),
                        itt,
                        w24,
                        w28,
                        w32,
                        h.getUnsignedByte(b + 36),
                        h.getUnsignedByte(b + 37),
                        data);
            case Opcodes.TEXT_RESPONSE:
                return new TextResponse(f, (flags & 0x40) != 0, lun, itt, w20, w24, w28, w32, data);
            case Opcodes.DATA_IN:
                return new DataIn(
                        f,
                        (flags & 0x40) != 0,
                        (flags & 0x04) != 0,
                        (flags & 0x02) != 0,
                        (flags & 0x01) != 0,
                        h.getUnsignedByte(b + 3),
                        lun,
                        itt,
                        w20,
                        w24,
                        w28,
                        w32,
                        w36,
                        w40,
                        w44,
                        data);
            case Opcodes.LOGOUT_RESPONSE:
                return new LogoutResponse(
                        h.getUnsignedByte(b + 2),
                        itt,
                        w24,
                        w28,
                        w32,
                        h.getUnsignedShort(b + 40),
                        h.getUnsignedShort(b + 42));
            case Opcodes.R2T:
                return new R2t(lun, itt, w20, w24, w28, w32, w36, w40, w44);
            case Opcodes.ASYNC_MESSAGE:
                return new AsyncMessage(
                        lun,
                        w24,
                        w28,
                        w32,
                        h.getUnsignedByte(b + 36),
                        h.getUnsignedByte(b + 37),
                        h.getUnsignedShort(b + 38),
                        h.getUnsignedShort(b + 40),
                        h.getUnsignedShort(b + 42),
                        data);
            case Opcodes.REJECT:
                return new Reject(h.getUnsignedByte(b + 2), w24, w28, w32, w36, data);
            default:
                throw new IllegalStateException("opcode not validated: " + opcode);
        }
    }

    private static long readIsid(ByteBuf h, int b) {
        return (h.getUnsignedInt(b + 8) << 16) | h.getUnsignedShort(b + 12);
    }

    /** The 16 BHS CDB bytes followed by the Extended CDB AHS content, if any (the AHS chain was validated). */
    private static byte[] readCdb(ByteBuf h, int b) {
        int pos = b + BHS_LENGTH;
        int end = pos + totalAhsBytes(h, b);
        int extra = 0;
        int extPos = -1;
        while (pos < end) {
            int len = h.getUnsignedShort(pos);
            if (h.getUnsignedByte(pos + 2) == AHS_TYPE_EXTENDED_CDB) {
                extra = len - 1; // AHSLength counts the reserved byte
                extPos = pos + 4;
            }
            pos += pad4(3 + len);
        }
        byte[] cdb = new byte[CDB_IN_BHS + extra];
        h.getBytes(b + 32, cdb, 0, CDB_IN_BHS);
        if (extra > 0) {
            h.getBytes(extPos, cdb, CDB_IN_BHS, extra);
        }
        return cdb;
    }

    /** Bytes of AHS the encoder writes for this PDU (only an Extended CDB AHS for CDBs over 16 bytes). */
    static int ahsLength(IscsiPdu pdu) {
        if (pdu instanceof ScsiCommand && ((ScsiCommand) pdu).cdb().length > CDB_IN_BHS) {
            return pad4(3 + ((ScsiCommand) pdu).cdb().length - CDB_IN_BHS + 1);
        }
        return 0;
    }

    /**
     * Writes the BHS and AHS of {@code pdu} at the writer index of {@code out}, with the given DataSegmentLength.
     */
    static void encode(IscsiPdu pdu, int dataSegmentLength, ByteBuf out) {
        int ahs = ahsLength(pdu);
        int b = out.writerIndex();
        out.writeZero(BHS_LENGTH + ahs);
        out.setByte(b + 4, ahs / 4);
        out.setMedium(b + 5, dataSegmentLength);
        if (pdu instanceof NopOut) {
            NopOut p = (NopOut) pdu;
            op(out, b, Opcodes.NOP_OUT, p.immediate(), F_BIT);
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.ttt(), p.cmdSN(), p.expStatSN());
        } else if (pdu instanceof ScsiCommand) {
            ScsiCommand p = (ScsiCommand) pdu;
            op(
                    out,
                    b,
                    Opcodes.SCSI_COMMAND,
                    p.immediate(),
                    (p.finalFlag() ? F_BIT : 0)
                            | (p.read() ? 0x40 : 0)
                            | (p.write() ? 0x20 : 0)
                            | (p.taskAttributes() & 0x07));
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.expectedDataTransferLength(), p.cmdSN(), p.expStatSN());
            byte[] cdb = p.cdb();
            out.setBytes(b + 32, cdb, 0, Math.min(cdb.length, CDB_IN_BHS));
            if (ahs > 0) {
                int extra = cdb.length - CDB_IN_BHS;
                out.setShort(b + 48, extra + 1);
                out.setByte(b + 50, AHS_TYPE_EXTENDED_CDB);
                out.setBytes(b + 52, cdb, CDB_IN_BHS, extra);
            }
        } else if (pdu instanceof TaskManagementRequest) {
            TaskManagementRequest p = (TaskManagementRequest) pdu;
            op(out, b, Opcodes.TASK_MGMT_REQUEST, p.immediate(), F_BIT | (p.function() & 0x7F));
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.referencedTaskTag(), p.cmdSN(), p.expStatSN(), p.refCmdSN(), p.expDataSN());
        } else if (pdu instanceof LoginRequest) {
            LoginRequest p = (LoginRequest) pdu;
            op(out, b, Opcodes.LOGIN_REQUEST, true, loginFlags(p.transit(), p.cont(), p.csg(), p.nsg()));
            out.setByte(b + 2, p.versionMax());
            out.setByte(b + 3, p.versionMin());
            isid(out, b, p.isid(), p.tsih());
            out.setInt(b + 16, p.itt());
            out.setShort(b + 20, p.cid());
            out.setInt(b + 24, p.cmdSN());
            out.setInt(b + 28, p.expStatSN());
        } else if (pdu instanceof TextRequest) {
            TextRequest p = (TextRequest) pdu;
            op(out, b, Opcodes.TEXT_REQUEST, p.immediate(), (p.finalFlag() ? F_BIT : 0) | (p.cont() ? 0x40 : 0));
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.ttt(), p.cmdSN(), p.expStatSN());
        } else if (pdu instanceof DataOut) {
            DataOut p = (DataOut) pdu;
            op(out, b, Opcodes.DATA_OUT, false, p.finalFlag() ? F_BIT : 0);
            out.setLong(b + 8, p.lun());
            out.setInt(b + 16, p.itt());
            out.setInt(b + 20, p.ttt());
            out.setInt(b + 28, p.expStatSN());
            out.setInt(b + 36, p.dataSN());
            out.setInt(b + 40, p.bufferOffset());
        } else if (pdu instanceof LogoutRequest) {
            LogoutRequest p = (LogoutRequest) pdu;
            op(out, b, Opcodes.LOGOUT_REQUEST, p.immediate(), F_BIT | (p.reasonCode() & 0x7F));
            out.setInt(b + 16, p.itt());
            out.setShort(b + 20, p.cid());
            out.setInt(b + 24, p.cmdSN());
            out.setInt(b + 28, p.expStatSN());
        } else if (pdu instanceof SnackRequest) {
            SnackRequest p = (SnackRequest) pdu;
            op(out, b, Opcodes.SNACK_REQUEST, false, F_BIT | (p.type() & 0x0F));
            out.setLong(b + 8, p.lun());
            out.setInt(b + 16, p.itt());
            out.setInt(b + 20, p.ttt());
            out.setInt(b + 28, p.expStatSN());
            out.setInt(b + 40, p.begRun());
            out.setInt(b + 44, p.runLength());
        } else if (pdu instanceof NopIn) {
            NopIn p = (NopIn) pdu;
            op(out, b, Opcodes.NOP_IN, false, F_BIT);
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.ttt(), p.statSN(), p.expCmdSN(), p.maxCmdSN());
        } else if (pdu instanceof ScsiResponse) {
            ScsiResponse p = (ScsiResponse) pdu;
            op(
                    out,
                    b,
                    Opcodes.SCSI_RESPONSE,
                    false,
                    F_BIT
                            | (p.bidiOverflow() ? 0x10 : 0)
                            | (p.bidiUnderflow() ? 0x08 : 0)
                            | (p.overflow() ? 0x04 : 0)
                            | (p.underflow() ? 0x02 : 0));
            out.setByte(b + 2, p.response());
            out.setByte(b + 3, p.status());
            ints(
                    out,
                    b,
                    p.itt(),
                    p.snackTag(),
                    p.statSN(),
                    p.expCmdSN(),
                    p.maxCmdSN(),
                    p.expDataSN(),
                    p.bidiReadResidualCount(),
                    p.residualCount());
        } else if (pdu instanceof TaskManagementResponse) {
            TaskManagementResponse p = (TaskManagementResponse) pdu;
            op(out, b, Opcodes.TASK_MGMT_RESPONSE, false, F_BIT);
            out.setByte(b + 2, p.response());
            out.setInt(b + 16, p.itt());
            out.setInt(b + 24, p.statSN());
            out.setInt(b + 28, p.expCmdSN());
            out.setInt(b + 32, p.maxCmdSN());
        } else if (pdu instanceof LoginResponse) {
            LoginResponse p = (LoginResponse) pdu;
            op(out, b, Opcodes.LOGIN_RESPONSE, false, loginFlags(p.transit(), p.cont(), p.csg(), p.nsg()));
            out.setByte(b + 2, p.versionMax());
            out.setByte(b + 3, p.versionActive());
            isid(out, b, p.isid(), p.tsih());
            out.setInt(b + 16, p.itt());
            out.setInt(b + 24, p.statSN());
            out.setInt(b + 28, p.expCmdSN());
            out.setInt(b + 32, p.maxCmdSN());
            out.setByte(b + 36, p.statusClass());
            out.setByte(b + 37, p.statusDetail());
        } else if (pdu instanceof TextResponse) {
            TextResponse p = (TextResponse) pdu;
            op(out, b, Opcodes.TEXT_RESPONSE, false, (p.finalFlag() ? F_BIT : 0) | (p.cont() ? 0x40 : 0));
            out.setLong(b + 8, p.lun());
            ints(out, b, p.itt(), p.ttt(), p.statSN(), p.expCmdSN(), p.maxCmdSN());
        } else if (pdu instanceof DataIn) {
            DataIn p = (DataIn) pdu;
            op(
                    out,
                    b,
                    Opcodes.DATA_IN,
                    false,
                    (p.finalFlag() ? F_BIT : 0)
                            | (p.acknowledge() ? 0x40 : 0)
                            | (p.overflow() ? 0x04 : 0)
                            | (p.underflow() ? 0x02 : 0)
                            | (p.hasStatus() ? 0x01 : 0));
            out.setByte(b + 3, p.status());
            out.setLong(b + 8, p.lun());
            ints(
                    out,
                    b,
                    p.itt(),
                    p.ttt(),
                    p.statSN(),
                    p.expCmdSN(),
                    p.maxCmdSN(),
                    p.dataSN(),
                    p.bufferOffset(),
                    p.residualCount());
        } else if (pdu instanceof LogoutResponse) {
            LogoutResponse p = (LogoutResponse) pdu;
            op(out, b, Opcodes.LOGOUT_RESPONSE, false, F_BIT);
            out.setByte(b + 2, p.response());
            out.setInt(b + 16, p.itt());
            out.setInt(b + 24, p.statSN());
            out.setInt(b + 28, p.expCmdSN());
            out.setInt(b + 32, p.maxCmdSN());
            out.setShort(b + 40, p.time2Wait());
            out.setShort(b + 42, p.time2Retain());
        } else if (pdu instanceof R2t) {
            R2t p = (R2t) pdu;
            op(out, b, Opcodes.R2T, false, F_BIT);
            out.setLong(b + 8, p.lun());
            ints(
                    out,
                    b,
                    p.itt(),
                    p.ttt(),
                    p.statSN(),
                    p.expCmdSN(),
                    p.maxCmdSN(),
                    p.r2tSN(),
                    p.bufferOffset(),
                    p.desiredDataTransferLength());
        } else if (pdu instanceof AsyncMessage) {
            AsyncMessage p = (AsyncMessage) pdu;
            op(out, b, Opcodes.ASYNC_MESSAGE, false, F_BIT);
            out.setLong(b + 8, p.lun());
            out.setInt(b + 16, 0xFFFFFFFF); // RFC 7143 11.9: ITT is reserved as 0xffffffff
            out.setInt(b + 24, p.statSN());
            out.setInt(b + 28, p.expCmdSN());
            out.setInt(b + 32, p.maxCmdSN());
            out.setByte(b + 36, p.asyncEvent());
            out.setByte(b + 37, p.asyncVCode());
            out.setShort(b + 38, p.parameter1());
            out.setShort(b + 40, p.parameter2());
            out.setShort(b + 42, p.parameter3());
        } else if (pdu instanceof Reject) {
            Reject p = (Reject) pdu;
            op(out, b, Opcodes.REJECT, false, F_BIT);
            out.setByte(b + 2, p.reason());
            out.setInt(b + 16, 0xFFFFFFFF); // RFC 7143 11.17: ITT is reserved as 0xffffffff
            out.setInt(b + 24, p.statSN());
            out.setInt(b + 28, p.expCmdSN());
            out.setInt(b + 32, p.maxCmdSN());
            out.setInt(b + 36, p.dataSN());
        } else {
            throw new IllegalArgumentException(
                    "unknown PDU type " + pdu.getClass().getName());
        }
    }

    private static void op(ByteBuf out, int b, int opcode, boolean immediate, int flags) {
        out.setByte(b, opcode | (immediate ? I_BIT : 0));
        out.setByte(b + 1, flags);
    }

    private static int loginFlags(boolean transit, boolean cont, int csg, int nsg) {
        return (transit ? 0x80 : 0) | (cont ? 0x40 : 0) | ((csg & 3) << 2) | (nsg & 3);
    }

    private static void isid(ByteBuf out, int b, long isid, int tsih) {
        out.setInt(b + 8, (int) (isid >>> 16));
        out.setShort(b + 12, (int) isid);
        out.setShort(b + 14, tsih);
    }

    /** Writes the ITT at 16 and the following words at 20, 24, ... */
    private static void ints(ByteBuf out, int b, int itt, int... words) {
        out.setInt(b + 16, itt);
        for (int i = 0; i < words.length; i++) {
            out.setInt(b + 20 + 4 * i, words[i]);
        }
    }
}
