package io.rbdgw.admin.core;

import io.rbdgw.admin.api.ConfigExport;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.secret.Secrets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Export and import of the whole configuration ({@link ConfigExport}). An import is turned into one list of
 * changes (deletes of what the document lacks, puts of what differs) that the store commits as one transaction.
 *
 * <p>CHAP secrets: an export without secrets carries the user names only; importing such a document keeps the
 * secret the cluster holds for the same entity and user, and refuses (400) a CHAP user it has no secret for. An
 * export with secrets never carries plaintext when the API has a secret key file: secrets come out encrypted
 * ({@code enc:v1:...}, plaintext ones from older versions are sealed on the way out), usable only where the same
 * key file is configured; an import checks that it can open each one before anything is written.
 */
public final class ConfigTransfer {
    private final SecretBox box;
    private final DiskImages images;

    /** @param box the secret key file's keys, or null when the API has none */
    public ConfigTransfer(SecretBox box, DiskImages images) {
        this.box = box;
        this.images = images;
    }

    // ---- export -----------------------------------------------------------------------------------------

    public ConfigExport export(ClusterConfig c, boolean withSecrets, String version) {
        Function<String, String> secret =
                !withSecrets ? s -> null : box == null ? s -> s : s -> SecretBox.isSealed(s) ? s : box.seal(s);
        String secrets = !withSecrets ? "omitted" : box == null ? "plaintext" : "encrypted";
        return new ConfigExport(
                ConfigExport.FORMAT,
                ConfigExport.FORMAT_VERSION,
                c.epoch(),
                version,
                secrets,
                c.targets().stream()
                        .map(t -> new ConfigExport.Target(
                                t.iqn(), t.alias(), t.aclEnabled(), auth(t.auth(), secret), t.parameters()))
                        .toList(),
                c.disks().stream()
                        .map(d -> new ConfigExport.Disk(
                                d.pool(),
                                d.image(),
                                d.size(),
                                d.backstore().name().toLowerCase(Locale.ROOT),
                                d.path(),
                                d.wwnSeed()))
                        .toList(),
                c.luns().stream()
                        .map(l -> new ConfigExport.Lun(l.target(), l.number(), l.diskId()))
                        .toList(),
                c.clients().stream()
                        .map(x -> new ConfigExport.Client(
                                x.target(), x.initiator(), x.allLuns(), List.copyOf(x.luns()), auth(x.auth(), secret)))
                        .toList(),
                c.hostGroups().stream()
                        .map(g -> new ConfigExport.HostGroup(
                                g.target(), g.name(), List.copyOf(g.members()), List.copyOf(g.disks())))
                        .toList(),
                c.gateways().stream()
                        .map(g -> new ConfigExport.Gateway(
                                g.name(),
                                g.portals().stream().map(Portal::toString).toList(),
                                g.targetPortGroup()))
                        .toList(),
                auth(c.discoveryAuth(), secret),
                c.settings().values());
    }

    private static ConfigExport.Auth auth(Authentication a, Function<String, String> secret) {
        if (a == null || a.chap() == null) {
            return new ConfigExport.Auth(null, null);
        }
        return new ConfigExport.Auth(chap(a.chap(), secret), chap(a.mutualChap(), secret));
    }

    private static ConfigExport.Chap chap(ChapCredentials c, Function<String, String> secret) {
        return c == null ? null : new ConfigExport.Chap(c.user(), secret.apply(c.secret()));
    }

    // ---- import -----------------------------------------------------------------------------------------

