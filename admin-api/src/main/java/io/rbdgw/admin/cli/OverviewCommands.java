package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.api.AuthView;
import io.rbdgw.admin.api.ClientView;
import io.rbdgw.admin.api.ConfigView;
import io.rbdgw.admin.api.DiskView;
import io.rbdgw.admin.api.GatewayView;
import io.rbdgw.admin.api.HostGroupView;
import io.rbdgw.admin.api.LunView;
import io.rbdgw.admin.api.Sizes;
import io.rbdgw.admin.api.SysinfoView;
import io.rbdgw.admin.api.TargetView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rbdgw ls}, {@code rbdgw info KIND NAME} and {@code rbdgw sysinfo}: the configuration at a glance. */
final class OverviewCommands {
    private OverviewCommands() {}

    @Command(
            name = "ls",
            description = {
                "the whole configuration as a tree: targets with their portals (gateways), LUNs, clients "
                        + "and host groups; disks; gateways with their state and applied epoch",
                "--json prints GET /api/config as it is"
            })
    static final class Ls extends CliCommand {
        void call(ApiClient api) throws Exception {
            JsonNode raw = api.get("/api/config");
            if (printedJson(raw)) {
                return;
            }
            ConfigView c = api.as(raw, ConfigView.class);
            Tree tree = new Tree(c);
            long upToDate =
                    c.gateways().stream().filter(g -> upToDate(g, c.epoch())).count();
            out().println("configuration epoch " + c.epoch() + " (" + upToDate + " of "
                    + c.gateways().size() + " gateways up to date)");
            List<String> lines = new ArrayList<>();
            lines.add("targets" + (c.targets().isEmpty() ? " (none)" : ""));
            c.targets().forEach(t -> tree.target(t, "  ", lines));
            lines.add("disks" + (c.disks().isEmpty() ? " (none)" : ""));
            c.disks().forEach(d -> lines.add("  " + tree.diskLine(d)));
            lines.add("gateways" + (c.gateways().isEmpty() ? " (none)" : ""));
            c.gateways().forEach(g -> lines.add("  " + gatewayLine(g, c.epoch())));
            lines.add("discovery auth: " + auth(c.discoveryAuth()));
            lines.forEach(l -> out().println(printable(l)));
        }
    }

    @Command(
            name = "info",
            description = {
                "one object in detail: target IQN, disk POOL/IMAGE, client INITIATOR (on every target "
                        + "that lists it) or gateway NAME",
                "--json prints the API's JSON: GET /api/targets/IQN, /api/disks/POOL/IMAGE, /api/gateways/NAME, "
                        + "or for a client the list of its entries (GET /api/targets/IQN/clients/INITIATOR each)"
            })
    static final class Info extends CliCommand {
        @Parameters(index = "0", paramLabel = "KIND", description = "target, disk, client or gateway")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        void call(ApiClient api) throws Exception {
            switch (kind.toLowerCase(Locale.ROOT)) {
                case "target" -> {
                    JsonNode raw = api.get(t(name));
                    if (printedJson(raw)) {
                        return;
                    }
                    ConfigView c = api.get("/api/config", ConfigView.class);
                    List<String> lines = new ArrayList<>();
                    new Tree(c).target(api.as(raw, TargetView.class), "", lines);
                    print(lines);
                }
                case "disk" -> {
                    JsonNode raw = api.get(disk(name));
                    if (printedJson(raw)) {
                        return;
                    }
                    ConfigView c = api.get("/api/config", ConfigView.class);
                    DiskView d = api.as(raw, DiskView.class);
                    List<String> lines = new ArrayList<>();
                    lines.add(new Tree(c).diskLine(d));
                    lines.add("  wwn seed: " + d.wwnSeed());
                    if (d.path() != null) {
                        lines.add("  path: " + d.path());
                    }
                    lines.add("  exported as" + (d.luns().isEmpty() ? ": nothing" : ""));
                    for (LunView l : d.luns()) {
                        List<String> seen = c.clients().stream()
                                .filter(x -> x.target().equals(l.target())
                                        && x.effectiveLuns().contains(l.lun()))
                                .map(ClientView::initiator)
                                .toList();
                        lines.add("    " + l.target() + " LUN " + l.lun() + ", seen by "
                                + (seen.isEmpty() ? "no client" : String.join(", ", seen)));
                    }
                    print(lines);
                }
                case "client" -> {
                    ConfigView c = api.get("/api/config", ConfigView.class);
                    List<ClientView> entries = c.clients().stream()
                            .filter(x -> x.initiator().equals(name))
                            .toList();
                    if (entries.isEmpty()) {
                        throw new ApiClient.ApiError(404, "no target lists client " + name);
                    }
                    if (json()) {
                        List<JsonNode> views = new ArrayList<>();
                        for (ClientView e : entries) {
                            views.add(api.get(t(e.target()) + "/clients/" + ApiClient.seg(name)));
                        }
                        out().println(api.mapper().valueToTree(views).toPrettyString());
                        return;
                    }
                    Tree tree = new Tree(c);
                    List<String> lines = new ArrayList<>();
                    lines.add(name);
                    for (ClientView e : entries) {
                        lines.add("  on " + e.target());
                        lines.add("    auth: " + auth(e.auth()));
                        lines.add("    " + (e.allLuns() ? "all LUNs" : "own LUNs " + tree.luns(e.target(), e.luns()))
                                + (e.hostGroup() == null ? "" : ", host group " + e.hostGroup()));
                        lines.add("    sees " + tree.luns(e.target(), e.effectiveLuns()));
                    }
                    print(lines);
                }
                case "gateway" -> {
                    JsonNode raw = api.get("/api/gateways/" + ApiClient.seg(name));
                    if (printedJson(raw)) {
                        return;
                    }
                    GatewayView g = api.as(raw, GatewayView.class);
                    long epoch = api.get("/api/config/epoch").path("epoch").asLong();
                    List<String> lines = new ArrayList<>();
                    lines.add(gatewayLine(g, epoch));
                    lines.add("  version: " + orDash(g.version()));
                    lines.add("  declared: " + g.declared() + ", draining: " + g.draining()
                            + (g.drained() ? " (drained)" : ""));
                    if (g.detail() != null) {
                        lines.add("  detail: " + g.detail());
                    }
                    lines.add("  owns (Active/Optimized): "
                            + (g.ownedDisks().isEmpty() ? "-" : String.join(", ", g.ownedDisks())));
                    print(lines);
                }
                default ->
                    throw new IllegalArgumentException(
                            "unknown kind '" + kind + "': use target, disk, client or gateway");
            }
        }

