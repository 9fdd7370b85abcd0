package io.rbdgw.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextKeysTest {

    private static List<Map.Entry<String, String>> parse(String s) throws TextFormatException {
        return parse(s.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Map.Entry<String, String>> parse(byte[] b) throws TextFormatException {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        try {
            return TextKeys.parse(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void parsesInOrderWithOrWithoutFinalNul() throws Exception {
        assertThat(parse("B=1\0A=x,y\0")).containsExactly(Map.entry("B", "1"), Map.entry("A", "x,y"));
        assertThat(parse("B=1\0A=x=y")).containsExactly(Map.entry("B", "1"), Map.entry("A", "x=y"));
        assertThat(parse("")).isEmpty();
        assertThat(parse("K=\0")).containsExactly(Map.entry("K", ""));
        assertThat(parse("TargetAlias=d\u00e9j\u00e0\0")).containsExactly(Map.entry("TargetAlias", "d\u00e9j\u00e0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"A=1\0A=2\0", "noequals\0", "=v\0", "A=1\0\0B=2\0", "Bad Key=1\0", "K\u00e9y=1\0"})
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(TextFormatException.class);
    }

    @Test
    void rejectsOverlongKeysAndValuesAndBadUtf8() throws Exception {
        assertThat(parse("K".repeat(63) + "=1")).hasSize(1);
        assertThatThrownBy(() -> parse("K".repeat(64) + "=1")).isInstanceOf(TextFormatException.class);
        assertThat(parse("K=" + "v".repeat(TextKeys.MAX_VALUE_BYTES))).hasSize(1);
        assertThatThrownBy(() -> parse("K=" + "v".repeat(TextKeys.MAX_VALUE_BYTES + 1)))
                .isInstanceOf(TextFormatException.class);
        assertThatThrownBy(() -> parse(new byte[] {'K', '=', (byte) 0xC3, 0x28, 0}))
                .isInstanceOf(TextFormatException.class);
    }

    @Test
    void encodeRoundTrips() throws Exception {
        List<Map.Entry<String, String>> keys = List.of(Map.entry("HeaderDigest", "None"), Map.entry("X-a", "b"));
        ByteBuf buf = TextKeys.encode(keys, TestLogin.ALLOC);
        try {
            assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("HeaderDigest=None\0X-a=b\0");
            assertThat(TextKeys.parse(buf)).isEqualTo(keys);
        } finally {
            buf.release();
        }
        assertThat(TextKeys.encode(List.of(), TestLogin.ALLOC).readableBytes()).isZero();
    }
}
