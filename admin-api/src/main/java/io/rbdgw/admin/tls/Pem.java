package io.rbdgw.admin.tls;

import io.dropwizard.jetty.HttpsConnectorFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files for the admin API's TLS: the server's certificate chain and PKCS#8 key become the keystore of an HTTPS
 * connector; a CA (or self-signed) certificate becomes the CLI's trust. Messages name the file, never its content.
 */
public final class Pem {
    private Pem() {}

    /** Every CERTIFICATE block of the file, in order (the server's own first). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(file, "CERTIFICATE")) {
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " holds an unreadable certificate: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The unencrypted PKCS#8 key of the file (RSA, EC or Ed25519). */
    public static PrivateKey privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new IllegalArgumentException(
                    file + " holds a PKCS#1/SEC1 key; convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in "
                            + file.getFileName() + " -out key.pem");
        }
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException(
                    file + " holds an encrypted key; give an unencrypted PKCS#8 key (readable by this user only)");
        }
        List<byte[]> keys = blocks(file, "PRIVATE KEY");
        if (keys.size() != 1) {
            throw new IllegalArgumentException(
                    file + " must hold exactly one PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(keys.get(0)));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(file + " holds a private key that is not RSA, EC or Ed25519");
    }

    /**
     * An HTTPS connector on host:port with the certificate chain and key (checked to belong together), through a
     * PKCS#12 keystore written readable by this user only and deleted at exit.
     */
    public static HttpsConnectorFactory httpsConnector(String host, int port, Path certFile, Path keyFile)
            throws IOException {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        checkPair(chain.get(0), key, certFile, keyFile);
        char[] password = new char[32];
        SecureRandom random = new SecureRandom();
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (int i = 0; i < password.length; i++) {
            password[i] = alphabet.charAt(random.nextInt(alphabet.length()));
        }
        Path store;
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("admin", key, password, chain.toArray(new Certificate[0]));
            store = Files.createTempFile(
                    "rbdgw-admin-tls",
                    ".p12",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            store.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(store)) {
                ks.store(out, password);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the TLS keystore: " + e.getMessage(), e);
        }
        HttpsConnectorFactory https = new HttpsConnectorFactory();
        https.setBindHost(host);
        https.setPort(port);
        https.setKeyStorePath(store.toString());
        https.setKeyStorePassword(new String(password));
        https.setKeyStoreType("PKCS12");
        https.setValidateCerts(false); // our own certificate: whether clients trust it is theirs to check
        return https;
    }

    /** SHA-256 of the certificate's DER, as colon-separated hex (what {@code openssl x509 -fingerprint -sha256} prints). */
    public static String fingerprint(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS that trusts exactly the certificates of the file (a CA, or the server's self-signed one). */
    public static SSLContext trusting(Path caFile) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates(caFile)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS trust from " + caFile + ": " + e.getMessage(), e);
        }
    }

    private static void checkPair(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
        String alg = key.getAlgorithm().toUpperCase(Locale.ROOT);
        String sig = alg.equals("RSA") ? "SHA256withRSA" : alg.equals("EC") ? "SHA256withECDSA" : "Ed25519";
        try {
            byte[] probe = "rbdgw".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(sig);
            s.initSign(key);
            s.update(probe);
            byte[] signed = s.sign();
            Signature v = Signature.getInstance(sig);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (v.verify(signed)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a key of another kind than the certificate's: not a pair either
        }
        throw new IllegalArgumentException(
                "the key in " + keyFile + " does not belong to the certificate in " + certFile);
    }

    private static List<byte[]> blocks(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int b = text.indexOf(begin, from);
            if (b < 0) {
                return out;
            }
            int e = text.indexOf(end, b);
            if (e < 0) {
                throw new IllegalArgumentException(file + ": " + begin + " without " + end);
            }
            try {
                out.add(Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e)));
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException(file + " holds invalid Base64 in a " + type + " block");
            }
            from = e + end.length();
        }
    }
}
