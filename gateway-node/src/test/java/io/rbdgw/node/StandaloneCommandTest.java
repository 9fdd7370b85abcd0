package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The admin API's transport rule: off loopback only with TLS or an explicit --admin-insecure. */
class StandaloneCommandTest {
    static StandaloneCommand parse(String... args) {
        StandaloneCommand cmd = new StandaloneCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    @Test
    void refusesPlainHttpOffLoopbackBeforeStartingAnything() throws Exception {
        Path data = Files.createTempDirectory("standalone").resolve("data");
        StandaloneCommand cmd = parse("--data-dir", data.toString(), "--admin-listen", "0.0.0.0:0", "--lun-size", "1M");
        assertThatThrownBy(cmd::call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("--admin-tls-cert")
                .hasMessageContaining("--admin-insecure");
        assertThat(data).doesNotExist();
    }

    @Test
    void unusableCertificateStopsItBeforeStartingAnything() throws Exception {
        Path dir = Files.createTempDirectory("standalone");
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate\n");
        Path key = Files.writeString(dir.resolve("key.pem"), "not a key\n");
        StandaloneCommand cmd = parse(
                "--data-dir",
                dir.resolve("data").toString(),
                "--admin-listen",
                "0.0.0.0:0",
                "--lun-size",
                "1M",
                "--admin-tls-cert",
                cert.toString(),
                "--admin-tls-key",
                key.toString());
        assertThatThrownBy(cmd::call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no PEM certificate");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void transportRule() {
        InetSocketAddress any = new InetSocketAddress("0.0.0.0", 5000);
        InetSocketAddress other = new InetSocketAddress("192.0.2.10", 5000);
        assertThatThrownBy(() -> parse().checkAdminTransport(other)).hasMessageContaining("not a loopback address");
        assertThatCode(() -> parse("--admin-insecure").checkAdminTransport(any)).doesNotThrowAnyException();
        assertThatCode(() -> parse().checkAdminTransport(new InetSocketAddress("127.0.0.1", 5000)))
                .doesNotThrowAnyException();
        assertThatCode(() -> parse().checkAdminTransport(new InetSocketAddress("::1", 5000)))
                .doesNotThrowAnyException();
        assertThatCode(() -> parse("--admin-tls-cert", "c.pem", "--admin-tls-key", "k.pem")
                        .checkAdminTransport(any))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> parse("--admin-tls-cert", "c.pem").checkAdminTransport(any))
                .hasMessageContaining("go together");
    }
}
