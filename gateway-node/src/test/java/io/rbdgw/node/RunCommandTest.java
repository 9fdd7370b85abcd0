package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void prAckTimeoutIsAnOptionAndAConfigFileKey() throws Exception {
        CommandLine cli = Main.commandLine();
        cli.parseArgs("run", "--zookeeper", "127.0.0.1:2181", "--name", "gw-a");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.prAckTimeout()).isEqualTo(Duration.ofSeconds(2));

        cli = Main.commandLine();
        cli.parseArgs("run", "--zookeeper", "127.0.0.1:2181", "--name", "gw-a", "--pr-ack-timeout", "3500");
        run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.prAckTimeout()).isEqualTo(Duration.ofMillis(3500));

        Path yml = Files.writeString(dir.resolve("gateway.yml"), "pr-ack-timeout: 750\n");
        cli = Main.commandLine();
        cli.parseArgs(ConfigFile.expand(
                new String[] {"run", "--config", yml.toString(), "--zookeeper", "127.0.0.1:2181", "--name", "gw-a"},
                cli));
        run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.prAckTimeout()).isEqualTo(Duration.ofMillis(750));
    }

    @Test
    @Timeout(20)
    void anAckTimeoutOutOfBoundsIsRefusedBeforeAnythingStarts() {
        for (String bad : new String[] {"0", "99", "60001", "-1"}) {
            CommandLine parsed = Main.commandLine();
            parsed.parseArgs("run", "--zookeeper", "127.0.0.1:1", "--name", "gw-a", "--pr-ack-timeout=" + bad);
            RunCommand run = parsed.getSubcommands().get("run").getCommand();
            assertThatThrownBy(run::prAckTimeout)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--pr-ack-timeout " + bad + " is out of range 100-60000 (milliseconds)");
        }
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        Path data = dir.resolve("data");
        int rc = cli.execute(
                "run",
                "--zookeeper",
                "127.0.0.1:1",
                "--zk-insecure",
                "--name",
                "gw-a",
                "--data-dir",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--pr-ack-timeout",
                "50");
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("--pr-ack-timeout 50 is out of range 100-60000 (milliseconds)");
        assertThat(Files.exists(data)).as("refused before touching anything").isFalse();
    }

    @Test
    void pollInFlightIsAnOptionAndAConfigFileKeyAndOffByDefault() throws Exception {
        CommandLine cli = Main.commandLine();
        cli.parseArgs("run", "--zookeeper", "127.0.0.1:2181", "--name", "gw-a");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.gw.connectionSettings().pollInFlight()).isZero();

        cli = Main.commandLine();
        cli.parseArgs("run", "--zookeeper", "127.0.0.1:2181", "--name", "gw-a", "--poll-in-flight-us", "400");
        run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.gw.connectionSettings().pollInFlight()).isEqualTo(Duration.ofNanos(400_000));

        Path yml = Files.writeString(dir.resolve("gateway.yml"), "poll-in-flight-us: 2000\n");
        cli = Main.commandLine();
        cli.parseArgs(ConfigFile.expand(new String[] {"standalone", "--config", yml.toString()}, cli));
        StandaloneCommand standalone = cli.getSubcommands().get("standalone").getCommand();
        assertThat(standalone.gw.connectionSettings().pollInFlight()).isEqualTo(Duration.ofMillis(2));
    }

    @Test
    @Timeout(20)
    void aPollBoundOutOfRangeIsRefusedBeforeAnythingStarts() {
        for (String bad : new String[] {"-1", "2001"}) {
            CommandLine cli = Main.commandLine();
            StringWriter err = new StringWriter();
            cli.setErr(new PrintWriter(err, true));
            Path data = dir.resolve("data" + bad);
            int rc = cli.execute(
                    "standalone",
                    "--data-dir",
                    data.toString(),
                    "--listen",
                    "127.0.0.1:0",
                    "--admin-listen",
                    "127.0.0.1:0",
                    "--metrics-listen",
                    "off",
                    "--poll-in-flight-us",
                    bad);
            assertThat(rc).isEqualTo(1);
            assertThat(err.toString()).contains("--poll-in-flight-us " + bad + " is out of range 0-2000");
            assertThat(Files.exists(data))
                    .as("refused before touching anything")
                    .isFalse();
        }
        // a careless config value with a unit: refused by the parser, before anything starts
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        Path data = dir.resolve("data-unit");
        int rc = cli.execute(
                "standalone", "--data-dir", data.toString(), "--metrics-listen", "off", "--poll-in-flight-us", "500us");
        assertThat(rc).isNotZero();
        assertThat(err.toString()).contains("'--poll-in-flight-us': '500us' is not an int");
        assertThat(Files.exists(data)).as("refused before touching anything").isFalse();
    }
}
