package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.ImportResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw config export|import}: the whole configuration as one JSON document. */
@Command(
        name = "config",
        description = "export or import the whole configuration",
        subcommands = {ConfigCommands.Export.class, ConfigCommands.Import.class})
final class ConfigCommands {
    private ConfigCommands() {}

    @Command(
            name = "export",
            description = {
                "print the whole configuration as JSON (rbdgw config export > FILE)",
                "CHAP secrets are left out unless --with-secrets: then they come encrypted as stored (usable only with the same "
                        + "secret key file), plaintext only from a cluster that stores them unencrypted"
            })
    static final class Export extends CliCommand {
        @Option(
                names = "--with-secrets",
                description = "include the CHAP secrets (encrypted when the cluster has a key file)")
        boolean withSecrets;

        void call(ApiClient api) throws Exception {
            out().println(api.get(query("/api/config/export", "withSecrets", withSecrets ? true : null))
                    .toPrettyString());
        }
    }

    @Command(
            name = "import",
            description = {
                "make the configuration what FILE (of config export) says, in one transaction",
                "what FILE lacks is deleted; RBD images and files are neither created nor deleted. A CHAP secret FILE omits is "
                        + "kept from the cluster (same entity and user)"
            })
    static final class Import extends CliCommand {
        @Parameters(paramLabel = "FILE", description = "a document of rbdgw config export")
        Path file;

        @Option(names = "--dry-run", description = "show what would be added, removed and changed; change nothing")
        boolean dryRun;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            JsonNode doc;
            try {
                doc = api.mapper().readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + " as JSON: " + e.getMessage());
            }
            JsonNode raw = api.post(
                    query("/api/config/import", "dryRun", dryRun ? true : null, "force", force ? true : null), doc);
            if (printedJson(raw)) {
                return;
            }
            ImportResult r = api.as(raw, ImportResult.class);
            String verb = r.dryRun() ? "would " : "";
            print(verb + "add", r.added());
            print(verb + "remove", r.removed());
            print(verb + "change", r.changed());
            if (r.added().isEmpty() && r.removed().isEmpty() && r.changed().isEmpty()) {
                out().println("no difference");
            }
            if (r.dryRun()) {
                out().println(
                                r.refusal() == null
                                        ? "dry run: nothing changed (epoch " + r.epoch() + ")"
                                        : "dry run: the import would be refused: " + r.refusal());
            } else {
                out().println("imported (epoch " + r.epoch() + ")");
            }
        }

        private void print(String what, List<String> items) {
            items.forEach(i -> out().println(what + " " + printable(i)));
        }
    }
}