    /**
     * The configuration {@code doc} describes, at {@code current}'s epoch, with omitted secrets taken from
     * {@code current}. Throws {@link ApiException} (400) or {@link IllegalArgumentException} for a document that is
     * not a valid, consistent configuration.
     */
    public ClusterConfig wanted(ClusterConfig current, ConfigExport doc) {
        if (doc == null) {
            throw ApiException.badRequest("request body is missing: send what GET /api/config/export returned");
        }
        if (!ConfigExport.FORMAT.equals(doc.format())) {
            throw ApiException.badRequest(
                    "format must be \"" + ConfigExport.FORMAT + "\" (a document of GET /api/config/export)");
        }
        if (doc.formatVersion() == null || doc.formatVersion() != ConfigExport.FORMAT_VERSION) {
            throw ApiException.badRequest("formatVersion " + doc.formatVersion()
                    + " is not supported (this version reads " + ConfigExport.FORMAT_VERSION + ")");
        }
        List<Target> targets = new ArrayList<>();
        for (ConfigExport.Target t : required(doc.targets(), "targets")) {
            String iqn = required(t.iqn(), "targets[].iqn");
            Authentication old = current.target(iqn).map(Target::auth).orElse(Authentication.NONE);
            targets.add(new Target(
                    iqn,
                    t.alias(),
                    t.acl() == null || t.acl(),
                    auth(t.auth(), old, "target " + iqn),
                    settable(t.parameters())));
        }
        List<Disk> disks = new ArrayList<>();
        for (ConfigExport.Disk d : required(doc.disks(), "disks")) {
            Backstore backstore = backstore(d.backstore());
            Disk disk = new Disk(
                    required(d.pool(), "disks[].pool"),
                    required(d.image(), "disks[].image"),
                    required(d.size(), "disks[].size"),
                    d.wwnSeed(),
                    backstore,
                    d.path());
            images.checkFile(disk);
            disks.add(disk);
        }
        List<Lun> luns = new ArrayList<>();
        for (ConfigExport.Lun l : required(doc.luns(), "luns")) {
            luns.add(new Lun(
                    required(l.target(), "luns[].target"),
                    required(l.lun(), "luns[].lun"),
                    required(l.disk(), "luns[].disk")));
        }
        List<Client> clients = new ArrayList<>();
        for (ConfigExport.Client x : required(doc.clients(), "clients")) {
            String target = required(x.target(), "clients[].target");
            String initiator = required(x.initiator(), "clients[].initiator");
            Authentication old =
                    current.client(target, initiator).map(Client::auth).orElse(Authentication.NONE);
            clients.add(new Client(
                    target,
                    initiator,
                    auth(x.auth(), old, "client " + initiator + " of " + target),
                    x.allLuns() != null && x.allLuns(),
                    x.luns() == null ? null : new TreeSet<>(x.luns())));
        }
        List<HostGroup> groups = new ArrayList<>();
        for (ConfigExport.HostGroup g : required(doc.hostGroups(), "hostGroups")) {
            groups.add(new HostGroup(
                    required(g.target(), "hostGroups[].target"),
                    required(g.name(), "hostGroups[].name"),
                    g.members() == null ? null : new TreeSet<>(g.members()),
                    g.disks() == null ? null : new TreeSet<>(g.disks())));
        }
        List<Gateway> gateways = new ArrayList<>();
        for (ConfigExport.Gateway g : required(doc.gateways(), "gateways")) {
            gateways.add(new Gateway(
                    required(g.name(), "gateways[].name"),
                    required(g.portals(), "gateways[].portals").stream()
                            .map(Portal::parse)
                            .toList(),
                    required(g.targetPortGroup(), "gateways[].targetPortGroup")));
        }
        Authentication discovery =
                auth(required(doc.discoveryAuth(), "discoveryAuth"), current.discoveryAuth(), "discovery");
        Settings settings = new Settings(settable(required(doc.settings(), "settings")));
        return new ClusterConfig(
                current.epoch(),
                current.schema(),
                targets,
                disks,
                gateways,
                luns,
                clients,
                groups,
                discovery,
                settings);
    }

    /** The changes that turn {@code current} into {@code wanted}: deletes of what it lacks, puts of what differs. */
    public static List<ConfigChange> changes(ClusterConfig current, ClusterConfig wanted) {
        List<ConfigChange> out = new ArrayList<>();
        for (Target t : current.targets()) {
            if (wanted.target(t.iqn()).isEmpty()) {
                out.add(new ConfigChange.DeleteTarget(t.iqn())); // with its LUNs, clients and host groups
                continue;
            }
            for (Lun l : current.luns(t.iqn())) {
                if (wanted.luns(t.iqn()).stream().noneMatch(w -> w.number() == l.number())) {
                    out.add(new ConfigChange.DeleteLun(l.target(), l.number()));
                }
            }
            for (Client x : current.clients(t.iqn())) {
                if (wanted.client(x.target(), x.initiator()).isEmpty()) {
                    out.add(new ConfigChange.DeleteClient(x.target(), x.initiator()));
                }
            }
            for (HostGroup g : current.hostGroups(t.iqn())) {
                if (wanted.hostGroups(t.iqn()).stream().noneMatch(w -> w.name().equals(g.name()))) {
                    out.add(new ConfigChange.DeleteHostGroup(g.target(), g.name()));
                }
            }
        }
        current.disks().stream()
                .filter(d -> wanted.disks().stream().noneMatch(w -> w.id().equals(d.id())))
                .forEach(d -> out.add(new ConfigChange.DeleteDisk(d.id())));
        current.gateways().stream()
                .filter(g -> wanted.gateway(g.name()).isEmpty())
                .forEach(g -> out.add(new ConfigChange.DeleteGateway(g.name())));
        Map<String, Object> before = items(current);
        wanted.targets().stream()
                .filter(t -> !t.equals(before.get(key(t))))
                .forEach(t -> out.add(new ConfigChange.PutTarget(t)));
        wanted.disks().stream()
                .filter(d -> !d.equals(before.get(key(d))))
                .forEach(d -> out.add(new ConfigChange.PutDisk(d)));
        wanted.luns().stream()
                .filter(l -> !l.equals(before.get(key(l))))
                .forEach(l -> out.add(new ConfigChange.PutLun(l)));
        wanted.clients().stream()
                .filter(x -> !x.equals(before.get(key(x))))
                .forEach(x -> out.add(new ConfigChange.PutClient(x)));
        wanted.hostGroups().stream()
                .filter(g -> !g.equals(before.get(key(g))))
                .forEach(g -> out.add(new ConfigChange.PutHostGroup(g)));
        wanted.gateways().stream()
                .filter(g -> !g.equals(before.get(key(g))))
                .forEach(g -> out.add(new ConfigChange.PutGateway(g)));
        if (!wanted.discoveryAuth().equals(current.discoveryAuth())) {
            out.add(new ConfigChange.PutDiscoveryAuth(wanted.discoveryAuth()));
        }
        if (!wanted.settings().equals(current.settings())) {
            out.add(new ConfigChange.PutSettings(wanted.settings()));
        }
        return out;
    }

