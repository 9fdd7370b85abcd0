package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A leaf command of {@link RbdgwCli}: runs {@link #call(ApiClient)} against the admin API and prints through the
 * root's options (tables, or the API's JSON with {@code --json}).
 */
abstract class CliCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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
        return root().out();
    }

    boolean json() {
        return root().json;
    }

    /** With {@code --json}, prints the API's answer as it is and returns true; otherwise prints nothing. */
    boolean printedJson(JsonNode n) {
        if (json()) {
            out().println(n.toPrettyString());
        }
        return json();
    }

    /** Prints a list of objects as a table of the given fields (JSON pointers relative to each row). */
    void table(JsonNode list, String... columns) {
        if (printedJson(list)) {
            return;
        }
        List<String[]> rows = new ArrayList<>();
        String[] header = new String[columns.length];
        for (int i = 0; i < columns.length; i++) {
            header[i] = columns[i].replace("/", " ").trim().toUpperCase(Locale.ROOT);
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
        n.fields().forEachRemaining(e -> out().println(e.getKey() + ": " + printable(text(e.getValue()))));
    }

    /** Prints the answer to a change: the epoch it committed at. */
    void changed(JsonNode n, String what) {
        if (printedJson(n)) {
            return;
        }
        out().println(printable(what) + " (epoch " + n.path("epoch").asText() + ")");
    }

    /** After a session table: says when gateways had more sessions than they list (at most 256 each). */
    void truncationNote(ApiClient api) {
        if (!json() && "true".equals(api.lastHeader("X-Sessions-Truncated"))) {
            out().println("(" + api.lastHeader("X-Sessions-Total")
                    + " sessions in all: a gateway lists at most 256 of its sessions)");
        }
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

    static String text(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "-";
        }
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(
                    x.isObject() && x.has("lun")
                            ? x.get("lun").asText() + ":" + x.path("disk").asText()
                            : x.isValueNode() ? x.asText() : x.toString()));
            return parts.isEmpty() ? "-" : String.join(",", parts);
        }
        if (v.isObject() && v.has("chap")) {
            JsonNode c = v.get("chap");
            if (c.isNull()) {
                return "none";
            }
            return "chap:" + c.path("user").asText()
                    + (v.path("mutualChap").isObject()
                            ? " mutual:" + v.at("/mutualChap/user").asText()
                            : "");
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    // ---- paths -------------------------------------------------------------------------------------------

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
                q.append(q.length() == path.length() ? '?' : '&')
                        .append(namesAndValues[i])
                        .append('=')
                        .append(ApiClient.seg(value.toString()));
            }
        }
        return q.toString();
    }

    static final String FORCE_HELP =
            "even if logged-in hosts lose LUNs (they get 06/3F/0E REPORTED LUNS DATA HAS CHANGED)";

    // ---- jobs ---------------------------------------------------------------------------------------------

    /** How a long operation is waited for: by default until it ends (at most {@code --timeout}), or not at all. */
    static final class WaitOptions {
        @Option(names = "--no-wait", description = "start it as a job and print the job id (rbdgw job show ID)")
        boolean noWait;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "600",
                description = "give up waiting for the job after SECONDS (it keeps running; default ${DEFAULT-VALUE})")
        int timeoutSeconds;
    }

    /**
     * Sends a long operation as a job ({@code Prefer: respond-async}) and waits for it: returns what the synchronous
     * request would have answered, or null with {@code --no-wait} (the job was printed). A server that runs it at once
     * answers directly, and that answer is returned.
     */
    JsonNode asJob(ApiClient api, String method, String path, Object body, WaitOptions wait) throws Exception {
        JsonNode r = api.send(method, path, body, Map.of("Prefer", "respond-async"));
        if (api.lastStatus() != 202 || !r.has("id")) {
            return r;
        }
        String id = r.get("id").asText();
        if (wait.noWait) {
            if (!printedJson(r)) {
                out().println("started job " + id + " (" + r.path("kind").asText() + " "
                        + printable(r.path("subject").asText()) + "): rbdgw job show " + id);
            }
            return null;
        }
        long deadline = System.nanoTime() + wait.timeoutSeconds * 1_000_000_000L;
        JsonNode job = r;
        ProgressLine progress = json() ? null : new ProgressLine(out(), root().terminal(), id, r);
        while (!isFinished(job) && System.nanoTime() < deadline) {
            if (progress != null) {
                progress.show(job.path("progress").asInt());
            }
            Thread.sleep(200);
            job = api.get("/api/jobs/" + ApiClient.seg(id));
        }
        if (progress != null) {
            progress.end(job.path("progress").asInt());
        }
        if (!isFinished(job)) {
            throw new ApiClient.ApiError(
                    0,
                    "job " + id + " is still " + job.path("state").asText() + " after " + wait.timeoutSeconds
                            + " s; it keeps running: rbdgw job show " + id);
        }
        if (!"SUCCEEDED".equals(job.path("state").asText())) {
            throw new ApiClient.ApiError(
                    job.path("status").asInt(0), job.path("error").asText("job " + id + " failed"));
        }
        return job.path("result");
    }

    private static boolean isFinished(JsonNode job) {
        String state = job.path("state").asText();
        return state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("INTERRUPTED");
    }

    /**
     * A waited-for job's progress, {@code job 12: deleting rbd/img 45%}: on a terminal one line rewritten in place,
     * otherwise (a log, a pipe) one line per 10 % step, so a log is not flooded.
     */
    static final class ProgressLine {
        private final PrintStream out;
        private final boolean terminal;
        private final String label;
        private int shown = -1;

        ProgressLine(PrintStream out, boolean terminal, String id, JsonNode job) {
            this.out = out;
            this.terminal = terminal;
            String kind = job.path("kind").asText();
            String verb = switch (kind) {
                case "disk.create" -> "creating";
                case "disk.resize" -> "resizing";
                case "disk.delete" -> "deleting";
                default -> kind;
            };
            this.label = "job " + printable(id) + ": " + verb + " "
                    + printable(job.path("subject").asText());
        }

        void show(int percent) {
            int p = Math.max(0, Math.min(100, percent));
            if (terminal) {
                if (p != shown) {
                    out.print("\r" + label + " " + p + "%");
                    out.flush();
                    shown = p;
                }
            } else if (shown < 0 || p / 10 > shown / 10) {
                out.println(label + " " + p + "%");
                shown = p;
            }
        }

        /** The last step (100 % when it succeeded), and the terminal's line ended. */
        void end(int percent) {
            show(percent);
            if (terminal && shown >= 0) {
                out.println();
            }
        }
    }
}
