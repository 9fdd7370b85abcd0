package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {

    @TempDir
    Path dir;

    private final CommandLine cli = new CommandLine(new Main());

    private Path file(String yaml) throws IOException {
        return Files.writeString(dir.resolve("gateway.yml"), yaml);
    }

    private RunCommand parseRun(String... args) {
        cli.parseArgs(ConfigFile.expand(args, cli));
        return cli.getSubcommands().get("run").getCommand();
    }

    @Test
    void theFileGivesTheRunCommandItsOptions() throws IOException {
        Path f = file("""
                # /etc/rbdgw/gateway.yml
                zookeeper: zk1:2181,zk2:2181,zk3:2181
                name: gw-a
                listen:
                  - 192.0.2.10:3260
                  - 198.51.100.10:3260
                ceph-conf: /etc/ceph/ceph.conf
                ceph-id: rbdgw-gw-a
                metrics-listen: 0.0.0.0:9287
                zk-session-timeout: 20
                """);
        RunCommand run = parseRun("run", "--config", f.toString());
        assertThat(run.zookeeper).isEqualTo("zk1:2181,zk2:2181,zk3:2181");
        assertThat(run.name).isEqualTo("gw-a");
        assertThat(run.listen).containsExactly("192.0.2.10:3260", "198.51.100.10:3260");
        assertThat(run.gw.cephConf).isEqualTo(Path.of("/etc/ceph/ceph.conf"));
        assertThat(run.gw.cephId).isEqualTo("rbdgw-gw-a");
        assertThat(run.zkSessionSeconds).isEqualTo(20);
        assertThat(run.zkRoot).isEqualTo("/rbdgw"); // not in the file: the default
    }

    @Test
    void theCommandLineOverridesTheFileAndReplacesRepeatableOptionsWhole() throws IOException {
        Path f = file("""
                zookeeper: zk1:2181
                name: gw-a
                listen: [192.0.2.10:3260, 198.51.100.10:3260]
                """);
        RunCommand run = parseRun("run", "--name=gw-b", "--config=" + f, "--listen", "127.0.0.2:3260");
        assertThat(run.name).isEqualTo("gw-b");
        assertThat(run.listen).containsExactly("127.0.0.2:3260");
        assertThat(run.zookeeper).isEqualTo("zk1:2181");
    }

    @Test
    void switchesAreBooleansAndStandaloneTakesAFileToo() throws IOException {
        Path f = file("memory: true\ndata-dir: /tmp/x\nlisten: 127.0.0.1:3261\n");
        cli.parseArgs(ConfigFile.expand(new String[] {"standalone", "--config", f.toString()}, cli));
        StandaloneCommand s = cli.getSubcommands().get("standalone").getCommand();
        assertThat(s.memory).isTrue();

        Path off = file("memory: false\n");
        CommandLine fresh = new CommandLine(new Main());
        fresh.parseArgs(ConfigFile.expand(new String[] {"standalone", "--config", off.toString()}, fresh));
        assertThat(((StandaloneCommand) fresh.getSubcommands().get("standalone").getCommand()).memory)
                .isFalse();
    }

    @Test
    void aValueThatLooksLikeAnOptionStaysAValue() throws IOException {
        Path f = file("zookeeper: zk1:2181\nname: \"--weird\"\n");
        assertThat(parseRun("run", "--config", f.toString()).name).isEqualTo("--weird");
    }

    @Test
    void withoutConfigTheArgumentsAreUntouched() {
        String[] args = {"run", "--zookeeper", "zk:2181", "--name", "a"};
        assertThat(ConfigFile.expand(args, cli)).isSameAs(args);
        String[] none = {};
        assertThat(ConfigFile.expand(none, cli)).isSameAs(none);
    }

    @Test
    void mistakesInTheFileNameTheFileAndTheKey() throws IOException {
        Path unknown = file("zookeeper: zk:2181\nportal: 1.2.3.4:3260\n");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"run", "--config", unknown.toString()}, cli))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(unknown.toString())
                .hasMessageContaining("'portal' is not an option of 'run'");

        Path listForSingle = file("name: [a, b]\n");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"run", "--config", listForSingle.toString()}, cli))
                .hasMessageContaining("'name' takes one value");

        Path notAMap = file("- zookeeper\n");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"run", "--config", notAMap.toString()}, cli))
                .hasMessageContaining("expected a mapping");

        Path badSwitch = file("memory: yes please\n");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"standalone", "--config", badSwitch.toString()}, cli))
                .hasMessageContaining("'memory' is a switch");

        Path broken = file("name: [unclosed\n");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"run", "--config", broken.toString()}, cli))
                .hasMessageContaining("not valid YAML");

        assertThatThrownBy(() -> ConfigFile.expand(
                        new String[] {
                            "run", "--config", dir.resolve("missing.yml").toString()
                        },
                        cli))
                .hasMessageContaining("missing.yml: no such file");
        assertThatThrownBy(() -> ConfigFile.expand(new String[] {"run", "--config"}, cli))
                .hasMessageContaining("--config needs a file name");
    }
}
