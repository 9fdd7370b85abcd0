package io.rbdgw.iscsi.pdu;

/** iSCSI opcodes (RFC 7143 section 11.2.1.2), the low six bits of BHS byte 0. */
public final class Opcodes {
    // initiator -> target
    public static final int NOP_OUT = 0x00;
    public static final int SCSI_COMMAND = 0x01;
    public static final int TASK_MGMT_REQUEST = 0x02;
    public static final int LOGIN_REQUEST = 0x03;
    public static final int TEXT_REQUEST = 0x04;
    public static final int DATA_OUT = 0x05;
    public static final int LOGOUT_REQUEST = 0x06;
    public static final int SNACK_REQUEST = 0x10;
    // target -> initiator
    public static final int NOP_IN = 0x20;
    public static final int SCSI_RESPONSE = 0x21;
    public static final int TASK_MGMT_RESPONSE = 0x22;
    public static final int LOGIN_RESPONSE = 0x23;
    public static final int TEXT_RESPONSE = 0x24;
    public static final int DATA_IN = 0x25;
    public static final int LOGOUT_RESPONSE = 0x26;
    public static final int R2T = 0x31;
    public static final int ASYNC_MESSAGE = 0x32;
    public static final int REJECT = 0x3F;

    /** True for the opcodes an initiator may send. */
    public static boolean isInitiatorOpcode(int opcode) {
        return (opcode >= NOP_OUT && opcode <= LOGOUT_REQUEST) || opcode == SNACK_REQUEST;
    }

    /** True for the opcodes a target may send. */
    public static boolean isTargetOpcode(int opcode) {
        return (opcode >= NOP_IN && opcode <= LOGOUT_RESPONSE)
                || opcode == R2T
                || opcode == ASYNC_MESSAGE
                || opcode == REJECT;
    }

    /** True for the PDU types whose layout has a data segment (RFC 7143 section 11). */
    public static boolean mayCarryData(int opcode) {
        switch (opcode) {
            case NOP_OUT:
            case SCSI_COMMAND:
            case LOGIN_REQUEST:
            case TEXT_REQUEST:
            case DATA_OUT:
            case NOP_IN:
            case SCSI_RESPONSE:
            case LOGIN_RESPONSE:
            case TEXT_RESPONSE:
            case DATA_IN:
            case ASYNC_MESSAGE:
            case REJECT:
                return true;
            default:
                return false;
        }
    }

    private Opcodes() {}
}
