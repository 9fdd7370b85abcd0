package io.rbdgw.admin.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.admin.api.Sizes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
    @Test
    void hashesVerifyAndSaltDiffers() {
        String a = PasswordHash.hash("s3cret-password".toCharArray(), 1000);
        String b = PasswordHash.hash("s3cret-password".toCharArray(), 1000);
        assertThat(a).startsWith("pbkdf2-sha256$1000$").isNotEqualTo(b);
        PasswordHash h = PasswordHash.parse(a);
        assertThat(h.matches("s3cret-password")).isTrue();
        assertThat(h.matches("s3cret-passwore")).isFalse();
        assertThat(h.iterations()).isEqualTo(1000);
    }

    @Test
    void rejectsMalformedWithoutEchoingIt() {
        assertThatThrownBy(() -> PasswordHash.parse("")).hasMessageContaining("hash-password");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"))
                .hasMessageContaining("at least 1000");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$1000$!!$??"))
                .hasMessageContaining("Base64")
                .hasMessageNotContaining("!!");
        assertThatThrownBy(() -> PasswordHash.parse("md5$x")).hasMessageContaining("must look like");
    }

    @Test
    void authenticatorChecksUserAndPassword() {
        AdminAuthenticator f =
                new AdminAuthenticator(PasswordHash.parse(PasswordHash.hash("pw-12345678".toCharArray(), 1000)));
        assertThat(f.check(basic("admin:pw-12345678"), "a")).isInstanceOf(AdminAuthenticator.Outcome.Ok.class);
        assertThat(f.check(basic("admin:pw-12345678"), "a"))
                .isInstanceOf(AdminAuthenticator.Outcome.Ok.class); // remembered
        assertThat(f.check(basic("root:pw-12345678"), "a")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
        assertThat(f.check(basic("admin:pw-1234567"), "a")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
        assertThat(f.check("Bearer x", "a")).isInstanceOf(AdminAuthenticator.Outcome.Missing.class);
        assertThat(f.check("Basic %%%", "a")).isInstanceOf(AdminAuthenticator.Outcome.Missing.class);
        assertThat(f.check(null, "a")).isInstanceOf(AdminAuthenticator.Outcome.Missing.class);
    }

    @Test
    void sizes() {
        assertThat(Sizes.parse("10G")).isEqualTo(10L << 30);
        assertThat(Sizes.parse("512")).isEqualTo(512);
        assertThat(Sizes.parse("1MiB")).isEqualTo(1 << 20);
        assertThat(Sizes.parse("2tb")).isEqualTo(2L << 40);
        assertThatThrownBy(() -> Sizes.parse("0")).hasMessageContaining("positive");
        assertThatThrownBy(() -> Sizes.parse("99999999999P")).hasMessageContaining("too large");
        assertThat(Sizes.format(10L << 30)).isEqualTo("10G");
        assertThat(Sizes.format(1000)).isEqualTo("1000");
    }

    private static String basic(String s) {
        return "Basic " + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
