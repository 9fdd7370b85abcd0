package io.rbdgw.admin.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The lockout arithmetic on a controlled clock. */
class AdminAuthenticatorTest {
    static final String PASSWORD = "pw-12345678";
    final AtomicLong now = new AtomicLong(1_000_000);
    final AdminAuthenticator auth = new AdminAuthenticator(
            PasswordHash.parse(PasswordHash.hash(PASSWORD.toCharArray(), 1000)),
            AdminAuthenticator.Limits.DEFAULT,
            now::get);

    static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    void fail(int times) {
        for (int i = 0; i < times; i++) {
            assertThat(auth.check(basic("wrong" + i), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
        }
    }

    @Test
    void lockoutDoublesAndAnotherAddressIsUnaffected() {
        fail(5);
        assertThat(auth.check(basic("again"), "10.0.0.1")).isEqualTo(new AdminAuthenticator.Outcome.Throttled(10));
        assertThat(auth.check(basic("wrong"), "10.0.0.2")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
        now.addAndGet(10_001);
        fail(5);
        assertThat(auth.check(basic("again"), "10.0.0.1")).isEqualTo(new AdminAuthenticator.Outcome.Throttled(20));
        now.addAndGet(20_001);
        fail(5);
        assertThat(auth.check(basic("again"), "10.0.0.1")).isEqualTo(new AdminAuthenticator.Outcome.Throttled(40));
        // the right password during a lockout is refused too (the address cannot tell a guess from it) ...
        assertThat(auth.check(basic(PASSWORD), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Throttled.class);
        // ... but once verified from elsewhere, it is known good everywhere
        assertThat(auth.check(basic(PASSWORD), "10.0.0.3")).isInstanceOf(AdminAuthenticator.Outcome.Ok.class);
        assertThat(auth.check(basic(PASSWORD), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Ok.class);
    }

    @Test
    void failuresOutsideTheWindowDoNotAddUp() {
        fail(4);
        now.addAndGet(10_001);
        fail(4);
        assertThat(auth.check(basic("again"), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
    }

    @Test
    void aSuccessClearsTheFailures() {
        fail(4);
        assertThat(auth.check(basic(PASSWORD), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Ok.class);
        fail(4);
        assertThat(auth.check(basic("again"), "10.0.0.1")).isInstanceOf(AdminAuthenticator.Outcome.Wrong.class);
    }

    @Test
    void penaltyIsCapped() {
        for (int i = 0; i < 12; i++) {
            fail(5);
            AdminAuthenticator.Outcome o = auth.check(basic("again"), "10.0.0.1");
            assertThat(((AdminAuthenticator.Outcome.Throttled) o).retryAfterSeconds())
                    .isLessThanOrEqualTo(300);
            now.addAndGet(((AdminAuthenticator.Outcome.Throttled) o).retryAfterSeconds() * 1000 + 1);
        }
    }
}
