package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rbdgw.admin.tls.Pem;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rbdgw}: the command-line client of the admin API. Connection: {@code --url} (or RBDGW_ADMIN_URL,
 * default http://127.0.0.1:5000), {@code --user} (admin), the password from {@code --password-file} or
 * RBDGW_ADMIN_PASSWORD; for https, {@code --cacert} (or RBDGW_CACERT) names the certificate to trust. Human output
 * is tables; {@code --json} prints the API's JSON.
 */
@Command(name = "rbdgw", mixinStandardHelpOptions = true, version = "rbdgw admin CLI",
        description = "Configure an rbdgw iSCSI gateway cluster through its admin API.",
        subcommands = {RbdgwCli.Targets.class, RbdgwCli.Disks.class, RbdgwCli.Luns.class, RbdgwCli.Clients.class,
                RbdgwCli.HostGroups.class, RbdgwCli.DiscoveryAuth.class, RbdgwCli.Gateways.class, RbdgwCli.Epoch.class,
                RbdgwCli.SettingsCmd.class, RbdgwCli.Sessions.class, RbdgwCli.Alua.class, RbdgwCli.Failovers.class,
                RbdgwCli.Secrets.class, RbdgwCli.Audit.class})
public final class RbdgwCli {
    @Option(names = "--url", description = "admin API base URL (env RBDGW_ADMIN_URL; default http://127.0.0.1:5000)")
    String url;
    @Option(names = "--user", defaultValue = "admin", description = "user (default admin)")
    String user;
    @Option(names = "--password-file", description = "file whose first line is the password (else env RBDGW_ADMIN_PASSWORD)")
    Path passwordFile;
    @Option(names = "--cacert", paramLabel = "FILE",
            description = "PEM certificate(s) to trust for an https URL: the CA or the server's own (env RBDGW_CACERT; default the JDK's CAs)")
    Path cacert;
    @Option(names = "--json", description = "print the API's JSON instead of tables")
    boolean json;

    private final PrintStream out;
    private final Map<String, String> env;

    private RbdgwCli(PrintStream out, Map<String, String> env) {
        this.out = out;
        this.env = env;
    }

    /** Runs the CLI; returns the exit code (0 ok, 1 refused by the API or unreachable, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        RbdgwCli root = new RbdgwCli(out, env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ApiClient.ApiError a) {
                err.println("error: " + a.getMessage() + (a.status() > 0 ? " (HTTP " + a.status() + ")" : ""));
                return 1;
            }
            if (e instanceof IllegalArgumentException || e instanceof IOException) {
                err.println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    ApiClient client() throws IOException {
        String base = url != null ? url : env.getOrDefault("RBDGW_ADMIN_URL", "http://127.0.0.1:5000");
        String password;
        if (passwordFile != null) {
            List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
            password = lines.isEmpty() ? "" : lines.get(0).strip();
        } else {
            password = env.get("RBDGW_ADMIN_PASSWORD");
        }
        Path ca = cacert != null ? cacert : env.containsKey("RBDGW_CACERT") ? Path.of(env.get("RBDGW_CACERT")) : null;
        return new ApiClient(URI.create(base), user, password, ca == null ? null : Pem.trusting(ca));
    }

    // ---- shared plumbing ----------------------------------------------------------------------------------

    /** A leaf command: runs {@link #call(ApiClient)} and prints through the root's options. */
    abstract static class Leaf implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        RbdgwCli root() {
            return (RbdgwCli) spec.root().userObject();
        }

        @Override
        public Integer call() throws Exception {
            call(root().client());
            return 0;
        }

        abstract void call(ApiClient api) throws Exception;

        PrintStream out() {
            return root().out;
        }

        /** With {@code --json}, prints the API's answer as it is and returns true; otherwise prints nothing. */
        boolean printedJson(JsonNode n) {
            if (root().json) {
                out().println(n.toPrettyString());
            }
            return root().json;
        }

        /** Prints a list of objects as a table of the given fields (JSON pointers relative to each row). */
        void table(JsonNode list, String... columns) {
            if (printedJson(list)) {
                return;
            }
            List<String[]> rows = new ArrayList<>();
            String[] header = new String[columns.length];
            for (int i = 0; i < columns.length; i++) {
                header[i] = columns[i].replace("/", " ").trim().toUpperCase(java.util.Locale.ROOT);
            }
            rows.add(header);
            for (JsonNode n : list) {
                String[] r = new String[columns.length];
                for (int i = 0; i < columns.length; i++) {
                    r[i] = printable(text(n.at(columns[i].startsWith("/") ? columns[i] : "/" + columns[i])));
                }
                rows.add(r);
            }
            int[] width = new int[columns.length];
            rows.forEach(r -> {
                for (int i = 0; i < r.length; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            });
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    sb.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
                }
                out().println(sb.toString().stripTrailing());
            }
        }

        /** Prints one object as "key: value" lines. */
        void object(JsonNode n) {
            if (printedJson(n)) {
                return;
            }
            n.fields().forEachRemaining(e -> out().println(e.getKey() + ": " + text(e.getValue())));
        }

        /** Prints the answer to a change: the epoch it committed at. */
        void changed(JsonNode n, String what) {
            if (printedJson(n)) {
                return;
            }
            out().println(what + " (epoch " + n.path("epoch").asText() + ")");
        }

        /** {@code s} with control characters as {@code \xNN}: table cells may hold what initiators sent. */
        static String printable(String s) {
            StringBuilder b = null;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean control = c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == '\u2028' || c == '\u2029';
                if (control && b == null) {
                    b = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                if (b != null) {
                    if (control) {
                        b.append(String.format("\\x%02x", (int) c & 0xff));
                    } else {
                        b.append(c);
                    }
                }
            }
            return b == null ? s : b.toString();
        }

        /** After a session table: says when gateways had more sessions than they list (at most 256 each). */
        void truncationNote(ApiClient api) {
            if (!root().json && "true".equals(api.lastHeader("X-Sessions-Truncated"))) {
                out().println("(" + api.lastHeader("X-Sessions-Total")
                        + " sessions in all: a gateway lists at most 256 of its sessions)");
            }
        }

        static String text(JsonNode v) {
            if (v == null || v.isMissingNode() || v.isNull()) {
                return "-";
            }
            if (v.isArray()) {
                List<String> parts = new ArrayList<>();
                v.forEach(x -> parts.add(x.isObject() && x.has("lun") ? x.get("lun").asText() + ":" + x.path("disk").asText()
                        : x.isValueNode() ? x.asText() : x.toString()));
                return parts.isEmpty() ? "-" : String.join(",", parts);
            }
            if (v.isObject() && v.has("chap")) {
                JsonNode c = v.get("chap");
                if (c.isNull()) {
                    return "none";
                }
                return "chap:" + c.path("user").asText() + (v.path("mutualChap").isObject() ? " mutual:" + v.at("/mutualChap/user").asText() : "");
            }
            return v.isValueNode() ? v.asText() : v.toString();
        }
    }

    /** A command on one client of a target: TARGET INITIATOR first. */
    abstract static class ClientLeaf extends Leaf {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;
        @Parameters(index = "1", paramLabel = "INITIATOR")
        String initiator;

        String client() {
            return t(target) + "/clients/" + ApiClient.seg(initiator);
        }
    }

    /** A command on one host group of a target: TARGET NAME first. */
    abstract static class HostGroupLeaf extends Leaf {
        @Parameters(index = "0", paramLabel = "TARGET")
        String target;
        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        String group() {
            return t(target) + "/hostgroups/" + ApiClient.seg(name);
        }
    }

    /** CHAP options shared by target, client and discovery auth. */
    static final class ChapOptions {
        @Option(names = "--chap-user", required = true, description = "CHAP user name (8-64 characters)")
        String user;
        @Option(names = "--chap-secret", description = "CHAP secret (visible in ps; prefer --chap-secret-file)")
        String secret;
        @Option(names = "--chap-secret-file", description = "file whose first line is the CHAP secret")
        Path secretFile;
        @Option(names = "--mutual-user", description = "mutual CHAP user (the target's name towards the initiator)")
        String mutualUser;
        @Option(names = "--mutual-secret", description = "mutual CHAP secret")
        String mutualSecret;
        @Option(names = "--mutual-secret-file", description = "file whose first line is the mutual CHAP secret")
        Path mutualSecretFile;

        Map<String, Object> body() throws IOException {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("chap", Map.of("user", user, "secret", secret(secret, secretFile, "--chap-secret")));
            if (mutualUser != null) {
                b.put("mutualChap", Map.of("user", mutualUser, "secret", secret(mutualSecret, mutualSecretFile, "--mutual-secret")));
            }
            return b;
        }

        private static String secret(String value, Path file, String option) throws IOException {
            if (file != null) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                return lines.isEmpty() ? "" : lines.get(0).strip();
            }
            if (value == null) {
                throw new IllegalArgumentException(option + " or " + option + "-file is required");
            }
            return value;
        }
    }

    /** {@code path} with {@code ?force=true} when forced: the API then accepts taking LUNs from logged-in hosts. */
    static String forced(String path, boolean force) {
        return force ? path + "?force=true" : path;
    }

    static String t(String iqn) {
        return "/api/targets/" + ApiClient.seg(iqn);
    }

    /** {@code pool/image} split in two, or a usage error. */
    static String[] poolImage(String id) {
        int slash = id.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("disk '" + id + "' is not pool/image");
        }
        return new String[] {id.substring(0, slash), id.substring(slash + 1)};
    }

    static String disk(String id) {
        String[] p = poolImage(id);
        return "/api/disks/" + ApiClient.seg(p[0]) + "/" + ApiClient.seg(p[1]);
    }

    /**
     * {@code path} with a query string of the given name/value pairs whose value is not null (values
     * encoded), or {@code path} alone when every value is null.
     */
    static String query(String path, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("query needs name/value pairs");
        }
        StringBuilder q = new StringBuilder(path);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            Object value = namesAndValues[i + 1];
            if (value != null) {
                q.append(q.length() == path.length() ? '?' : '&').append(namesAndValues[i]).append('=')
                        .append(ApiClient.seg(value.toString()));
            }
        }
        return q.toString();
    }

    // ---- targets -------------------------------------------------------------------------------------------

    @Command(name = "target", description = "iSCSI targets", subcommands = {Targets.List_.class, Targets.Show.class,
            Targets.Create.class, Targets.Set.class, Targets.Delete.class, Targets.Auth.class, Targets.NoAuth.class})
    static final class Targets {
        @Command(name = "list", description = "list targets")
        static final class List_ extends Leaf {
            void call(ApiClient api) throws Exception {
                table(api.get("/api/targets"), "iqn", "alias", "acl", "auth", "luns", "clients");
            }
        }

        @Command(name = "show", description = "show one target")
        static final class Show extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;

            void call(ApiClient api) throws Exception {
                object(api.get(t(iqn)));
            }
        }

        @Command(name = "create", description = "create a target")
        static final class Create extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;
            @Option(names = "--alias")
            String alias;
            @Option(names = "--no-acl", description = "let any initiator log in (target-level CHAP applies)")
            boolean noAcl;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("iqn", iqn);
                if (alias != null) {
                    b.put("alias", alias);
                }
                b.put("acl", !noAcl);
                changed(api.post("/api/targets", b), "created target " + iqn);
            }
        }

        @Command(name = "set", description = "change alias, ACL mode or parameter overrides")
        static final class Set extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;
            @Option(names = "--alias")
            String alias;
            @Option(names = "--acl", arity = "1", description = "true or false")
            Boolean acl;
            @Option(names = "--param", description = "KEY=VALUE override; KEY= removes it")
            Map<String, String> params;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                if (alias != null) {
                    b.put("alias", alias);
                }
                if (acl != null) {
                    b.put("acl", acl);
                }
                if (params != null) {
                    Map<String, String> p = new LinkedHashMap<>();
                    params.forEach((k, v) -> p.put(k, v == null || v.isEmpty() ? null : v));
                    b.put("parameters", p);
                }
                changed(api.put(forced(t(iqn), force), b), "changed target " + iqn);
            }
        }

        @Command(name = "delete", description = "delete a target with its LUNs, clients and host groups (disks stay)")
        static final class Delete extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.delete(forced(t(iqn), force)), "deleted target " + iqn);
            }
        }

        @Command(name = "auth", description = "set target-level CHAP (used when the ACL is off)")
        static final class Auth extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;
            @CommandLine.Mixin
            ChapOptions chap;

            void call(ApiClient api) throws Exception {
                changed(api.put(t(iqn) + "/auth", chap.body()), "set CHAP of target " + iqn);
            }
        }

        @Command(name = "noauth", description = "clear target-level CHAP")
        static final class NoAuth extends Leaf {
            @Parameters(paramLabel = "IQN")
            String iqn;

            void call(ApiClient api) throws Exception {
                changed(api.delete(t(iqn) + "/auth"), "cleared CHAP of target " + iqn);
            }
        }
    }

    // ---- disks ---------------------------------------------------------------------------------------------

    @Command(name = "disk", description = "disks (RBD images or files)", subcommands = {Disks.List_.class, Disks.Show.class,
            Disks.Create.class, Disks.Resize.class, Disks.Delete.class, Disks.Snapshot.class})
    static final class Disks {
        @Command(name = "list", description = "list disks")
        static final class List_ extends Leaf {
            void call(ApiClient api) throws Exception {
                table(api.get("/api/disks"), "id", "size", "backstore", "luns");
            }
        }

        @Command(name = "show", description = "show one disk")
        static final class Show extends Leaf {
            @Parameters(paramLabel = "POOL/IMAGE")
            String id;

            void call(ApiClient api) throws Exception {
                object(api.get(disk(id)));
            }
        }

        @Command(name = "create", description = "create (or --import) a disk")
        static final class Create extends Leaf {
            @Parameters(paramLabel = "POOL/IMAGE")
            String id;
            @Option(names = "--size", description = "e.g. 10G (optional with --import)")
            String size;
            @Option(names = "--backstore", defaultValue = "rbd", description = "rbd or file (default rbd)")
            String backstore;
            @Option(names = "--import", description = "use an existing image or file")
            boolean importExisting;
            @Option(names = "--wwn-seed")
            String wwnSeed;

            void call(ApiClient api) throws Exception {
                String[] p = poolImage(id);
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("pool", p[0]);
                b.put("image", p[1]);
                if (size != null) {
                    b.put("size", size);
                }
                b.put("backstore", backstore);
                b.put("create", !importExisting);
                if (wwnSeed != null) {
                    b.put("wwnSeed", wwnSeed);
                }
                changed(api.post("/api/disks", b), (importExisting ? "imported disk " : "created disk ") + id);
            }
        }

        @Command(name = "resize", description = "grow a disk")
        static final class Resize extends Leaf {
            @Parameters(paramLabel = "POOL/IMAGE")
            String id;
            @Option(names = "--size", required = true)
            String size;

            void call(ApiClient api) throws Exception {
                JsonNode r = api.put(disk(id) + "/size", Map.of("size", size));
                changed(r, "resized disk " + id + " to " + r.at("/value/size").asText() + " bytes");
            }
        }

        @Command(name = "delete", description = "delete a disk and its image (unless --preserve-image)")
        static final class Delete extends Leaf {
            @Parameters(paramLabel = "POOL/IMAGE")
            String id;
            @Option(names = "--preserve-image")
            boolean preserve;

            void call(ApiClient api) throws Exception {
                changed(api.delete(disk(id) + (preserve ? "?preserveImage=true" : "")), "deleted disk " + id);
            }
        }

        @Command(name = "snapshot", description = "snapshots of an RBD disk: list, create, rollback, delete")
        static final class Snapshot extends Leaf {
            @Parameters(index = "0", paramLabel = "ACTION", description = "list, create, rollback or delete")
            String action;
            @Parameters(index = "1", paramLabel = "POOL/IMAGE")
            String id;
            @Parameters(index = "2", arity = "0..1", paramLabel = "NAME")
            String name;
            @Option(names = "--force", description = "roll back even while the disk is exported")
            boolean force;

            void call(ApiClient api) throws Exception {
                String base = disk(id) + "/snapshots";
                switch (action) {
                    case "list" -> table(api.get(base), "name", "size");
                    case "create" -> {
                        api.post(base, Map.of("name", need(name)));
                        out().println("created snapshot " + name + " of " + id);
                    }
                    case "rollback" -> {
                        api.post(base + "/" + ApiClient.seg(need(name)) + "/rollback" + (force ? "?force=true" : ""), null);
                        out().println("rolled " + id + " back to " + name);
                    }
                    case "delete" -> {
                        api.delete(base + "/" + ApiClient.seg(need(name)));
                        out().println("deleted snapshot " + name + " of " + id);
                    }
                    default -> throw new IllegalArgumentException("unknown snapshot action '" + action + "': use list, create, rollback or delete");
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

    // ---- LUNs ----------------------------------------------------------------------------------------------

    @Command(name = "lun", description = "LUNs of a target", subcommands = {Luns.List_.class, Luns.Add.class, Luns.Remove.class})
    static final class Luns {
        @Command(name = "list")
        static final class List_ extends Leaf {
            @Parameters(paramLabel = "TARGET")
            String target;

            void call(ApiClient api) throws Exception {
                table(api.get(t(target) + "/luns"), "lun", "disk");
            }
        }

        @Command(name = "add", description = "export a disk as a LUN")
        static final class Add extends Leaf {
            @Parameters(index = "0", paramLabel = "TARGET")
            String target;
            @Parameters(index = "1", paramLabel = "POOL/IMAGE")
            String diskId;
            @Option(names = "--lun", description = "LUN number (default: lowest free)")
            Integer lun;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("disk", diskId);
                if (lun != null) {
                    b.put("lun", lun);
                }
                JsonNode r = api.post(t(target) + "/luns", b);
                changed(r, "added LUN " + r.at("/value/lun").asText() + " (" + diskId + ") to " + target);
            }
        }

        @Command(name = "remove")
        static final class Remove extends Leaf {
            @Parameters(index = "0", paramLabel = "TARGET")
            String target;
            @Parameters(index = "1", paramLabel = "LUN")
            int lun;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.delete(forced(t(target) + "/luns/" + lun, force)), "removed LUN " + lun + " from " + target);
            }
        }
    }

    // ---- clients -------------------------------------------------------------------------------------------

    @Command(name = "client", description = "client ACLs of a target", subcommands = {Clients.List_.class, Clients.Show.class, Clients.Create.class,
            Clients.Delete.class, Clients.Auth.class, Clients.NoAuth.class, Clients.Map_.class, Clients.Unmap.class})
    static final class Clients {
        @Command(name = "list")
        static final class List_ extends Leaf {
            @Parameters(paramLabel = "TARGET")
            String target;

            void call(ApiClient api) throws Exception {
                table(api.get(t(target) + "/clients"), "initiator", "auth", "allLuns", "luns", "hostGroup", "effectiveLuns");
            }
        }

        @Command(name = "show", description = "one client: its LUNs, host group and the LUNs it effectively sees")
        static final class Show extends ClientLeaf {

            void call(ApiClient api) throws Exception {
                object(api.get(client()));
            }
        }

        @Command(name = "create", description = "allow an initiator: it sees its --lun LUNs and its host group's disks, or --all-luns")
        static final class Create extends ClientLeaf {
            @Option(names = "--lun", description = "a LUN it sees (repeatable)")
            List<Integer> luns;
            @Option(names = "--all-luns", description = "it sees every LUN of the target, present and future")
            boolean allLuns;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("initiator", initiator);
                if (luns != null) {
                    b.put("luns", luns);
                }
                if (allLuns) {
                    b.put("allLuns", true);
                }
                changed(api.post(t(target) + "/clients", b), "created client " + initiator);
            }
        }

        @Command(name = "delete")
        static final class Delete extends ClientLeaf {
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.delete(forced(client(), force)), "deleted client " + initiator);
            }
        }

        @Command(name = "auth", description = "set CHAP (and mutual CHAP) of a client")
        static final class Auth extends ClientLeaf {
            @CommandLine.Mixin
            ChapOptions chap;

            void call(ApiClient api) throws Exception {
                changed(api.put(client() + "/auth", chap.body()), "set CHAP of client " + initiator);
            }
        }

        @Command(name = "noauth", description = "clear CHAP of a client")
        static final class NoAuth extends ClientLeaf {

            void call(ApiClient api) throws Exception {
                changed(api.delete(client() + "/auth"), "cleared CHAP of client " + initiator);
            }
        }

        @Command(name = "map", description = "let a client see a LUN")
        static final class Map_ extends ClientLeaf {
            @Parameters(index = "2", paramLabel = "LUN")
            int lun;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.put(forced(client() + "/luns/" + lun, force), null), "mapped LUN " + lun + " to " + initiator);
            }
        }

        @Command(name = "unmap", description = "hide a LUN from a client")
        static final class Unmap extends ClientLeaf {
            @Parameters(index = "2", paramLabel = "LUN")
            int lun;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.delete(forced(client() + "/luns/" + lun, force)), "unmapped LUN " + lun + " from " + initiator);
            }
        }
    }

    // ---- host groups ---------------------------------------------------------------------------------------

    @Command(name = "hostgroup", description = "host groups of a target", subcommands = {HostGroups.List_.class,
            HostGroups.Create.class, HostGroups.Delete.class, HostGroups.Edit.class})
    static final class HostGroups {
        @Command(name = "list")
        static final class List_ extends Leaf {
            @Parameters(paramLabel = "TARGET")
            String target;

            void call(ApiClient api) throws Exception {
                table(api.get(t(target) + "/hostgroups"), "name", "members", "disks");
            }
        }

        @Command(name = "create")
        static final class Create extends HostGroupLeaf {
            @Option(names = "--member", description = "initiator (repeatable)")
            List<String> members;
            @Option(names = "--disk", description = "pool/image (repeatable)")
            List<String> disks;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("name", name);
                b.put("members", members == null ? List.of() : members);
                b.put("disks", disks == null ? List.of() : disks);
                changed(api.post(t(target) + "/hostgroups", b), "created host group " + name);
            }
        }

        @Command(name = "delete")
        static final class Delete extends HostGroupLeaf {
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                changed(api.delete(forced(group(), force)), "deleted host group " + name);
            }
        }

        @Command(name = "edit", description = "add-member, remove-member, add-disk or remove-disk")
        static final class Edit extends HostGroupLeaf {
            @Parameters(index = "2", paramLabel = "ACTION")
            String action;
            @Parameters(index = "3", paramLabel = "INITIATOR|POOL/IMAGE")
            String item;
            @Option(names = "--force", description = "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)")
            boolean force;

            void call(ApiClient api) throws Exception {
                String base = group();
                JsonNode r = switch (action) {
                    case "add-member" -> api.put(forced(base + "/members/" + ApiClient.seg(item), force), null);
                    case "remove-member" -> api.delete(forced(base + "/members/" + ApiClient.seg(item), force));
                    case "add-disk" -> api.put(forced(base + disk(item).replace("/api/disks", "/disks"), force), null);
                    case "remove-disk" -> api.delete(forced(base + disk(item).replace("/api/disks", "/disks"), force));
                    default -> throw new IllegalArgumentException("unknown action '" + action + "': use add-member, remove-member, add-disk or remove-disk");
                };
                changed(r, "host group " + name + ": " + action + " " + item);
            }
        }
    }

    // ---- discovery auth, gateways, epoch, settings, sessions ------------------------------------------------

    @Command(name = "secrets", description = "encryption of the CHAP secrets in ZooKeeper", subcommands = {Secrets.Rotate.class})
    static final class Secrets {
        @Command(name = "rotate", description = "re-encrypt every CHAP secret with the newest key of the key file")
        static final class Rotate extends Leaf {
            void call(ApiClient api) throws Exception {
                JsonNode r = api.post("/api/secrets/rotate", Map.of());
                changed(r, "re-encrypted " + r.path("value").path("reencrypted").asText() + " secret(s) with key "
                        + r.path("value").path("keyId").asText());
            }
        }
    }

    @Command(name = "discovery-auth", description = "CHAP for discovery sessions", subcommands = {DiscoveryAuth.Show.class,
            DiscoveryAuth.Set.class, DiscoveryAuth.Clear.class})
    static final class DiscoveryAuth {
        @Command(name = "show")
        static final class Show extends Leaf {
            void call(ApiClient api) throws Exception {
                JsonNode a = api.get("/api/discovery-auth");
                if (root().json) {
                    object(a);
                } else {
                    out().println("discovery auth: " + text(a));
                }
            }
        }

        @Command(name = "set")
        static final class Set extends Leaf {
            @CommandLine.Mixin
            ChapOptions chap;

            void call(ApiClient api) throws Exception {
                changed(api.put("/api/discovery-auth", chap.body()), "set discovery CHAP");
            }
        }

        @Command(name = "clear")
        static final class Clear extends Leaf {
            void call(ApiClient api) throws Exception {
                changed(api.delete("/api/discovery-auth"), "cleared discovery CHAP");
            }
        }
    }

    @Command(name = "gateway", description = "gateways", subcommands = {Gateways.List_.class, Gateways.Add.class,
            Gateways.Delete.class, Gateways.GwSessions.class, Gateways.Drain.class, Gateways.Undrain.class,
            Gateways.DrainStatus.class})
    static final class Gateways {
        @Command(name = "list")
        static final class List_ extends Leaf {
            void call(ApiClient api) throws Exception {
                table(api.get("/api/gateways"), "name", "portals", "targetPortGroup", "alive", "appliedEpoch", "health",
                        "draining", "ownedDisks");
            }
        }

        @Command(name = "add", description = "declare a gateway")
        static final class Add extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;
            @Option(names = "--portal", required = true, description = "host[:port] (repeatable)")
            List<String> portals;
            @Option(names = "--tpg", description = "target port group id (default: lowest free)")
            Integer tpg;

            void call(ApiClient api) throws Exception {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("name", name);
                b.put("portals", portals);
                if (tpg != null) {
                    b.put("targetPortGroup", tpg);
                }
                changed(api.post("/api/gateways", b), "added gateway " + name);
            }
        }

        @Command(name = "delete")
        static final class Delete extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;

            void call(ApiClient api) throws Exception {
                changed(api.delete("/api/gateways/" + ApiClient.seg(name)), "deleted gateway " + name);
            }
        }

        @Command(name = "drain", description = "move a gateway's LUN ownership to the other gateways before maintenance")
        static final class Drain extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;
            @Option(names = "--wait", paramLabel = "SECONDS",
                    description = "wait up to SECONDS until it owns nothing (exit 1 if it still does)")
            Integer waitSeconds;

            void call(ApiClient api) throws Exception {
                String path = "/api/gateways/" + ApiClient.seg(name) + "/drain";
                JsonNode s = api.post(path, Map.of());
                if (waitSeconds != null) {
                    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
                    while (!s.path("complete").asBoolean() && System.nanoTime() < deadline) {
                        Thread.sleep(250);
                        s = api.get(path);
                    }
                    if (!s.path("complete").asBoolean()) {
                        object(s);
                        throw new ApiClient.ApiError(0, "gateway " + name + " still owns " + text(s.path("ownedDisks"))
                                + " after " + waitSeconds + " s");
                    }
                }
                object(s);
            }
        }

        @Command(name = "undrain", description = "end a drain: the gateway gets its share of LUNs back after settling")
        static final class Undrain extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;

            void call(ApiClient api) throws Exception {
                object(api.delete("/api/gateways/" + ApiClient.seg(name) + "/drain"));
            }
        }

        @Command(name = "drain-status", description = "whether a gateway is draining and what it still owns")
        static final class DrainStatus extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;

            void call(ApiClient api) throws Exception {
                object(api.get("/api/gateways/" + ApiClient.seg(name) + "/drain"));
            }
        }

        @Command(name = "sessions", description = "iSCSI sessions on one gateway")
        static final class GwSessions extends Leaf {
            @Parameters(paramLabel = "NAME")
            String name;

            void call(ApiClient api) throws Exception {
                table(api.get("/api/gateways/" + ApiClient.seg(name) + "/sessions"), "target", "initiator", "isid", "tsih", "connections");
                truncationNote(api);
            }
        }
    }

    @Command(name = "epoch", description = "the configuration epoch and which gateways have applied it")
    static final class Epoch extends Leaf {
        void call(ApiClient api) throws Exception {
            JsonNode e = api.get("/api/config/epoch");
            if (printedJson(e)) {
                return;
            }
            out().println("epoch " + e.path("epoch").asText());
            table(e.path("gateways"), "name", "alive", "appliedEpoch", "health", "upToDate");
        }
    }

    @Command(name = "settings", description = "cluster-wide settings: list, set KEY VALUE, reset KEY")
    static final class SettingsCmd extends Leaf {
        @Parameters(index = "0", arity = "0..1", paramLabel = "ACTION", defaultValue = "list")
        String action;
        @Parameters(index = "1", arity = "0..1", paramLabel = "KEY")
        String key;
        @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE")
        String value;

        void call(ApiClient api) throws Exception {
            switch (action) {
                case "list" -> table(api.get("/api/settings"), "key", "value", "defaultValue", "overridden");
                case "set" -> {
                    if (key == null || value == null) {
                        throw new IllegalArgumentException("settings set KEY VALUE");
                    }
                    changed(api.put("/api/settings/" + ApiClient.seg(key), Map.of("value", value)), "set " + key + "=" + value);
                }
                case "reset" -> {
                    if (key == null) {
                        throw new IllegalArgumentException("settings reset KEY");
                    }
                    changed(api.delete("/api/settings/" + ApiClient.seg(key)), "reset " + key);
                }
                default -> throw new IllegalArgumentException("unknown settings action '" + action + "': use list, set or reset");
            }
        }
    }

    @Command(name = "sessions", description = "iSCSI sessions on all gateways")
    static final class Sessions extends Leaf {
        @Option(names = "--target")
        String target;
        @Option(names = "--initiator")
        String initiator;

        void call(ApiClient api) throws Exception {
            table(api.get(query("/api/sessions", "target", target, "initiator", initiator)), "gateway", "target", "initiator", "isid", "tsih", "connections");
            truncationNote(api);
        }
    }

    @Command(name = "alua", description = "per disk: owner and the ALUA state of every gateway's port group")
    static final class Alua extends Leaf {
        @Option(names = "--disk", paramLabel = "POOL/IMAGE")
        String disk;
        @Option(names = "--gateway", description = "only disks this gateway owns")
        String gateway;

        void call(ApiClient api) throws Exception {
            JsonNode list = api.get(query("/api/alua", "disk", disk, "gateway", gateway));
            if (!root().json) {
                // one column "gateway=STATE ..." per disk instead of nested objects
                for (JsonNode d : list) {
                    List<String> ports = new ArrayList<>();
                    d.path("ports").forEach(p -> ports.add(p.path("gateway").asText() + "=" + p.path("state").asText()
                            + (p.path("draining").asBoolean() ? "(draining)" : "")));
                    ((com.fasterxml.jackson.databind.node.ObjectNode) d).put("states", String.join(" ", ports));
                }
            }
            table(list, "disk", "owner", "epoch", "ownerAlive", "luns", "states");
        }
    }

    @Command(name = "failovers", description = "history of LUN ownership moves (newest first)")
    static final class Failovers extends Leaf {
        @Option(names = "--limit", description = "at most this many")
        Integer limit;
        @Option(names = "--disk", paramLabel = "POOL/IMAGE")
        String disk;
        @Option(names = "--gateway", description = "moves from or to this gateway")
        String gateway;
        @Option(names = "--reason", description = "ASSIGNED, GATEWAY_LOST, DRAINED, FAILBACK or REBALANCE")
        String reason;

        void call(ApiClient api) throws Exception {
            JsonNode list = api.get(query("/api/alua/failovers", "limit", limit, "disk", disk, "gateway", gateway,
                    "reason", reason));
            if (!root().json) {
                for (JsonNode e : list) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("written",
                            java.time.Instant.ofEpochMilli(e.path("writtenAtMillis").asLong()).toString());
                }
            }
            table(list, "written", "disk", "from", "to", "reason", "epoch", "durationMillis");
        }
    }

    @Command(name = "audit", description = "accepted changes, newest first: when, who, from where, what, resulting epoch")
    static final class Audit extends Leaf {
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
