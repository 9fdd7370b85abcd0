package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.GatewayRequest;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rbdgw gateway ...}: declared gateways, their sessions and drains. */
@Command(
        name = "gateway",
        description = "gateways",
        subcommands = {
            GatewayCommands.List_.class,
            GatewayCommands.Add.class,
            GatewayCommands.Delete.class,
            GatewayCommands.Sessions.class,
            GatewayCommands.Drain.class,
            GatewayCommands.Undrain.class,
            GatewayCommands.DrainStatus.class
        })
final class GatewayCommands {
    private GatewayCommands() {}

    static String gw(String name) {
        return "/api/gateways/" + ApiClient.seg(name);
    }

    @Command(name = "list", description = "gateways: portals, port group, liveness, applied epoch, health, owned disks")
    static final class List_ extends CliCommand {
        void call(ApiClient api) throws Exception {
            table(
                    api.get("/api/gateways"),
                    "name",
                    "portals",
                    "targetPortGroup",
                    "alive",
                    "appliedEpoch",
                    "health",
                    "draining",
                    "ownedDisks");
        }
    }

    @Command(name = "add", description = "declare a gateway")
    static final class Add extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--portal", required = true, description = "host[:port] (repeatable)")
        List<String> portals;

        @Option(names = "--tpg", description = "target port group id (default: lowest free)")
        Integer tpg;

        void call(ApiClient api) throws Exception {
            changed(api.post("/api/gateways", new GatewayRequest(name, portals, tpg)), "added gateway " + name);
        }
    }

    @Command(name = "delete", description = "remove a gateway from the configuration")
    static final class Delete extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        void call(ApiClient api) throws Exception {
            changed(api.delete(gw(name)), "deleted gateway " + name);
        }
    }

    @Command(name = "drain", description = "move a gateway's LUN ownership to the other gateways before maintenance")
    static final class Drain extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(
                names = "--wait",
                paramLabel = "SECONDS",
                description = "wait up to SECONDS until it owns nothing (exit 1 if it still does)")
        Integer waitSeconds;

        void call(ApiClient api) throws Exception {
            String path = gw(name) + "/drain";
            JsonNode s = api.post(path, Map.of());
            if (waitSeconds != null) {
                long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
                while (!s.path("complete").asBoolean() && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                    s = api.get(path);
                }
                if (!s.path("complete").asBoolean()) {
                    object(s);
                    throw new ApiClient.ApiError(
                            0,
                            "gateway " + name + " still owns " + text(s.path("ownedDisks")) + " after " + waitSeconds
                                    + " s");
                }
            }
            object(s);
        }
    }

    @Command(name = "undrain", description = "end a drain: the gateway gets its share of LUNs back after settling")
    static final class Undrain extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        void call(ApiClient api) throws Exception {
            object(api.delete(gw(name) + "/drain"));
        }
    }

    @Command(name = "drain-status", description = "whether a gateway is draining and what it still owns")
    static final class DrainStatus extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        void call(ApiClient api) throws Exception {
            object(api.get(gw(name) + "/drain"));
        }
    }

    @Command(name = "sessions", description = "iSCSI sessions on one gateway")
    static final class Sessions extends CliCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        void call(ApiClient api) throws Exception {
            table(api.get(gw(name) + "/sessions"), "target", "initiator", "isid", "tsih", "connections");
            truncationNote(api);
        }
    }
}