        private void print(List<String> lines) {
            lines.forEach(l -> out().println(printable(l)));
        }
    }

    @Command(
            name = "sysinfo",
            description = "versions, ZooKeeper, configuration epoch, gateways and counts (GET /api/sysinfo)")
    static final class Sysinfo extends CliCommand {
        void call(ApiClient api) throws Exception {
            JsonNode raw = api.get("/api/sysinfo");
            if (printedJson(raw)) {
                return;
            }
            SysinfoView s = api.as(raw, SysinfoView.class);
            List<String> lines = new ArrayList<>();
            lines.add("version: " + s.version());
            lines.add("schema version: " + orDash(s.schemaVersion()));
            lines.add("zookeeper: " + s.zookeeper().connectString() + " root "
                    + s.zookeeper().root() + (s.zookeeper().connected() ? " (connected)" : " (NOT connected)"));
            lines.add("configuration epoch: " + (s.epoch() == null ? "-" : s.epoch()));
            if (s.counts() != null) {
                SysinfoView.Counts n = s.counts();
                lines.add("configured: " + n.targets() + " targets, " + n.disks() + " disks, " + n.luns() + " LUNs, "
                        + n.clients() + " clients, " + n.hostGroups() + " host groups, " + n.gateways() + " gateways");
            }
            lines.add("gateways" + (s.gateways().isEmpty() ? ": none" : ""));
            for (SysinfoView.Gateway g : s.gateways()) {
                lines.add("  " + g.name() + "  " + (g.alive() ? "alive" : "down")
                        + (g.declared() ? "" : " (not declared)")
                        + "  health " + orDash(g.health()) + "  applied epoch "
                        + (g.appliedEpoch() == null ? "-" : g.appliedEpoch())
                        + (g.upToDate() ? " (up to date)" : "") + "  version " + orDash(g.version())
                        + (g.alive()
                                ? "  up " + (g.uptimeSeconds() == null ? "-" : g.uptimeSeconds() + " s")
                                        + "  ceph "
                                        + (Boolean.TRUE.equals(g.cephConnected()) ? "connected" : "not connected")
                                        + "  portals " + (g.portals().isEmpty() ? "-" : String.join(",", g.portals()))
                                : ""));
            }
            lines.forEach(l -> out().println(printable(l)));
        }
    }

    // ---- rendering --------------------------------------------------------------------------------------

