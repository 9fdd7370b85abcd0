package io.rbdgw.admin.cli;

import io.rbdgw.admin.api.TargetRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw target ...}: iSCSI targets. */
@Command(
        name = "target",
        description = "iSCSI targets",
        subcommands = {
            TargetCommands.List_.class,
            TargetCommands.Show.class,
            TargetCommands.Create.class,
            TargetCommands.Set.class,
            TargetCommands.Delete.class,
            TargetCommands.Auth.class,
            TargetCommands.NoAuth.class
        })
final class TargetCommands {
    private TargetCommands() {}

    @Command(name = "list", description = "list targets")
    static final class List_ extends CliCommand {
        void call(ApiClient api) throws Exception {
            table(api.get("/api/targets"), "iqn", "alias", "acl", "auth", "luns", "clients");
        }
    }

    @Command(name = "show", description = "show one target")
    static final class Show extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        void call(ApiClient api) throws Exception {
            object(api.get(t(iqn)));
        }
    }

    @Command(name = "create", description = "create a target")
    static final class Create extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        @Option(names = "--alias")
        String alias;

        @Option(names = "--no-acl", description = "let any initiator log in (target-level CHAP applies)")
        boolean noAcl;

        void call(ApiClient api) throws Exception {
            changed(api.post("/api/targets", new TargetRequest(iqn, alias, !noAcl, null)), "created target " + iqn);
        }
    }

    @Command(name = "set", description = "change alias, ACL mode or parameter overrides")
    static final class Set extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        @Option(names = "--alias")
        String alias;

        @Option(names = "--acl", arity = "1", description = "true or false")
        Boolean acl;

        @Option(names = "--param", description = "KEY=VALUE override; KEY= removes it")
        Map<String, String> params;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            Map<String, String> p = null;
            if (params != null) {
                // a null value removes the override
                p = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : params.entrySet()) {
                    p.put(e.getKey(), e.getValue() == null || e.getValue().isEmpty() ? null : e.getValue());
                }
            }
            changed(api.put(forced(t(iqn), force), new TargetRequest(null, alias, acl, p)), "changed target " + iqn);
        }
    }

    @Command(name = "delete", description = "delete a target with its LUNs, clients and host groups (disks stay)")
    static final class Delete extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.delete(forced(t(iqn), force)), "deleted target " + iqn);
        }
    }

    @Command(name = "auth", description = "set target-level CHAP (used when the ACL is off)")
    static final class Auth extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        @Mixin
        ChapOptions chap;

        void call(ApiClient api) throws Exception {
            changed(api.put(t(iqn) + "/auth", chap.request()), "set CHAP of target " + iqn);
        }
    }

    @Command(name = "noauth", description = "clear target-level CHAP")
    static final class NoAuth extends CliCommand {
        @Parameters(paramLabel = "IQN")
        String iqn;

        void call(ApiClient api) throws Exception {
            changed(api.delete(t(iqn) + "/auth"), "cleared CHAP of target " + iqn);
        }
    }
}
