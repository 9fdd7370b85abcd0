package io.rbdgw.admin.auth;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A PBKDF2-HMAC-SHA256 password hash in the form {@code pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>}
 * (standard Base64 without padding). Only the hash is ever configured or stored; the password is not.
 */
public final class PasswordHash {
    public static final String SCHEME = "pbkdf2-sha256";
    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;

    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash) {
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /** Parses a stored hash; the message of a failure never contains the input. */
    public static PasswordHash parse(String encoded) {
        if (encoded == null || encoded.isBlank()) {
            throw new IllegalArgumentException(
                    "no admin password hash is configured: generate one with `hash-password`");
        }
        String[] parts = encoded.trim().split("\\$");
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            throw new IllegalArgumentException(
                    "the admin password hash must look like " + SCHEME + "$<iterations>$<salt>$<hash>");
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            if (iterations < 1000) {
                throw new IllegalArgumentException(
                        "the admin password hash uses " + iterations + " iterations; at least 1000 are required");
            }
            Base64.Decoder b64 = Base64.getDecoder();
            byte[] salt = b64.decode(parts[2]);
            byte[] hash = b64.decode(parts[3]);
            if (salt.length < 8 || hash.length < 16) {
                throw new IllegalArgumentException("the admin password hash has a too short salt or hash");
            }
            return new PasswordHash(iterations, salt, hash);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the admin password hash has an invalid iteration count");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("the admin password hash")) {
                throw e;
            }
            throw new IllegalArgumentException("the admin password hash has invalid Base64");
        }
    }

    /** Hashes {@code password} with a fresh salt. */
    public static String hash(char[] password, int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = derive(password, salt, iterations, HASH_BITS);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return SCHEME + "$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }

    public static String hash(String password) {
        return hash(password.toCharArray(), DEFAULT_ITERATIONS);
    }

    /** Whether {@code password} matches, in time independent of where it differs. */
    public boolean matches(char[] password) {
        byte[] candidate = derive(password, salt, iterations, hash.length * 8);
        return MessageDigest.isEqual(candidate, hash);
    }

    public boolean matches(String password) {
        return matches(password.toCharArray());
    }

    public int iterations() {
        return iterations;
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations, int bits) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bits);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(spec)
                    .getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** Prints a hash of the password read from standard input (one line) or the console. */
    public static void main(String[] args) throws IOException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ITERATIONS;
        char[] password;
        Console console = System.console();
        if (console != null) {
            password = console.readPassword("admin password: ");
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
        }
        if (password == null || password.length < 8) {
            System.err.println("the password must have at least 8 characters");
            System.exit(2);
        }
        System.out.println(hash(password, iterations));
    }
}