    static boolean upToDate(GatewayView g, long epoch) {
        return g.alive() && g.appliedEpoch() != null && g.appliedEpoch() >= epoch;
    }

    static String gatewayLine(GatewayView g, long epoch) {
        return g.name() + "  " + String.join(",", g.portals()) + "  tpg "
                + (g.targetPortGroup() == null ? "-" : g.targetPortGroup())
                + "  " + (g.alive() ? "alive" : "down") + "  health " + orDash(g.health())
                + "  applied epoch " + (g.appliedEpoch() == null ? "-" : g.appliedEpoch())
                + (upToDate(g, epoch) ? " (up to date)" : g.alive() ? " (behind " + epoch + ")" : "")
                + (g.draining() ? "  draining" : "")
                + (g.ownedDisks().isEmpty() ? "" : "  owns " + String.join(",", g.ownedDisks()));
    }

    static String auth(AuthView a) {
        if (a == null || a.chap() == null) {
            return "none";
        }
        return "CHAP user " + a.chap().user()
                + (a.mutualChap() == null
                        ? ""
                        : ", mutual CHAP user " + a.mutualChap().user());
    }

    static String orDash(String s) {
        return s == null ? "-" : s;
    }

    /** Renders parts of one configuration. */
    static final class Tree {
        private final ConfigView c;

        Tree(ConfigView c) {
            this.c = c;
        }

        Optional<DiskView> disk(String id) {
            return c.disks().stream().filter(d -> d.id().equals(id)).findFirst();
        }

        String diskLine(DiskView d) {
            List<String> luns =
                    d.luns().stream().map(l -> l.target() + " LUN " + l.lun()).toList();
            return d.id() + "  " + d.backstore() + "  " + Sizes.format(d.size()) + "  "
                    + (luns.isEmpty() ? "not exported" : "exported as " + String.join(", ", luns));
        }

        /** "0 (rbd/a), 3 (rbd/b)" for LUN numbers of a target. */
        String luns(String target, List<Integer> numbers) {
            if (numbers == null || numbers.isEmpty()) {
                return "none";
            }
            List<String> out = new ArrayList<>();
            for (int n : numbers) {
                String disk = c.targets().stream()
                        .filter(t -> t.iqn().equals(target))
                        .flatMap(t -> t.luns().stream())
                        .filter(l -> l.lun() == n)
                        .map(LunView::disk)
                        .findFirst()
                        .orElse("?");
                out.add(n + " (" + disk + ")");
            }
            return String.join(", ", out);
        }

        void target(TargetView t, String indent, List<String> lines) {
            lines.add(indent + t.iqn() + (t.alias() == null ? "" : "  alias " + t.alias()) + "  ACL "
                    + (t.acl() ? "on" : "off") + "  auth " + auth(t.auth())
                    + (t.parameters().isEmpty() ? "" : "  parameters " + t.parameters()));
            String in = indent + "  ";
            lines.add(in + "portals" + (c.gateways().isEmpty() ? ": none (no gateway declared)" : ""));
            for (GatewayView g : c.gateways()) {
                lines.add(in + "  " + gatewayLine(g, c.epoch()));
            }
            lines.add(in + "LUNs" + (t.luns().isEmpty() ? ": none" : ""));
            for (LunView l : t.luns()) {
                lines.add(in + "  " + l.lun() + "  "
                        + disk(l.disk()).map(this::diskLine).orElse(l.disk()));
            }
            List<ClientView> clients =
                    c.clients().stream().filter(x -> x.target().equals(t.iqn())).toList();
            lines.add(in + "clients"
                    + (clients.isEmpty() ? ": none" + (t.acl() ? " (no initiator may log in)" : "") : ""));
            for (ClientView x : clients) {
                lines.add(in + "  " + x.initiator() + "  auth " + auth(x.auth())
                        + (x.hostGroup() == null ? "" : "  host group " + x.hostGroup())
                        + "  sees " + (x.allLuns() ? "all LUNs: " : "") + luns(t.iqn(), x.effectiveLuns()));
            }
            List<HostGroupView> groups = c.hostGroups().stream()
                    .filter(g -> g.target().equals(t.iqn()))
                    .toList();
            if (!groups.isEmpty()) {
                lines.add(in + "host groups");
                for (HostGroupView g : groups) {
                    lines.add(in + "  " + g.name() + "  members "
                            + (g.members().isEmpty() ? "-" : String.join(", ", g.members())) + "  disks "
                            + (g.disks().isEmpty() ? "-" : String.join(", ", g.disks())));
                }
            }
        }
    }
}
