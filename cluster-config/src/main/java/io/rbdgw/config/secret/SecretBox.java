package io.rbdgw.config.secret;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encryption of secrets kept in ZooKeeper (CHAP secrets): AES-256-GCM with a random 96-bit nonce per value, stored
 * as {@code enc:v1:<key id>:<base64(nonce | ciphertext | tag)>}. The key id is authenticated with the value (GCM
 * associated data), so a value cannot be passed off as sealed with another key.
 *
 * <p>The key file holds one key per line, {@code id:base64(32 bytes)}, newest first; '#' lines and blank lines are
 * ignored. New values are sealed with the newest key; any listed key opens values. A value that is not in the sealed
 * form is taken as plaintext (written by a version without encryption).
 */
public final class SecretBox {
    public static final String PREFIX = "enc:v1:";
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-zA-Z_-]{1,32}");
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, SecretKey> keys;
    private final String newest;

    private SecretBox(Map<String, SecretKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no key");
        }
        this.keys = Collections.unmodifiableMap(keys);
        this.newest = keys.keySet().iterator().next();
    }

    /** A value sealed with a key this box does not have. */
    public static final class UnknownKeyException extends IllegalArgumentException {
        private final String keyId;

        UnknownKeyException(String keyId) {
            super("the secret is encrypted with key '" + keyId + "', which is not in this secret key file");
            this.keyId = keyId;
        }

        public String keyId() {
            return keyId;
        }
    }

    /** Loads a key file, which only its owner may read. */
    public static SecretBox load(Path file) throws IOException {
        return parse(PrivateFiles.read(file, "secret key file"), file.toString());
    }

    /** The key file, generated with one new key (0600) if it does not exist. */
    public static SecretBox generateIfAbsent(Path file) throws IOException {
        PrivateFiles.createNew(file, "# rbdgw secret keys, newest first: id:base64(32 bytes)\n" + newKeyLine() + "\n");
        return load(file);
    }

    public static SecretBox parse(String text, String source) {
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        int n = 0;
        for (String raw : text.split("\n")) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String id = colon < 0 ? "" : line.substring(0, colon);
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException(
                        source + " line " + n + ": want id:base64key with an id of " + "1-32 characters [0-9a-zA-Z_-]");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(line.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + " line " + n + ": key '" + id + "' is not base64");
            }
            if (key.length != 32) {
                throw new IllegalArgumentException(
                        source + " line " + n + ": key '" + id + "' has " + key.length + " bytes; AES-256 wants 32");
            }
            if (keys.putIfAbsent(id, new SecretKeySpec(key, "AES")) != null) {
                throw new IllegalArgumentException(source + " line " + n + ": key id '" + id + "' appears twice");
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no key");
        }
        return new SecretBox(keys);
    }

    /** A new key line {@code id:base64key} with a random key and an id made of the date and random characters. */
    public static String newKeyLine() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        byte[] tag = new byte[3];
        RANDOM.nextBytes(tag);
        String id = LocalDate.now(ZoneOffset.UTC).toString().replace("-", "") + "-"
                + HexFormat.of().formatHex(tag);
        return id + ":" + Base64.getEncoder().encodeToString(key);
    }

    public static boolean isSealed(String value) {
        return value != null && value.startsWith(PREFIX);
    }

    /** The key id of a sealed value. */
    public static String keyId(String sealed) {
        if (!isSealed(sealed)) {
            throw new IllegalArgumentException("not an encrypted value");
        }
        int end = sealed.indexOf(':', PREFIX.length());
        if (end < 0) {
            throw new IllegalArgumentException("malformed encrypted value");
        }
        return sealed.substring(PREFIX.length(), end);
    }

    public String newestKeyId() {
        return newest;
    }

    public List<String> keyIds() {
        return List.copyOf(keys.keySet());
    }

    /** Whether {@code value} is sealed with the newest key (rotation leaves it alone). */
    public boolean isCurrent(String value) {
        return isSealed(value) && keyId(value).equals(newest);
    }

    /** Encrypts with the newest key. */
    public String seal(String plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, newest, nonce);
            byte[] out = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            ByteBuffer b =
                    ByteBuffer.allocate(NONCE_BYTES + out.length).put(nonce).put(out);
            return PREFIX + newest + ":" + Base64.getEncoder().encodeToString(b.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /**
     * The plaintext of a sealed value; a plaintext value is returned as it is.
     *
     * @throws UnknownKeyException sealed with a key this box does not have
     * @throws IllegalArgumentException malformed, or altered (authentication failed)
     */
    public String open(String value) {
        if (!isSealed(value)) {
            return value;
        }
        String id = keyId(value);
        if (!keys.containsKey(id)) {
            throw new UnknownKeyException(id);
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(value.substring(PREFIX.length() + id.length() + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed encrypted value (key '" + id + "')");
        }
        if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new IllegalArgumentException("malformed encrypted value (key '" + id + "'): too short");
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, id, Arrays.copyOf(raw, NONCE_BYTES));
            return new String(c.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("encrypted value does not authenticate with key '" + id
                    + "': altered, or the key file holds a different key under that id");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    private Cipher cipher(int mode, String keyId, byte[] nonce) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, keys.get(keyId), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD((PREFIX + keyId).getBytes(StandardCharsets.UTF_8));
        return c;
    }

    @Override
    public String toString() {
        return "SecretBox[keys=" + keys.keySet() + "]";
    }
}
