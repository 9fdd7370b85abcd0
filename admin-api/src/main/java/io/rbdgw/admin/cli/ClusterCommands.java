package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rbdgw.admin.api.SettingRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Cluster-wide commands: epoch, settings, discovery CHAP, secrets, sessions, ALUA, failovers, audit. */
final class ClusterCommands {
    private ClusterCommands() {}

    @Command(name = "epoch", description = "the configuration epoch and which gateways have applied it")
    static final class Epoch extends CliCommand {
        void call(ApiClient api) throws Exception {
            JsonNode e = api.get("/api/config/epoch");
            if (printedJson(e)) {
                return;
            }
            out().println("epoch " + e.path("epoch").asText());
            table(e.path("gateways"), "name", "alive", "appliedEpoch", "health", "upToDate");
        }
    }

    /** {@code rbdgw settings} alone lists them, as before there were subcommands. */
    @Command(
            name = "settings",
            description = "cluster-wide settings (alone: list them)",
            subcommands = {Settings.List_.class, Settings.Set.class, Settings.Reset.class})
    static final class Settings extends CliCommand {
        void call(ApiClient api) throws Exception {
            list(this, api);
        }

        static void list(CliCommand c, ApiClient api) throws Exception {
            c.table(api.get("/api/settings"), "key", "value", "defaultValue", "overridden");
        }

        @Command(name = "list", description = "every setting: value in force, default, whether overridden")
        static final class List_ extends CliCommand {
            void call(ApiClient api) throws Exception {
                list(this, api);
            }
        }

        @Command(name = "set", description = "override a setting cluster-wide")
        static final class Set extends CliCommand {
            @Parameters(index = "0", paramLabel = "KEY")
            String key;

            @Parameters(index = "1", paramLabel = "VALUE")
            String value;

            void call(ApiClient api) throws Exception {
                changed(
                        api.put("/api/settings/" + ApiClient.seg(key), new SettingRequest(value)),
                        "set " + key + "=" + value);
            }
        }

        @Command(name = "reset", description = "back to the default")
        static final class Reset extends CliCommand {
            @Parameters(index = "0", paramLabel = "KEY")
            String key;

            void call(ApiClient api) throws Exception {
                changed(api.delete("/api/settings/" + ApiClient.seg(key)), "reset " + key);
            }
        }
    }

    @Command(
            name = "discovery-auth",
            description = "CHAP for discovery sessions",
            subcommands = {DiscoveryAuth.Show.class, DiscoveryAuth.Set.class, DiscoveryAuth.Clear.class})
    static final class DiscoveryAuth {
        @Command(name = "show", description = "the discovery CHAP user (never the secret)")
        static final class Show extends CliCommand {
            void call(ApiClient api) throws Exception {
                JsonNode a = api.get("/api/discovery-auth");
                if (json()) {
                    object(a);
                } else {
                    out().println("discovery auth: " + text(a));
                }
            }
        }

        @Command(name = "set", description = "require CHAP for discovery")
        static final class Set extends CliCommand {
            @Mixin
            ChapOptions chap;

            void call(ApiClient api) throws Exception {
                changed(api.put("/api/discovery-auth", chap.request()), "set discovery CHAP");
            }
        }

        @Command(name = "clear", description = "discovery without CHAP")
        static final class Clear extends CliCommand {
            void call(ApiClient api) throws Exception {
                changed(api.delete("/api/discovery-auth"), "cleared discovery CHAP");
            }
        }
    }

    @Command(
            name = "secrets",
            description = "encryption of the CHAP secrets in ZooKeeper",
            subcommands = {Secrets.Rotate.class})
    static final class Secrets {
        @Command(name = "rotate", description = "re-encrypt every CHAP secret with the newest key of the key file")
        static final class Rotate extends CliCommand {
            void call(ApiClient api) throws Exception {
                JsonNode r = api.post("/api/secrets/rotate", Map.of());
                changed(
                        r,
                        "re-encrypted " + r.path("value").path("reencrypted").asText() + " secret(s) with key "
                                + r.path("value").path("keyId").asText());
            }
        }
    }

    @Command(name = "sessions", description = "iSCSI sessions on all gateways")
    static final class Sessions extends CliCommand {
        @Option(names = "--target", description = "only this target's")
        String target;

        @Option(names = "--initiator", description = "only this initiator's")
        String initiator;

        void call(ApiClient api) throws Exception {
            table(
                    api.get(query("/api/sessions", "target", target, "initiator", initiator)),
                    "gateway",
                    "target",
                    "initiator",
                    "isid",
                    "tsih",
                    "connections");
            truncationNote(api);
        }
    }

    @Command(name = "alua", description = "per disk: owner and the ALUA state of every gateway's port group")
    static final class Alua extends CliCommand {
        @Option(names = "--disk", paramLabel = "POOL/IMAGE")
        String disk;

        @Option(names = "--gateway", description = "only disks this gateway owns")
        String gateway;

        void call(ApiClient api) throws Exception {
            JsonNode list = api.get(query("/api/alua", "disk", disk, "gateway", gateway));
            if (!json()) {
                // one column "gateway=STATE ..." per disk instead of nested objects
                for (JsonNode d : list) {
                    List<String> ports = new ArrayList<>();
                    d.path("ports")
                            .forEach(p -> ports.add(p.path("gateway").asText() + "="
                                    + p.path("state").asText()
                                    + (p.path("draining").asBoolean() ? "(draining)" : "")));
                    ((ObjectNode) d).put("states", String.join(" ", ports));
                }
            }
            table(list, "disk", "owner", "epoch", "ownerAlive", "luns", "states");
        }
    }

    @Command(name = "failovers", description = "history of LUN ownership moves (newest first)")
    static final class Failovers extends CliCommand {
        @Option(names = "--limit", description = "at most this many")
        Integer limit;

        @Option(names = "--disk", paramLabel = "POOL/IMAGE")
        String disk;

        @Option(names = "--gateway", description = "moves from or to this gateway")
        String gateway;

        @Option(names = "--reason", description = "ASSIGNED, GATEWAY_LOST, DRAINED, FAILBACK or REBALANCE")
        String reason;

        void call(ApiClient api) throws Exception {
            JsonNode list = api.get(
                    query("/api/alua/failovers", "limit", limit, "disk", disk, "gateway", gateway, "reason", reason));
            if (!json()) {
                for (JsonNode e : list) {
                    ((ObjectNode) e)
                            .put(
                                    "written",
                                    Instant.ofEpochMilli(
                                                    e.path("writtenAtMillis").asLong())
                                            .toString());
                }
            }
            table(list, "written", "disk", "from", "to", "reason", "epoch", "durationMillis");
        }
    }

    @Command(
            name = "audit",
            description = "accepted changes, newest first: when, who, from where, what, resulting epoch")
    static final class Audit extends CliCommand {
        @Option(names = "--limit", description = "at most this many (default 100, at most 1000)")
        Integer limit;

        @Option(names = "--body", description = "also show the request bodies (secrets are never stored)")
        boolean body;

        void call(ApiClient api) throws Exception {
            JsonNode list = api.get(query("/api/audit", "limit", limit));
            if (body) {
                table(list, "time", "user", "address", "method", "path", "status", "epoch", "body");
            } else {
                table(list, "time", "user", "address", "method", "path", "status", "epoch");
            }
        }
    }
}
