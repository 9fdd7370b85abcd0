package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.admin.tls.Pem;
import io.rbdgw.config.store.ConfigStore;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API over HTTPS from PEM files, and the CLI verifying its certificate. */
class TlsTest {
    static final String PASSWORD = "correct horse battery";
    static ConfigStore store;
    static AdminServer server;
    static Path dir;
    static Pair pair;
    static Pair other;

    record Pair(Path cert, Path key) {}

    /** A self-signed EC pair for 127.0.0.1 made with the JDK's keytool, written as PEM (certificate, PKCS#8 key). */
    static Pair generate(Path dir, String name) throws Exception {
        Path p12 = dir.resolve(name + ".p12");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "a",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=127.0.0.1",
                        "-ext",
                        "SAN=ip:127.0.0.1,dns:localhost",
                        "-validity",
                        "2",
                        "-keystore",
                        p12.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "changeit",
                        "-keypass",
                        "changeit")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Files.writeString(
                cert,
                "-----BEGIN CERTIFICATE-----\n"
                        + b64.encodeToString(ks.getCertificate("a").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(
                key,
                "-----BEGIN PRIVATE KEY-----\n"
                        + b64.encodeToString(
                                ks.getKey("a", "changeit".toCharArray()).getEncoded())
                        + "\n-----END PRIVATE KEY-----\n");
        return new Pair(cert, key);
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("tls");
        pair = generate(dir, "server");
        other = generate(dir, "other");
        store = TestZk.newStore();
        server = AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                .withListen("127.0.0.1", 0)
                .withTls(pair.cert(), pair.key()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Run(int code, String out, String err) {}

    static Run cli(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> e = new HashMap<>(env);
        e.put("RBDGW_ADMIN_PASSWORD", PASSWORD);
        int code = RbdgwCli.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                e);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void servesHttpsAndTheCliVerifiesTheCertificate() {
        assertThat(server.uri().getScheme()).isEqualTo("https");
        String url = server.uri().toString();
        Run ok = cli(Map.of(), "--url", url, "--cacert", pair.cert().toString(), "epoch");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("epoch ");
        Run viaEnv = cli(Map.of("RBDGW_CACERT", pair.cert().toString()), "--url", url, "epoch");
        assertThat(viaEnv.code()).as(viaEnv.err()).isZero();

        Run untrusted = cli(Map.of(), "--url", url, "epoch");
        assertThat(untrusted.code()).isEqualTo(1);
        assertThat(untrusted.err()).contains("cannot verify the TLS certificate", "--cacert");
        Run wrongCa = cli(Map.of(), "--url", url, "--cacert", other.cert().toString(), "epoch");
        assertThat(wrongCa.code()).isEqualTo(1);
        assertThat(wrongCa.err()).contains("cannot verify the TLS certificate");
    }

    @Test
    void pemProblemsAreNamed() throws Exception {
        assertThatThrownBy(() -> Pem.httpsConnector("127.0.0.1", 0, pair.cert(), other.key()))
                .hasMessageContaining("does not belong");
        assertThatThrownBy(() -> Pem.certificates(pair.key())).hasMessageContaining("no PEM certificate");
        Path pkcs1 = dir.resolve("pkcs1.key");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Pem.privateKey(pkcs1)).hasMessageContaining("openssl pkcs8");
        assertThat(Pem.fingerprint(Pem.certificates(pair.cert()).get(0))).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }
}
