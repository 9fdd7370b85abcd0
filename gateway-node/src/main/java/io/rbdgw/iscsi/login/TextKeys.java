package io.rbdgw.iscsi.login;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Text data: {@code key=value\0} pairs (RFC 7143 section 6.1), order kept. Parsing tolerates a missing
 * final NUL (and extra NULs at the very end), and rejects duplicate keys, empty or over-long keys, keys
 * outside the standard-label alphabet, values longer than {@value #MAX_VALUE_BYTES} bytes and non-UTF-8.
 */
public final class TextKeys {
    /** RFC 7143 section 6.1: a key name is at most 63 characters. */
    public static final int MAX_KEY_BYTES = 63;
    /** The longest value accepted (large binary values such as CHAP challenges are the longest). */
    public static final int MAX_VALUE_BYTES = 8192;

    private TextKeys() {}

    /** Parses the readable bytes of {@code data} without moving its reader index. */
    public static List<Map.Entry<String, String>> parse(ByteBuf data) throws TextFormatException {
        byte[] bytes = new byte[data.readableBytes()];
        data.getBytes(data.readerIndex(), bytes);
        return parse(bytes, 0, bytes.length);
    }

    public static List<Map.Entry<String, String>> parse(byte[] b, int off, int len) throws TextFormatException {
        int end = off + len;
        while (end > off && b[end - 1] == 0) {
            end--; // final NUL(s), or none
        }
        List<Map.Entry<String, String>> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int pos = off;
        while (pos < end) {
            int nul = pos;
            while (nul < end && b[nul] != 0) {
                nul++;
            }
            int eq = pos;
            while (eq < nul && b[eq] != '=') {
                eq++;
            }
            if (eq == nul) {
                throw new TextFormatException("no '=' in text item");
            }
            int keyLen = eq - pos;
            if (keyLen == 0 || keyLen > MAX_KEY_BYTES) {
                throw new TextFormatException("key length " + keyLen);
            }
            for (int i = pos; i < eq; i++) {
                if (!labelChar(b[i])) {
                    throw new TextFormatException("invalid character in key");
                }
            }
            String key = new String(b, pos, keyLen, StandardCharsets.US_ASCII);
            int valueLen = nul - eq - 1;
            if (valueLen > MAX_VALUE_BYTES) {
                throw new TextFormatException("value of " + key + " too long: " + valueLen);
            }
            String value = utf8(b, eq + 1, valueLen);
            if (!seen.add(key)) {
                throw new TextFormatException("duplicate key " + key);
            }
            out.add(Map.entry(key, value));
            pos = nul + 1;
        }
        return out;
    }

    /** Encodes the pairs, each followed by a NUL, into a buffer sized exactly. */
    public static ByteBuf encode(List<Map.Entry<String, String>> keys, ByteBufAllocator alloc) {
        byte[] bytes = encodeToBytes(keys);
        if (bytes.length == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        ByteBuf buf = alloc.buffer(bytes.length, bytes.length);
        buf.writeBytes(bytes);
        return buf;
    }

    static byte[] encodeToBytes(List<Map.Entry<String, String>> keys) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : keys) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean labelChar(byte c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '-'
                || c == '+'
                || c == '@'
                || c == '_'
                || c == '#';
    }

    private static String utf8(byte[] b, int off, int len) throws TextFormatException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new TextFormatException("value is not UTF-8");
        }
    }
}
