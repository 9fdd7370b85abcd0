package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An iSCSI TransportID (SPC-4 7.6.4.6): format 00b names the initiator device (iSCSI name only),
 * format 01b names an initiator port ({@code name,i,0xISID}).
 *
 * @param initiatorName the iSCSI name
 * @param isid          the ISID as 12 lower-case hex digits (format 01b), or null (format 00b)
 */
public record TransportId(String initiatorName, String isid) {

    public static final int PROTOCOL_ISCSI = 0x5;
    private static final String PORT_SEPARATOR = ",i,0x";

    /** {@code name,i,0xISID}, or null for a device-name (format 00b) TransportID. */
    public String initiatorPortName() {
        return isid == null ? null : initiatorName + PORT_SEPARATOR + isid;
    }

    /** Bytes {@link #write} produces for this initiator port name. */
    public static int encodedLength(String initiatorPortName) {
        return 4 + paddedNameLength(initiatorPortName.getBytes(StandardCharsets.UTF_8).length);
    }

    /** Writes a format 01b TransportID for {@code initiatorPortName}: null-terminated, padded to 4. */
    public static void write(String initiatorPortName, ByteBuf out) {
        byte[] name = initiatorPortName.getBytes(StandardCharsets.UTF_8);
        int padded = paddedNameLength(name.length);
        out.writeByte(0x40 | PROTOCOL_ISCSI);
        out.writeByte(0);
        out.writeShort(padded);
        out.writeBytes(name);
        out.writeZero(padded - name.length);
    }

    // the ADDITIONAL LENGTH covers the name, its null terminator and padding; at least 20 bytes
    private static int paddedNameLength(int nameBytes) {
        return Math.max(20, (nameBytes + 1 + 3) & ~3);
    }

    /**
     * Parses the TransportID at {@code offset} of {@code buf} within {@code length} bytes.
     *
     * @throws IllegalArgumentException when it is not a valid iSCSI TransportID
     */
    public static TransportId parse(ByteBuf buf, int offset, int length) {
        if (length < 4) {
            throw new IllegalArgumentException("TransportID shorter than its header");
        }
        int b0 = buf.getUnsignedByte(offset);
        int format = b0 >>> 6;
        if ((b0 & 0x0f) != PROTOCOL_ISCSI) {
            throw new IllegalArgumentException("not an iSCSI TransportID: protocol " + (b0 & 0x0f));
        }
        if (format > 1) {
            throw new IllegalArgumentException("unknown iSCSI TransportID format " + format);
        }
        int additional = buf.getUnsignedShort(offset + 2);
        if (4 + additional > length) {
            throw new IllegalArgumentException("TransportID longer than the space for it");
        }
        int end = offset + 4;
        while (end < offset + 4 + additional && buf.getByte(end) != 0) {
            end++;
        }
        String text = buf.toString(offset + 4, end - offset - 4, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty iSCSI name in TransportID");
        }
        if (format == 0) {
            return new TransportId(text, null);
        }
        int sep = text.toLowerCase(Locale.ROOT).lastIndexOf(PORT_SEPARATOR);
        if (sep <= 0) {
            throw new IllegalArgumentException("no ISID in initiator port TransportID");
        }
        long isid;
        try {
            isid = Long.parseUnsignedLong(text.substring(sep + PORT_SEPARATOR.length()), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad ISID in TransportID", e);
        }
        if ((isid >>> 48) != 0) {
            throw new IllegalArgumentException("ISID longer than 48 bits");
        }
        return new TransportId(text.substring(0, sep), String.format("%012x", isid));
    }
}
