package io.rbdgw.admin.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rbdgw job list|show}: long operations (disk create, resize, delete) the admin API runs in the background. */
@Command(
        name = "job",
        description = "long operations run in the background (disk create, resize, delete)",
        subcommands = {JobCommands.List_.class, JobCommands.Show.class})
final class JobCommands {
    private JobCommands() {}

    @Command(name = "list", description = "the last 200 jobs of every admin API instance, newest first")
    static final class List_ extends CliCommand {
        void call(ApiClient api) throws Exception {
            table(
                    api.get("/api/jobs"),
                    "id",
                    "kind",
                    "subject",
                    "state",
                    "progress",
                    "user",
                    "createdAt",
                    "finishedAt",
                    "error");
        }
    }

    @Command(name = "show", description = "one job: state, progress, result or error")
    static final class Show extends CliCommand {
        @Parameters(paramLabel = "ID")
        String id;

        void call(ApiClient api) throws Exception {
            object(api.get("/api/jobs/" + ApiClient.seg(id)));
        }
    }
}
