package io.rbdgw.admin.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI's shared path helpers and its command tree (the commands themselves run against a real admin server in AdminServerTest). */
class RbdgwCliTest {

    @Test
    void queryKeepsOnlyGivenValuesInOrderAndEncodesThem() {
        assertThat(CliCommand.query("/api/sessions", "target", null, "initiator", null))
                .isEqualTo("/api/sessions");
        assertThat(CliCommand.query("/api/sessions", "target", "iqn.2003-01.io.rbdgw:t1", "initiator", null))
                .isEqualTo("/api/sessions?target=iqn.2003-01.io.rbdgw:t1");
        assertThat(CliCommand.query("/api/sessions", "target", null, "initiator", "iqn.1998-01.com.vmware:esx 1"))
                .isEqualTo("/api/sessions?initiator=iqn.1998-01.com.vmware:esx%201");
        assertThat(CliCommand.query(
                        "/api/alua/failovers", "limit", 5, "disk", "rbd/a&b", "gateway", null, "reason", "DRAINED"))
                .isEqualTo("/api/alua/failovers?limit=5&disk=rbd%2Fa%26b&reason=DRAINED");
        assertThatThrownBy(() -> CliCommand.query("/api/alua", "disk")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void diskIdsArePoolSlashImage() {
        assertThat(CliCommand.poolImage("rbd/img/x")).containsExactly("rbd", "img/x");
        assertThat(CliCommand.disk("rbd/my img")).isEqualTo("/api/disks/rbd/my%20img");
        assertThatThrownBy(() -> CliCommand.poolImage("noslash"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("disk 'noslash' is not pool/image");
    }

    /** Every group and every subcommand, walked from the root, prints its usage on --help and exits 0. */
    @Test
    void everyCommandAnswersHelp() {
        CommandLine root = RbdgwCli.commandLine(
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()), Map.of());
        List<List<String>> paths = new ArrayList<>();
        walk(root, new ArrayList<>(), paths);
        assertThat(paths)
                .extracting(p -> String.join(" ", p))
                .contains("", "disk", "disk create", "target list", "client auth", "settings set", "gateway drain");
        assertThat(paths).hasSizeGreaterThan(50);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = RbdgwCli.run(
                    args.toArray(String[]::new),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    Map.of());
            String usage = out.toString(StandardCharsets.UTF_8);
            assertThat(code)
                    .as("rbdgw %s --help: %s", String.join(" ", path), err.toString(StandardCharsets.UTF_8))
                    .isZero();
            assertThat(usage)
                    .as("rbdgw %s --help", String.join(" ", path))
                    .startsWith("Usage: rbdgw" + (path.isEmpty() ? "" : " ") + String.join(" ", path))
                    .contains("--help");
        }
    }

    private static void walk(CommandLine c, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        for (Map.Entry<String, CommandLine> sub : c.getSubcommands().entrySet()) {
            List<String> next = new ArrayList<>(path);
            next.add(sub.getKey());
            walk(sub.getValue(), next, into);
        }
    }

    /** A job's progress: one line per 10 % step into a log or pipe, one line rewritten in place on a terminal. */
    @Test
    void jobProgressLines() throws Exception {
        JsonNode job = new ObjectMapper()
                .readTree(
                        "{\"id\":\"12\",\"kind\":\"disk.delete\",\"subject\":\"rbd/img\",\"state\":\"RUNNING\",\"progress\":0}");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CliCommand.ProgressLine lines =
                new CliCommand.ProgressLine(new PrintStream(log, true, StandardCharsets.UTF_8), false, "12", job);
        for (int p : new int[] {0, 3, 9, 10, 15, 27, 27, 95}) {
            lines.show(p);
        }
        lines.end(100);
        assertThat(log.toString(StandardCharsets.UTF_8))
                .isEqualTo(
                        "job 12: deleting rbd/img 0%\njob 12: deleting rbd/img 10%\n"
                                + "job 12: deleting rbd/img 27%\njob 12: deleting rbd/img 95%\njob 12: deleting rbd/img 100%\n");

        ByteArrayOutputStream tty = new ByteArrayOutputStream();
        CliCommand.ProgressLine line =
                new CliCommand.ProgressLine(new PrintStream(tty, true, StandardCharsets.UTF_8), true, "12", job);
        line.show(0);
        line.show(45);
        line.show(45);
        line.end(100);
        assertThat(tty.toString(StandardCharsets.UTF_8))
                .isEqualTo("\rjob 12: deleting rbd/img 0%\rjob 12: deleting rbd/img 45%"
                        + "\rjob 12: deleting rbd/img 100%\n");
    }
}
