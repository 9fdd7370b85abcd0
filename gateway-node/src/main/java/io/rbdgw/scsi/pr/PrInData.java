package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** PERSISTENT RESERVE IN parameter data (SPC-4 6.16). Builds the full data; the caller truncates. */
public final class PrInData {

    public static final int READ_KEYS = 0x0;
    public static final int READ_RESERVATION = 0x1;
    public static final int REPORT_CAPABILITIES = 0x2;
    public static final int READ_FULL_STATUS = 0x3;

    private PrInData() {}

    public static ByteBuf readKeys(PrState s, ByteBufAllocator alloc) {
        int n = s.registrations().size();
        ByteBuf b = alloc.buffer(8 + 8 * n);
        b.writeInt(s.generation());
        b.writeInt(8 * n);
        for (Registration r : s.registrations()) {
            b.writeLong(r.key());
        }
        return b;
    }

    public static ByteBuf readReservation(PrState s, ByteBufAllocator alloc) {
        ByteBuf b = alloc.buffer(24);
        b.writeInt(s.generation());
        if (!s.isReserved()) {
            b.writeInt(0);
            return b;
        }
        b.writeInt(16);
        Registration holder = s.holderRegistration();
        b.writeLong(holder == null ? 0 : holder.key()); // all-registrants: key 0
        b.writeInt(0); // obsolete
        b.writeByte(0);
        b.writeByte((PrState.SCOPE_LU << 4) | s.type().code());
        b.writeShort(0); // obsolete
        return b;
    }

    public static ByteBuf reportCapabilities(boolean ptplCapable, PrState s, ByteBufAllocator alloc) {
        ByteBuf b = alloc.buffer(8);
        b.writeShort(8);
        // CRH=0: RESERVE/RELEASE conflict while registrations exist, from holders too (SPC-2 5.5.1, not SPC-4
        // 5.13.3's exceptions); SIP_C=0; ATP_C=1; PTPL_C
        b.writeByte(0x04 | (ptplCapable ? 0x01 : 0));
        boolean ptplActive = false;
        for (Registration r : s.registrations()) {
            ptplActive |= r.aptpl();
        }
        // TMV: the type mask is valid; ALLOW COMMANDS 0 (not reported)
        b.writeByte(0x80 | (ptplCapable && ptplActive ? 0x01 : 0));
        // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX | EX_AC_AR
        b.writeByte(0x80 | 0x40 | 0x20 | 0x08 | 0x02);
        b.writeByte(0x01);
        b.writeShort(0);
        return b;
    }

    public static ByteBuf readFullStatus(PrState s, ByteBufAllocator alloc) {
        int len = 0;
        for (Registration r : s.registrations()) {
            len += 24 + TransportId.encodedLength(r.nexus().initiatorPortName());
        }
        ByteBuf b = alloc.buffer(8 + len);
        b.writeInt(s.generation());
        b.writeInt(len);
        for (Registration r : s.registrations()) {
            boolean holder = s.holds(r);
            String port = r.nexus().initiatorPortName();
            b.writeLong(r.key());
            b.writeInt(0);
            b.writeByte((r.allTargetPorts() ? 0x02 : 0) | (holder ? 0x01 : 0));
            b.writeByte(holder ? (PrState.SCOPE_LU << 4) | s.type().code() : 0);
            b.writeInt(0);
            b.writeShort(r.allTargetPorts() ? 0 : r.relativeTargetPort());
            b.writeInt(TransportId.encodedLength(port));
            TransportId.write(port, b);
        }
        return b;
    }
}
