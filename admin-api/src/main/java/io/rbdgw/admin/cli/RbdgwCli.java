package io.rbdgw.admin.cli;

import io.rbdgw.admin.tls.Pem;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code rbdgw}: the command-line client of the admin API. Connection: {@code --url} (or RBDGW_ADMIN_URL,
 * default http://127.0.0.1:5000), {@code --user} (admin), the password from {@code --password-file} or
 * RBDGW_ADMIN_PASSWORD; for https, {@code --cacert} (or RBDGW_CACERT) names the certificate to trust. Human output
 * is tables; {@code --json} prints the API's JSON. Each command group is a class of its own ({@link TargetCommands},
 * {@link DiskCommands}, ...); every command and group answers {@code --help} (inherited from here).
 *
 * <p>Exit codes: 0 done, 1 refused by the API or the API unreachable (the server's message on stderr), 2 usage.
 */
@Command(
        name = "rbdgw",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        versionProvider = RbdgwCli.BuildVersion.class,
        description = "Configure an rbdgw iSCSI gateway cluster through its admin API.",
        subcommands = {
            OverviewCommands.Ls.class,
            OverviewCommands.Info.class,
            OverviewCommands.Sysinfo.class,
            TargetCommands.class,
            DiskCommands.class,
            LunCommands.class,
            ClientCommands.class,
            HostGroupCommands.class,
            ClusterCommands.DiscoveryAuth.class,
            GatewayCommands.class,
            ClusterCommands.Epoch.class,
            ClusterCommands.Settings.class,
            ClusterCommands.Sessions.class,
            ClusterCommands.Alua.class,
            ClusterCommands.Failovers.class,
            ClusterCommands.Secrets.class,
            ClusterCommands.Audit.class,
            ConfigCommands.class,
            JobCommands.class
        })
public final class RbdgwCli {
    @Option(
            names = "--url",
            scope = ScopeType.LOCAL,
            description = "admin API base URL (env RBDGW_ADMIN_URL; default http://127.0.0.1:5000)")
    String url;

    @Option(names = "--user", scope = ScopeType.LOCAL, description = "user (default admin)")
    String user;

    @Option(
            names = "--password-file",
            scope = ScopeType.LOCAL,
            description = "file whose first line is the password (else env RBDGW_ADMIN_PASSWORD)")
    Path passwordFile;

    @Option(
            names = "--cacert",
            paramLabel = "FILE",
            scope = ScopeType.LOCAL,
            description =
                    "PEM certificate(s) to trust for an https URL: the CA or the server's own (env RBDGW_CACERT; default the JDK's CAs)")
    Path cacert;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "print the API's JSON instead of tables")
    boolean json;

    private final PrintStream out;
    private final Map<String, String> env;
    private final boolean terminal;

    private RbdgwCli(PrintStream out, Map<String, String> env, boolean terminal) {
        this.out = out;
        this.env = env;
        this.terminal = terminal;
    }

    /** The command tree (for walking it, e.g. to check every command's help). */
    static CommandLine commandLine(PrintStream out, PrintStream err, Map<String, String> env) {
        return commandLine(out, err, env, false);
    }

    /** @param terminal whether {@code out} is a terminal (a job's progress is then one line updated in place) */
    static CommandLine commandLine(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
        CommandLine cl = new CommandLine(new RbdgwCli(out, env, terminal));
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
        return cl;
    }

    /** Runs the CLI; returns the exit code (0 ok, 1 refused by the API or unreachable, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return commandLine(out, err, env).execute(args);
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.out, System.err, System.getenv(), System.console() != null)
                .execute(args));
    }

    PrintStream out() {
        return out;
    }

    boolean terminal() {
        return terminal;
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
        return new ApiClient(
                URI.create(base), user == null ? "admin" : user, password, ca == null ? null : Pem.trusting(ca));
    }

    /** {@code --version}: the build (the jar manifest's Implementation-Version; "dev" when run from classes). */
    static final class BuildVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RbdgwCli.class.getPackage().getImplementationVersion();
            return new String[] {"rbdgw admin CLI " + (v == null ? "dev" : v)};
        }
    }
}
