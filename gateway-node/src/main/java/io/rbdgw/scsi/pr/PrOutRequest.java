package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.SenseData;

/**
 * A decoded PERSISTENT RESERVE OUT command: CDB fields and the parameter list (SPC-4 6.17).
 *
 * @param serviceAction      SERVICE ACTION (0-7)
 * @param scope              SCOPE
 * @param typeCode           TYPE (not validated here)
 * @param reservationKey     RESERVATION KEY
 * @param serviceActionKey   SERVICE ACTION RESERVATION KEY
 * @param specIpt            SPEC_I_PT (basic parameter list)
 * @param allTgPt            ALL_TG_PT (basic parameter list)
 * @param aptpl              APTPL
 * @param unreg              UNREG (REGISTER AND MOVE)
 * @param relativeTargetPort RELATIVE TARGET PORT IDENTIFIER (REGISTER AND MOVE)
 * @param transportId        the destination TransportID (REGISTER AND MOVE), else null
 * @param destination        the destination I_T nexus resolved from the TransportID and relative
 *                           target port, or null when unknown
 * @param parameterListLength PARAMETER LIST LENGTH from the CDB
 */
public record PrOutRequest(
        int serviceAction,
        int scope,
        int typeCode,
        long reservationKey,
        long serviceActionKey,
        boolean specIpt,
        boolean allTgPt,
        boolean aptpl,
        boolean unreg,
        int relativeTargetPort,
        TransportId transportId,
        PrNexusId destination,
        int parameterListLength) {

    public static final int REGISTER = 0x0;
    public static final int RESERVE = 0x1;
    public static final int RELEASE = 0x2;
    public static final int CLEAR = 0x3;
    public static final int PREEMPT = 0x4;
    public static final int PREEMPT_AND_ABORT = 0x5;
    public static final int REGISTER_AND_IGNORE_EXISTING_KEY = 0x6;
    public static final int REGISTER_AND_MOVE = 0x7;

    static final int BASIC_LENGTH = 24;

    /** A request failing before any state is looked at: the command ends with CHECK CONDITION. */
    public static final class Invalid extends Exception {
        private final transient byte[] sense;

        Invalid(byte[] sense) {
            super(null, null, false, false);
            this.sense = sense;
        }

        public byte[] sense() {
            return sense;
        }
    }

    /** A basic (24-byte parameter list) request, for tests and callers building requests directly. */
    public static PrOutRequest basic(
            int serviceAction,
            int scope,
            int typeCode,
            long reservationKey,
            long serviceActionKey,
            boolean allTgPt,
            boolean aptpl) {
        return new PrOutRequest(
                serviceAction,
                scope,
                typeCode,
                reservationKey,
                serviceActionKey,
                false,
                allTgPt,
                aptpl,
                false,
                0,
                null,
                null,
                BASIC_LENGTH);
    }

    public PrOutRequest withDestination(PrNexusId dest) {
        return new PrOutRequest(
                serviceAction,
                scope,
                typeCode,
                reservationKey,
                serviceActionKey,
                specIpt,
                allTgPt,
                aptpl,
                unreg,
                relativeTargetPort,
                transportId,
                dest,
                parameterListLength);
    }

    /** Decodes the CDB and the parameter list (read without moving its reader index). */
    public static PrOutRequest parse(byte[] cdb, ByteBuf data) throws Invalid {
        int sa = cdb[1] & 0x1f;
        if (sa > REGISTER_AND_MOVE) {
            throw new Invalid(SenseData.invalidField(true, 1, 4));
        }
        int scope = (cdb[2] >>> 4) & 0x0f;
        int type = cdb[2] & 0x0f;
        int len = ((cdb[5] & 0xff) << 24) | ((cdb[6] & 0xff) << 16) | ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        boolean move = sa == REGISTER_AND_MOVE;
        if (move ? len < BASIC_LENGTH : len != BASIC_LENGTH) {
            throw new Invalid(parameterListLengthError());
        }
        if (data == null || data.readableBytes() < len) {
            throw new Invalid(parameterListLengthError());
        }
        if (scope != PrState.SCOPE_LU && (sa == RESERVE || sa == RELEASE || sa == PREEMPT || sa == PREEMPT_AND_ABORT)) {
            throw new Invalid(SenseData.invalidField(true, 2, 7));
        }
        int base = data.readerIndex();
        long rk = data.getLong(base);
        long sark = data.getLong(base + 8);
        if (!move) {
            int flags = data.getUnsignedByte(base + 20);
            return new PrOutRequest(
                    sa,
                    scope,
                    type,
                    rk,
                    sark,
                    (flags & 0x08) != 0,
                    (flags & 0x04) != 0,
                    (flags & 0x01) != 0,
                    false,
                    0,
                    null,
                    null,
                    len);
        }
        int flags = data.getUnsignedByte(base + 17);
        int relPort = data.getUnsignedShort(base + 18);
        long tidLen = data.getUnsignedInt(base + 20);
        if (BASIC_LENGTH + tidLen > len) {
            throw new Invalid(parameterListLengthError());
        }
        TransportId tid;
        try {
            tid = TransportId.parse(data, base + BASIC_LENGTH, (int) tidLen);
        } catch (IllegalArgumentException e) {
            throw new Invalid(SenseData.invalidField(false, BASIC_LENGTH, -1));
        }
        return new PrOutRequest(
                sa,
                scope,
                type,
                rk,
                sark,
                false,
                false,
                (flags & 0x01) != 0,
                (flags & 0x02) != 0,
                relPort,
                tid,
                null,
                len);
    }

    static byte[] parameterListLengthError() {
        return SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x1A, 0x00);
    }
}
