package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.iscsi.session.PortalLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GatewayOptionsTest {

    @Test
    void limitsHaveDefaultsAndAreSetOnBothCommands() {
        StandaloneCommand standalone = new StandaloneCommand();
        new CommandLine(standalone).parseArgs();
        PortalLimits d = standalone.gw.connectionSettings().limits();
        assertThat(d.maxSessions()).isEqualTo(4096);
        assertThat(d.maxSessionsPerTarget()).isEqualTo(1024);
        assertThat(d.maxSessionsPerInitiator()).isEqualTo(64);
        assertThat(d.maxLoginConnections()).isEqualTo(256);
        assertThat(d.writeBufferPerConnection()).isEqualTo(128L << 20);
        assertThat(d.writeBuffer()).isEqualTo(PortalLimits.defaultWriteBuffer());
        assertThat(standalone.gw.connectionSettings().allowTargetReset()).isFalse();

        RunCommand run = new RunCommand();
        new CommandLine(run)
                .parseArgs(
                        "--zookeeper",
                        "127.0.0.1:2181",
                        "--name",
                        "gw1",
                        "--max-sessions",
                        "100",
                        "--max-sessions-per-target",
                        "50",
                        "--max-sessions-per-initiator",
                        "4",
                        "--max-login-connections",
                        "8",
                        "--max-write-buffer-per-connection",
                        "32M",
                        "--max-write-buffer",
                        "1G",
                        "--allow-target-reset");
        assertThat(run.gw.connectionSettings().allowTargetReset()).isTrue();
        assertThat(run.gw.connectionSettings().limits())
                .isEqualTo(new PortalLimits(100, 50, 4, 8, 32L << 20, 1L << 30));
    }

    @Test
    void copyBufferLimitsHaveDefaultsAndComeFromTheCommandLineOrTheConfigFile(@TempDir Path dir) throws IOException {
        StandaloneCommand standalone = new StandaloneCommand();
        new CommandLine(standalone).parseArgs();
        PortalLimits d = standalone.gw.connectionSettings().limits();
        assertThat(d.copyBuffer()).isEqualTo(64L << 20);
        assertThat(d.maxWaitingCopies()).isEqualTo(256);

        StandaloneCommand set = new StandaloneCommand();
        new CommandLine(set).parseArgs("--max-copy-buffer", "8M", "--max-waiting-copies", "0");
        assertThat(set.gw.connectionSettings().limits().copyBuffer()).isEqualTo(8L << 20);
        assertThat(set.gw.connectionSettings().limits().maxWaitingCopies()).isZero();

        Path f = Files.writeString(dir.resolve("gateway.yml"), """
                zookeeper: zk1:2181
                name: gw-a
                max-copy-buffer: 16M
                max-waiting-copies: 32
                """);
        CommandLine cli = new CommandLine(new Main());
        cli.parseArgs(ConfigFile.expand(new String[] {"run", "--config", f.toString()}, cli));
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.gw.connectionSettings().limits().copyBuffer()).isEqualTo(16L << 20);
        assertThat(run.gw.connectionSettings().limits().maxWaitingCopies()).isEqualTo(32);

        StandaloneCommand tooSmall = new StandaloneCommand();
        new CommandLine(tooSmall).parseArgs("--max-copy-buffer", "512K");
        assertThatThrownBy(() -> tooSmall.gw.connectionSettings())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("copy chunk");

        StandaloneCommand negative = new StandaloneCommand();
        new CommandLine(negative).parseArgs("--max-waiting-copies", "-1");
        assertThatThrownBy(() -> negative.gw.connectionSettings())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max-waiting-copies");
    }
}
