package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.config.store.ConfigStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Password guessing with the production PBKDF2 cost (600,000 iterations): a burst from one address is cut off with
 * fast 429s, and the real administrator still gets in.
 */
class PasswordGuessingTest {
    static final String PASSWORD = "correct horse battery";
    static ConfigStore store;
    static AdminServer server;
    static PasswordHash hash;

    @BeforeAll
    static void start() throws Exception {
        store = TestZk.newStore();
        String encoded = PasswordHash.hash(PASSWORD.toCharArray(), PasswordHash.DEFAULT_ITERATIONS);
        hash = PasswordHash.parse(encoded);
        server = AdminServer.start(AdminServer.Options.of(store, encoded).withListen("127.0.0.1", 0));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Timed(int status, String retryAfter, long millis) {}

    static Timed timed(RawHttp http, String password) throws Exception {
        long t0 = System.nanoTime();
        RawHttp.Answer a =
                http.send("GET", "/api/targets", null, Map.of("Authorization", RawHttp.basic("admin", password)));
        return new Timed(a.status(), a.header("Retry-After"), (System.nanoTime() - t0) / 1_000_000);
    }

    /** What one PBKDF2 check costs on this machine right now (timings below are relative to it: CI machines are busy). */
    static long pbkdf2Millis() {
        hash.matches("warm-up");
        long t0 = System.nanoTime();
        hash.matches("measured");
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void burstOfWrongPasswordsIsThrottledAndTheAdminStillGetsIn() throws Exception {
        long cost = pbkdf2Millis();
        System.out.printf("one PBKDF2 check (%d iterations): %d ms%n", PasswordHash.DEFAULT_ITERATIONS, cost);
        RawHttp attacker = new RawHttp(server.uri(), "127.0.0.1");
        RawHttp admin = new RawHttp(server.uri(), "127.0.0.2");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Timed> answers = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> burst = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int n = i;
                burst.add(pool.submit(() -> {
                    answers.add(timed(attacker, "guess-" + n));
                    return null;
                }));
            }
            // the administrator, from elsewhere, during the burst: one PBKDF2 behind at most two queued guesses
            Timed during = timed(admin, PASSWORD);
            for (Future<?> f : burst) {
                f.get();
            }
            System.out.printf("admin login during the burst: %d in %d ms%n", during.status(), during.millis());
            assertThat(during.status()).isEqualTo(200);
            // its own check plus at most the one guess of that address in progress, and scheduling
            assertThat(during.millis()).isLessThan(4 * cost + 2_000);
        } finally {
            pool.shutdownNow();
        }
        long wrong = answers.stream().filter(a -> a.status() == 401).count();
        List<Timed> throttled = answers.stream().filter(a -> a.status() == 429).toList();
        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isIn(401, 429, 503));
        // guesses are verified one at a time per address, so at most the 5 that trip the lockout are ever checked
        assertThat(wrong).isLessThanOrEqualTo(5);
        assertThat(throttled.size()).isGreaterThanOrEqualTo(50);
        assertThat(throttled)
                .allSatisfy(a -> assertThat(Integer.parseInt(a.retryAfter())).isPositive());
        List<Long> ms = throttled.stream().map(Timed::millis).sorted().toList();
        System.out.printf(
                "burst of 64 guesses: %d x 401, %d x 429 (median %d ms, max %d ms)%n",
                wrong, throttled.size(), ms.get(ms.size() / 2), ms.get(ms.size() - 1));

        // the guesser keeps going one at a time: the lockout comes after 5 failures in total
        int tries = 0;
        while (timed(attacker, "sequential-" + tries).status() == 401) {
            tries++;
            assertThat(wrong + tries).isLessThanOrEqualTo(5);
        }
        // locked out: a guess is answered without any PBKDF2, with the penalty in Retry-After
        Timed after = timed(attacker, "one-more-guess");
        assertThat(after.status()).isEqualTo(429);
        assertThat(Integer.parseInt(after.retryAfter())).isBetween(5, 10);
        // faster than one PBKDF2 check: none ran
        assertThat(after.millis()).isLessThan(cost);
        System.out.printf(
                "a guess while locked out: 429 in %d ms, Retry-After %s%n", after.millis(), after.retryAfter());
        // the real credential (known good by now) is never throttled, even from the locked address
        Timed known = timed(attacker, PASSWORD);
        assertThat(known.status()).isEqualTo(200);
    }
}