    /** What differs between two configurations, item by item (see {@link io.rbdgw.admin.api.ImportResult}). */
    public record Diff(List<String> added, List<String> removed, List<String> changed) {}

    public Diff diff(ClusterConfig current, ClusterConfig wanted) {
        // compare secrets by their plaintext: the same secret sealed twice differs in its stored form
        Map<String, Object> before = items(Secrets.map(current, this::openIfPossible));
        Map<String, Object> after = items(Secrets.map(wanted, this::openIfPossible));
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        after.forEach((k, v) -> {
            if (!before.containsKey(k)) {
                added.add(k);
            } else if (!before.get(k).equals(v)) {
                changed.add(k);
            }
        });
        before.keySet().stream().filter(k -> !after.containsKey(k)).forEach(removed::add);
        return new Diff(added, removed, changed);
    }

    private String openIfPossible(String s) {
        if (box != null && SecretBox.isSealed(s)) {
            try {
                return box.open(s);
            } catch (IllegalArgumentException unreadable) {
                return s;
            }
        }
        return s;
    }

    private static Map<String, Object> items(ClusterConfig c) {
        Map<String, Object> out = new LinkedHashMap<>();
        c.targets().forEach(t -> out.put(key(t), t));
        c.disks().forEach(d -> out.put(key(d), d));
        c.luns().forEach(l -> out.put(key(l), l));
        c.clients().forEach(x -> out.put(key(x), x));
        c.hostGroups().forEach(g -> out.put(key(g), g));
        c.gateways().forEach(g -> out.put(key(g), g));
        c.settings().values().forEach((k, v) -> out.put("setting " + k, v));
        out.put("discoveryAuth", c.discoveryAuth());
        return out;
    }

    private static String key(Target t) {
        return "target " + t.iqn();
    }

    private static String key(Disk d) {
        return "disk " + d.id();
    }

    private static String key(Lun l) {
        return "lun " + l.target() + "/" + l.number();
    }

    private static String key(Client x) {
        return "client " + x.target() + "/" + x.initiator();
    }

    private static String key(HostGroup g) {
        return "hostGroup " + g.target() + "/" + g.name();
    }

    private static String key(Gateway g) {
        return "gateway " + g.name();
    }

    private Authentication auth(ConfigExport.Auth a, Authentication old, String what) {
        if (a == null || a.chap() == null) {
            if (a != null && a.mutualChap() != null) {
                throw ApiException.badRequest(what + ": mutualChap needs chap");
            }
            return Authentication.NONE;
        }
        return new Authentication(
                chap(a.chap(), Optional.ofNullable(old.chap()), what + " CHAP"),
                a.mutualChap() == null
                        ? null
                        : chap(a.mutualChap(), Optional.ofNullable(old.mutualChap()), what + " mutual CHAP"));
    }

    private ChapCredentials chap(ConfigExport.Chap c, Optional<ChapCredentials> old, String what) {
        String user = required(c.user(), what + " user");
        String secret = c.secret();
        if (secret == null) {
            // an export without secrets: keep what the cluster holds for this user
            return old.filter(o -> o.user().equals(user))
                    .orElseThrow(
                            () -> ApiException.badRequest(
                                    what + " (user " + user
                                            + ") has no secret in the document and none in the cluster: export with ?withSecrets=true or set it afterwards"));
        }
        if (SecretBox.isSealed(secret)) {
            if (box == null) {
                throw ApiException.badRequest(
                        what + " (user " + user + ") is encrypted but this admin API has no secretKeyFile:"
                                + " configure the key file the exporting cluster used");
            }
            try {
                box.open(secret);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        what + " (user " + user + ") cannot be decrypted with this admin API's" + " secretKeyFile (key "
                                + SecretBox.keyId(secret) + "): configure the key file the exporting cluster used");
            }
        }
        return new ChapCredentials(user, secret);
    }

    private static TreeMap<String, String> settable(Map<String, String> values) {
        TreeMap<String, String> out = new TreeMap<>();
        if (values != null) {
            values.forEach((k, v) -> {
                Setting s = Setting.of(k);
                out.put(s.key(), s.settable(required(v, "value of " + s.key())));
            });
        }
        return out;
    }

    private static Backstore backstore(String name) {
        if (name == null) {
            return Backstore.RBD;
        }
        try {
            return Backstore.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("backstore '" + name + "' is not rbd, file or memory");
        }
    }

    private static <T> T required(T value, String what) {
        if (value == null || value instanceof String s && s.isBlank()) {
            throw ApiException.badRequest(what + " is missing");
        }
        return value;
    }
}
