package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.LunRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw lun ...}: the LUNs of a target. */
@Command(
        name = "lun",
        description = "LUNs of a target",
        subcommands = {LunCommands.List_.class, LunCommands.Add.class, LunCommands.Remove.class})
final class LunCommands {
    private LunCommands() {}

    @Command(name = "list", description = "the LUNs of a target and their disks")
    static final class List_ extends CliCommand {
        @Parameters(paramLabel = "TARGET")
        String target;

        void call(ApiClient api) throws Exception {
            table(api.get(t(target) + "/luns"), "lun", "disk");
        }
    }

    @Command(name = "add", description = "export a disk as a LUN")
    static final class Add extends CliCommand {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;

        @Parameters(index = "1", paramLabel = "POOL/IMAGE")
        String diskId;

        @Option(names = "--lun", description = "LUN number (default: lowest free)")
        Integer lun;

        void call(ApiClient api) throws Exception {
            JsonNode r = api.post(t(target) + "/luns", new LunRequest(lun, diskId));
            changed(r, "added LUN " + r.at("/value/lun").asText() + " (" + diskId + ") to " + target);
        }
    }

    @Command(name = "remove", description = "stop exporting a LUN (the disk stays)")
    static final class Remove extends CliCommand {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;

        @Parameters(index = "1", paramLabel = "LUN")
        int lun;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.delete(forced(t(target) + "/luns/" + lun, force)), "removed LUN " + lun + " from " + target);
        }
    }
}
