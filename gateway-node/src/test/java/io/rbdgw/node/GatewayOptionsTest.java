package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.iscsi.session.PortalLimits;
import org.junit.jupiter.api.Test;
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
}
