package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.DiskRequest;
import io.rbdgw.admin.api.SizeRequest;
import io.rbdgw.admin.api.SnapshotRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw disk ...}: disks (RBD images or files) and their snapshots. */
@Command(
        name = "disk",
        description = "disks (RBD images or files)",
        subcommands = {
            DiskCommands.List_.class,
            DiskCommands.Show.class,
            DiskCommands.Create.class,
            DiskCommands.Resize.class,
            DiskCommands.Delete.class,
            DiskCommands.Snapshot.class
        })
final class DiskCommands {
    private DiskCommands() {}

    @Command(name = "list", description = "list disks")
    static final class List_ extends CliCommand {
        void call(ApiClient api) throws Exception {
            table(api.get("/api/disks"), "id", "size", "backstore", "luns");
        }
    }

    @Command(name = "show", description = "show one disk")
    static final class Show extends CliCommand {
        @Parameters(paramLabel = "POOL/IMAGE")
        String id;

        void call(ApiClient api) throws Exception {
            object(api.get(disk(id)));
        }
    }

    @Command(name = "create", description = "create (or --import) a disk")
    static final class Create extends CliCommand {
        @Parameters(paramLabel = "POOL/IMAGE")
        String id;

        @Option(names = "--size", description = "e.g. 10G (optional with --import)")
        String size;

        @Option(names = "--backstore", defaultValue = "rbd", description = "rbd or file (default rbd)")
        String backstore;

        @Option(names = "--import", description = "use an existing image or file")
        boolean importExisting;

        @Option(
                names = "--wwn-seed",
                description = "what the device identifiers derive from (keep it when re-importing)")
        String wwnSeed;

        @Mixin
        WaitOptions wait;

        void call(ApiClient api) throws Exception {
            String[] p = poolImage(id);
            JsonNode r = asJob(
                    api,
                    "POST",
                    "/api/disks",
                    new DiskRequest(p[0], p[1], size, backstore, !importExisting, wwnSeed),
                    wait);
            if (r != null) {
                changed(r, (importExisting ? "imported disk " : "created disk ") + id);
            }
        }
    }

    @Command(name = "resize", description = "grow a disk")
    static final class Resize extends CliCommand {
        @Parameters(paramLabel = "POOL/IMAGE")
        String id;

        @Option(names = "--size", required = true, description = "the new size, e.g. 20G")
        String size;

        @Mixin
        WaitOptions wait;

        void call(ApiClient api) throws Exception {
            JsonNode r = asJob(api, "PUT", disk(id) + "/size", new SizeRequest(size), wait);
            if (r != null) {
                changed(r, "resized disk " + id + " to " + r.at("/value/size").asText() + " bytes");
            }
        }
    }

    @Command(name = "delete", description = "delete a disk and its image (unless --preserve-image)")
    static final class Delete extends CliCommand {
        @Parameters(paramLabel = "POOL/IMAGE")
        String id;

        @Option(names = "--preserve-image", description = "keep the RBD image or file")
        boolean preserve;

        @Mixin
        WaitOptions wait;

        void call(ApiClient api) throws Exception {
            JsonNode r = asJob(api, "DELETE", disk(id) + (preserve ? "?preserveImage=true" : ""), null, wait);
            if (r != null) {
                changed(r, "deleted disk " + id);
            }
        }
    }

    @Command(name = "snapshot", description = "snapshots of an RBD disk: list, create, rollback, delete")
    static final class Snapshot extends CliCommand {
        @Parameters(index = "0", paramLabel = "ACTION", description = "list, create, rollback or delete")
        String action;

        @Parameters(index = "1", paramLabel = "POOL/IMAGE")
        String id;

        @Parameters(index = "2", arity = "0..1", paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "roll back even while the disk is exported")
        boolean force;

        @Mixin
        WaitOptions wait;

        void call(ApiClient api) throws Exception {
            String base = disk(id) + "/snapshots";
            switch (action) {
                case "list" -> table(api.get(base), "name", "size");
                case "create" -> {
                    api.post(base, new SnapshotRequest(need(name)));
                    out().println("created snapshot " + name + " of " + id);
                }
                case "rollback" -> {
                    // a rollback rewrites the whole image: a job, with progress
                    JsonNode r = asJob(
                            api,
                            "POST",
                            base + "/" + ApiClient.seg(need(name)) + "/rollback" + (force ? "?force=true" : ""),
                            null,
                            wait);
                    if (r != null) {
                        out().println("rolled " + id + " back to " + name);
                    }
                }
                case "delete" -> {
                    api.delete(base + "/" + ApiClient.seg(need(name)));
                    out().println("deleted snapshot " + name + " of " + id);
                }
                default ->
                    throw new IllegalArgumentException(
                            "unknown snapshot action '" + action + "': use list, create, rollback or delete");
            }
        }

        private static String need(String name) {
            if (name == null) {
                throw new IllegalArgumentException("a snapshot NAME is required");
            }
            return name;
        }
    }
}
