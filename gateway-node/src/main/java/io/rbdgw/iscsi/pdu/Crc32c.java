package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) as used for iSCSI header and data digests (RFC 7143 section 13.1, RFC 3385).
 *
 * <p>The value returned is the standard CRC32C (e.g. 32 zero bytes give 0x8a9136aa). iSCSI puts it on the wire
 * least significant byte first (RFC 3720 appendix B.4 lists the digest of 32 zero bytes as the bytes
 * aa 36 91 8a), so write it with {@code writeIntLE} and read it with {@code getIntLE}.
 */
public final class Crc32c {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(4).asReadOnlyBuffer();

    /** The CRC32C of {@code length} bytes of {@code buf} from {@code index}; the buffer's indices are unchanged. */
    public static int compute(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    /**
     * The CRC32C of {@code length} bytes of {@code buf} followed by the zero padding to a multiple of 4 bytes,
     * which the iSCSI data digest covers.
     */
    public static int computePadded(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        int pad = -length & 3;
        if (pad != 0) {
            crc.update(ZEROS.duplicate().limit(pad));
        }
        return (int) crc.getValue();
    }

    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + index, length);
        } else if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else if (buf.nioBufferCount() > 1) {
            for (ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        } else {
            // no NIO view (rare wrapper buffers): go through a small heap chunk
            byte[] chunk = new byte[Math.min(length, 4096)];
            for (int done = 0; done < length; ) {
                int n = Math.min(chunk.length, length - done);
                buf.getBytes(index + done, chunk, 0, n);
                crc.update(chunk, 0, n);
                done += n;
            }
        }
    }

    private Crc32c() {}
}
