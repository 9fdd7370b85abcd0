package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.HostGroupRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw hostgroup ...}: host groups of a target (members see the group's disks). */
@Command(
        name = "hostgroup",
        description = "host groups of a target",
        subcommands = {
            HostGroupCommands.List_.class,
            HostGroupCommands.Create.class,
            HostGroupCommands.Delete.class,
            HostGroupCommands.Edit.class
        })
final class HostGroupCommands {
    private HostGroupCommands() {}

    /** A command on one host group of a target: TARGET NAME first. */
    abstract static class OnGroup extends CliCommand {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        String group() {
            return t(target) + "/hostgroups/" + ApiClient.seg(name);
        }
    }

    @Command(name = "list", description = "the host groups of a target")
    static final class List_ extends CliCommand {
        @Parameters(paramLabel = "TARGET")
        String target;

        void call(ApiClient api) throws Exception {
            table(api.get(t(target) + "/hostgroups"), "name", "members", "disks");
        }
    }

    @Command(name = "create", description = "create a host group")
    static final class Create extends OnGroup {
        @Option(names = "--member", description = "initiator (repeatable)")
        List<String> members;

        @Option(names = "--disk", description = "pool/image (repeatable)")
        List<String> disks;

        void call(ApiClient api) throws Exception {
            HostGroupRequest req = new HostGroupRequest(
                    name, members == null ? List.of() : members, disks == null ? List.of() : disks);
            changed(api.post(t(target) + "/hostgroups", req), "created host group " + name);
        }
    }

    @Command(name = "delete", description = "delete a host group")
    static final class Delete extends OnGroup {
        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.delete(forced(group(), force)), "deleted host group " + name);
        }
    }

    @Command(name = "edit", description = "add-member, remove-member, add-disk or remove-disk")
    static final class Edit extends OnGroup {
        @Parameters(
                index = "2",
                paramLabel = "ACTION",
                description = "add-member, remove-member, add-disk or remove-disk")
        String action;

        @Parameters(index = "3", paramLabel = "INITIATOR|POOL/IMAGE")
        String item;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            String base = group();
            String diskPath = action.endsWith("-disk") ? base + disk(item).substring("/api".length()) : null;
            JsonNode r = switch (action) {
                case "add-member" -> api.put(forced(base + "/members/" + ApiClient.seg(item), force), null);
                case "remove-member" -> api.delete(forced(base + "/members/" + ApiClient.seg(item), force));
                case "add-disk" -> api.put(forced(diskPath, force), null);
                case "remove-disk" -> api.delete(forced(diskPath, force));
                default ->
                    throw new IllegalArgumentException(
                            "unknown action '" + action + "': use add-member, remove-member, add-disk or remove-disk");
            };
            changed(r, "host group " + name + ": " + action + " " + item);
        }
    }
}
