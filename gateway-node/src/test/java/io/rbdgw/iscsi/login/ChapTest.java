package io.rbdgw.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class ChapTest {
    private static final byte[] CHALLENGE = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    @Test
    void responseIsMd5OfIdentifierSecretChallenge() throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update((byte) 42);
        md5.update("secretsecret".getBytes(StandardCharsets.US_ASCII));
        md5.update(CHALLENGE);
        assertThat(Chap.response(42, "secretsecret", CHALLENGE)).isEqualTo(md5.digest());
    }

    @Test
    void knownAnswerVectorsComputedWithMd5sum() {
        // printf '\x2asecretsecret\x00\x01...\x0f' | md5sum
        assertThat(Chap.toHex(Chap.response(0x2a, "secretsecret", CHALLENGE)))
                .isEqualTo("0x54d49338a27b0c1dd5e935c21ab005a3");
        // printf '\x07mutualsecret1\xde\xad\xbe\xef' | md5sum
        assertThat(Chap.toHex(Chap.response(
                        7, "mutualsecret1", new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef})))
                .isEqualTo("0xb0ab54bb042c8afd5f06c37015762aea");
    }

    @Test
    void binaryValuesDecodeFromHexAndBase64() {
        assertThat(Chap.decodeBinary("0xdeadBEEF")).containsExactly(0xde, 0xad, 0xbe, 0xef);
        assertThat(Chap.decodeBinary("0X1ff")).containsExactly(0x01, 0xff); // odd digit count: leading 0
        assertThat(Chap.decodeBinary("0b3q2+7w==")).containsExactly(0xde, 0xad, 0xbe, 0xef);
        assertThat(Chap.decodeBinary("0x")).isNull();
        assertThat(Chap.decodeBinary("0xzz")).isNull();
        assertThat(Chap.decodeBinary("0b!!")).isNull();
        assertThat(Chap.decodeBinary("deadbeef")).isNull();
    }

    @Test
    void numbersParseDecimalAndHex() {
        assertThat(Chap.parseNumber("5")).isEqualTo(5);
        assertThat(Chap.parseNumber("0x10")).isEqualTo(16);
        assertThat(Chap.parseNumber("-1")).isEqualTo(-1);
        assertThat(Chap.parseNumber("+1")).isEqualTo(-1);
        assertThat(Chap.parseNumber("")).isEqualTo(-1);
        assertThat(Chap.parseNumber("99999999999999999999999")).isEqualTo(-1);
        assertThat(Chap.parseNumber("0xffffffffffffffff")).isEqualTo(-1);
        assertThat(Chap.parseNumber("abc")).isEqualTo(-1);
    }
}
