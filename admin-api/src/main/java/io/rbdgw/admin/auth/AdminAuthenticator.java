package io.rbdgw.admin.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks HTTP Basic credentials of the single user {@code admin} against a {@link PasswordHash}, shared by the API's
 * Jersey filter and the admin context's servlet filter.
 *
 * <p>PBKDF2 is deliberately slow (~260 ms at 600,000 iterations), so guessing is bounded three ways: a verified
 * credential is remembered for a few minutes (keyed by a SHA-256 of it; the password itself is not kept), each
 * client address that fails {@link Limits#failures} times within {@link Limits#window} is refused with 429 for a
 * penalty that doubles with every further lockout, one address verifies one credential at a time (a few more wait,
 * beyond that 429), and at most {@link Limits#verifyPermits} PBKDF2 checks run at once (a request waiting longer
 * than {@link Limits#verifyWait} for one gets 503).
 */
public final class AdminAuthenticator {
    private static final Logger log = LoggerFactory.getLogger(AdminAuthenticator.class);
    public static final String USER = "admin";
    /** The one role; every API resource requires it ({@code @RolesAllowed(ADMIN_ROLE)}). */
    public static final String ADMIN_ROLE = "admin";

    public static final String REALM = "rbdgw";
    private static final long REMEMBER_MILLIS = 5 * 60_000;
    private static final int MAX_REMEMBERED = 64;
    /** Addresses tracked at once; beyond this the quiet ones are forgotten. */
    private static final int MAX_ADDRESSES = 10_000;
    /** Requests of one address waiting for its turn to verify; more get 429 at once. */
    private static final int MAX_QUEUED_PER_ADDRESS = 4;

    /**
     * @param failures wrong credentials an address may send within {@code window} before it is locked out
     * @param penalty the first lockout; each further one (without a success in between) doubles it, up to {@code maxPenalty}
     * @param verifyPermits PBKDF2 verifications running at once
     * @param verifyWait how long a request waits for a verification permit before 503
     */
    public record Limits(
            int failures,
            Duration window,
            Duration penalty,
            Duration maxPenalty,
            int verifyPermits,
            Duration verifyWait) {
        public static final Limits DEFAULT = new Limits(
                5, Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMinutes(5), 2, Duration.ofSeconds(2));
    }

    /** What a check found. */
    public sealed interface Outcome {
        /** Authenticated as {@code user}. */
        record Ok(String user) implements Outcome {}

        /** No (usable) Basic credentials: 401. */
        record Missing() implements Outcome {}

        /** Wrong user or password: 401, and one failure counted against the address. */
        record Wrong() implements Outcome {}

        /** The address is locked out: 429 with Retry-After. */
        record Throttled(long retryAfterSeconds) implements Outcome {}

        /** Too many verifications in progress: 503 with Retry-After. */
        record Busy(long retryAfterSeconds) implements Outcome {}
    }

    /** One client address: its failures (guarded by the object's monitor) and its turn to verify. */
    private static final class Failures {
        final Semaphore turn = new Semaphore(1, true);
        final AtomicInteger waiting = new AtomicInteger();
        final ArrayDeque<Long> recent = new ArrayDeque<>();
        long blockedUntil;
        int lockouts;
        long lastFailure;
    }

    private final PasswordHash hash;
    private final Limits limits;
    private final LongSupplier clock;
    private final Map<String, Long> verified = new ConcurrentHashMap<>();
    private final Map<String, Failures> failures = new ConcurrentHashMap<>();
    private final Semaphore verifications;

    public AdminAuthenticator(PasswordHash hash, Limits limits) {
        this(hash, limits, System::currentTimeMillis);
    }

    AdminAuthenticator(PasswordHash hash, Limits limits, LongSupplier clock) {
        this.hash = hash;
        this.limits = limits;
        this.clock = clock;
        this.verifications = new Semaphore(limits.verifyPermits(), true);
    }

    public AdminAuthenticator(PasswordHash hash) {
        this(hash, Limits.DEFAULT);
    }

    /**
     * @param authorization the Authorization header (may be null)
     * @param remoteAddress the client's address as the connection shows it (forwarded headers are not trusted)
     */
    public Outcome check(String authorization, String remoteAddress) {
        if (authorization == null
                || authorization.length() < 6
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return new Outcome.Missing();
        }
        String decoded;
        try {
            decoded = new String(
                    Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return new Outcome.Missing();
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return new Outcome.Missing();
        }
        long now = clock.getAsLong();
        String key = fingerprint(decoded);
        Long until = verified.get(key);
        if (until != null && until > now) {
            return new Outcome.Ok(USER); // a known-good credential is never throttled: it cannot be a guess
        }
        String address = remoteAddress == null ? "unknown" : remoteAddress;
        long blocked = blockedFor(address, now);
        if (blocked > 0) {
            return throttled(blocked);
        }
        // one verification at a time per address (a few more may queue): a parallel burst of guesses is then
        // checked in sequence and cut off by the lockout, instead of occupying every PBKDF2 permit
        Failures state = state(address, now);
        if (state.waiting.incrementAndGet() > MAX_QUEUED_PER_ADDRESS) {
            state.waiting.decrementAndGet();
            return new Outcome.Throttled(1);
        }
        try {
            if (!state.turn.tryAcquire(limits.verifyWait().toMillis(), TimeUnit.MILLISECONDS)) {
                return new Outcome.Throttled(1);
            }
            try {
                return verify(decoded, colon, key, address);
            } finally {
                state.turn.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Busy(1);
        } finally {
            state.waiting.decrementAndGet();
        }
    }

    /** With the address's turn held: the cache and the lockout again (both may have changed while queued), then PBKDF2. */
    private Outcome verify(String decoded, int colon, String key, String address) throws InterruptedException {
        long now = clock.getAsLong();
        Long until = verified.get(key);
        if (until != null && until > now) {
            return new Outcome.Ok(USER);
        }
        long blocked = blockedFor(address, now);
        if (blocked > 0) {
            return throttled(blocked);
        }
        if (!decoded.substring(0, colon).equals(USER)) {
            return failed(address, now);
        }
        if (!verifications.tryAcquire(limits.verifyWait().toMillis(), TimeUnit.MILLISECONDS)) {
            return new Outcome.Busy(1);
        }
        boolean matches;
        try {
            matches = hash.matches(decoded.substring(colon + 1).toCharArray());
        } finally {
            verifications.release();
        }
        now = clock.getAsLong();
        if (!matches) {
            return failed(address, now);
        }
        if (verified.size() >= MAX_REMEMBERED) {
            verified.clear();
        }
        verified.put(key, now + REMEMBER_MILLIS);
        Failures f = failures.get(address);
        if (f != null) {
            synchronized (f) {
                f.recent.clear();
                f.lockouts = 0;
            }
        }
        return new Outcome.Ok(USER);
    }

    private static Outcome throttled(long blockedMillis) {
        return new Outcome.Throttled(Math.max(1, (blockedMillis + 999) / 1000));
    }

    private Failures state(String address, long now) {
        if (failures.size() >= MAX_ADDRESSES) {
            forgetQuiet(now);
        }
        return failures.computeIfAbsent(address, a -> new Failures());
    }

    /** Milliseconds the address is still locked out for; 0 if it is not. */
    private long blockedFor(String address, long now) {
        Failures f = failures.get(address);
        if (f == null) {
            return 0;
        }
        synchronized (f) {
            return Math.max(0, f.blockedUntil - now);
        }
    }

    private Outcome failed(String address, long now) {
        Failures f = state(address, now);
        synchronized (f) {
            if (now - f.lastFailure > limits.maxPenalty().toMillis() * 2) {
                f.lockouts = 0; // quiet for long enough: start over
            }
            f.lastFailure = now;
            long windowStart = now - limits.window().toMillis();
            while (!f.recent.isEmpty() && f.recent.peekFirst() < windowStart) {
                f.recent.pollFirst();
            }
            f.recent.addLast(now);
            if (f.recent.size() >= limits.failures()) {
                long penalty = Math.min(
                        limits.maxPenalty().toMillis(), limits.penalty().toMillis() << Math.min(20, f.lockouts));
                f.lockouts++;
                f.blockedUntil = now + penalty;
                f.recent.clear();
                log.warn(
                        "admin API: {} wrong credentials from {} within {} s; refusing its logins for {} s",
                        limits.failures(),
                        address,
                        limits.window().toSeconds(),
                        penalty / 1000);
            }
        }
        return new Outcome.Wrong();
    }

    private void forgetQuiet(long now) {
        long horizon = now - limits.maxPenalty().toMillis() * 2;
        failures.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().blockedUntil < now && e.getValue().lastFailure < horizon;
            }
        });
        if (failures.size() >= MAX_ADDRESSES) {
            // a flood from many addresses: forget those not locked out right now
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    return e.getValue().blockedUntil < now;
                }
            });
        }
    }

    private static String fingerprint(String credentials) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(credentials.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
