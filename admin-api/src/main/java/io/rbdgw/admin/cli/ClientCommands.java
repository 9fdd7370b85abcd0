package io.rbdgw.admin.cli;

import io.rbdgw.admin.api.ClientRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw client ...}: the client ACL entries of a target. */
@Command(
        name = "client",
        description = "client ACLs of a target",
        subcommands = {
            ClientCommands.List_.class,
            ClientCommands.Show.class,
            ClientCommands.Create.class,
            ClientCommands.Delete.class,
            ClientCommands.Auth.class,
            ClientCommands.NoAuth.class,
            ClientCommands.Map_.class,
            ClientCommands.Unmap.class
        })
final class ClientCommands {
    private ClientCommands() {}

    /** A command on one client of a target: TARGET INITIATOR first. */
    abstract static class OnClient extends CliCommand {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;

        @Parameters(index = "1", paramLabel = "INITIATOR")
        String initiator;

        String client() {
            return t(target) + "/clients/" + ApiClient.seg(initiator);
        }
    }

    @Command(name = "list", description = "the clients of a target")
    static final class List_ extends CliCommand {
        @Parameters(paramLabel = "TARGET")
        String target;

        void call(ApiClient api) throws Exception {
            table(
                    api.get(t(target) + "/clients"),
                    "initiator",
                    "auth",
                    "allLuns",
                    "luns",
                    "hostGroup",
                    "effectiveLuns");
        }
    }

    @Command(name = "show", description = "one client: its LUNs, host group and the LUNs it effectively sees")
    static final class Show extends OnClient {
        void call(ApiClient api) throws Exception {
            object(api.get(client()));
        }
    }

    @Command(
            name = "create",
            description = "allow an initiator: it sees its --lun LUNs and its host group's disks, or --all-luns")
    static final class Create extends OnClient {
        @Option(names = "--lun", description = "a LUN it sees (repeatable)")
        List<Integer> luns;

        @Option(names = "--all-luns", description = "it sees every LUN of the target, present and future")
        boolean allLuns;

        void call(ApiClient api) throws Exception {
            changed(
                    api.post(
                            t(target) + "/clients",
                            new ClientRequest(initiator, allLuns ? Boolean.TRUE : null, luns, null)),
                    "created client " + initiator);
        }
    }

    @Command(name = "delete", description = "remove a client")
    static final class Delete extends OnClient {
        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.delete(forced(client(), force)), "deleted client " + initiator);
        }
    }

    @Command(name = "auth", description = "set CHAP (and mutual CHAP) of a client")
    static final class Auth extends OnClient {
        @Mixin
        ChapOptions chap;

        void call(ApiClient api) throws Exception {
            changed(api.put(client() + "/auth", chap.request()), "set CHAP of client " + initiator);
        }
    }

    @Command(name = "noauth", description = "clear CHAP of a client")
    static final class NoAuth extends OnClient {
        void call(ApiClient api) throws Exception {
            changed(api.delete(client() + "/auth"), "cleared CHAP of client " + initiator);
        }
    }

    @Command(name = "map", description = "let a client see a LUN")
    static final class Map_ extends OnClient {
        @Parameters(index = "2", paramLabel = "LUN")
        int lun;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.put(forced(client() + "/luns/" + lun, force), null), "mapped LUN " + lun + " to " + initiator);
        }
    }

    @Command(name = "unmap", description = "hide a LUN from a client")
    static final class Unmap extends OnClient {
        @Parameters(index = "2", paramLabel = "LUN")
        int lun;

        @Option(names = "--force", description = FORCE_HELP)
        boolean force;

        void call(ApiClient api) throws Exception {
            changed(api.delete(forced(client() + "/luns/" + lun, force)), "unmapped LUN " + lun + " from " + initiator);
        }
    }
}
