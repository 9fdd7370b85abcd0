package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;

/** Big-endian field access for CDBs and parameter lists. */
public final class Cdbs {

    private Cdbs() {}

    public static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    public static int u24(byte[] b, int off) {
        return (b[off] & 0xff) << 16 | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff);
    }

    /** Unsigned 32-bit value as a long. */
    public static long u32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24)
                | (b[off + 1] & 0xff) << 16
                | (b[off + 2] & 0xff) << 8
                | (b[off + 3] & 0xff);
    }

    public static long u64(byte[] b, int off) {
        return u32(b, off) << 32 | u32(b, off + 4);
    }

    public static int u16(ByteBuf b, int absIndex) {
        return b.getUnsignedShort(absIndex);
    }

    /** CDB length implied by the opcode's group code (SPC-4 4.2.5.1); 16 for variable/unknown groups. */
    public static int cdbLength(int opcode) {
        switch (opcode >>> 5) {
            case 0:
                return 6;
            case 1:
            case 2:
                return 10;
            case 4:
                return 16;
            case 5:
                return 12;
            default:
                return 16;
        }
    }

    /** The sense-key specific bit pointer: index of the most significant set bit, or -1. */
    public static int highestBit(int bits) {
        return bits == 0 ? -1 : 31 - Integer.numberOfLeadingZeros(bits);
    }
}
