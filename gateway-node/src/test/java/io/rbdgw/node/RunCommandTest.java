package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run} is closed by default: no ZooKeeper credential, no start (the insecure start: SecuredRunGatewayIT). */
class RunCommandTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(20)
    void withoutZooKeeperCredentialsRunRefusesToStartAndNamesTheOptions() {
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        Path data = dir.resolve("data");
        int rc = cli.execute(
                "run",
                "--zookeeper",
                "127.0.0.1:1",
                "--name",
                "gw-a",
                "--data-dir",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0");
        assertThat(rc).isEqualTo(1);
        String message = err.toString();
        assertThat(message.lines().count()).as(message).isEqualTo(1);
        assertThat(message).contains("no --zk-auth-file").contains("--zk-insecure");
        assertThat(Files.exists(data)).as("refused before touching anything").isFalse();
    }
}
