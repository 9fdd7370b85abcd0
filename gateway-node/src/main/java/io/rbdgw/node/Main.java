package io.rbdgw.node;

import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the gateway process: {@code java -jar gateway-node.jar <command>}. */
@Command(
        name = "gateway-node",
        mixinStandardHelpOptions = true,
        versionProvider = Main.BuildVersion.class,
        description = "rbdgw: an iSCSI gateway for Ceph RBD.",
        subcommands = {StandaloneCommand.class, RunCommand.class})
public final class Main implements Runnable {

    /**
     * This build's version: the runnable jar's manifest ({@code Implementation-Version}, the Maven project version the
     * distribution is named after), or "dev" when running from classes. The gateway publishes it in its membership,
     * Ceph's service map and the {@code rbdgw_build_info} metric, so a rolling upgrade can check what each gateway runs.
     */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    /** {@code --version}: "rbdgw VERSION". */
    static final class BuildVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"rbdgw " + version()};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: standalone, run)");
    }

    /** Netty's own switch for its buffer leak detector; the gateway's default is off (see main). */
    static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    /** Netty's size limit for buffers its per-thread pool caches keep; the gateway's default is 2 MiB. */
    static final String MAX_CACHED_BUFFER_PROPERTY = "io.netty.allocator.maxCachedBufferCapacity";

    static final int MAX_CACHED_BUFFER_BYTES = 2 << 20;

    /**
     * Netty settings that differ from Netty's defaults, unless given on the command line. Must run
     * before anything allocates a pooled buffer (the allocator reads its properties once).
     */
    static void applyNettyDefaults() {
        // Netty's default (SIMPLE) tracks one buffer in 128 and records a stack trace when a tracked
        // buffer is released: a profile of 4K reads on RBD put 6% of the event loop's CPU there. Tests
        // run PARANOID; an operator chasing a leak sets -Dio.netty.leakDetection.level=simple.
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        // Netty's thread caches keep freed buffers of up to 32 KiB only. A 1 MiB read buffer then goes
        // back to its chunk, chunks that empty are unmapped, and the next read maps and zeroes a fresh
        // 4 MiB one: 10-18% of the event loop's CPU per 1 MiB read on RBD (docs/benchmarks.md). 2 MiB
        // covers the largest I/O common hosts send by default (Linux: 1280 KiB). The cache holds what
        // the event loop used recently and is trimmed when unused.
        if (System.getProperty(MAX_CACHED_BUFFER_PROPERTY) == null) {
            System.setProperty(MAX_CACHED_BUFFER_PROPERTY, Integer.toString(MAX_CACHED_BUFFER_BYTES));
        }
    }

    /** The command line with its error handling: operator mistakes exit 1 with one line. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // Operator mistakes (bad size, missing image, wrong credentials) get one clear line, not a trace.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("gateway-node: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (!(e instanceof IllegalArgumentException) && !(e instanceof IOException)) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli;
    }

    public static void main(String[] args) {
        applyNettyDefaults();
        CommandLine cli = commandLine();
        String[] expanded;
        try {
            expanded = ConfigFile.expand(args, cli); // --config FILE: the file's options, overridden by args
        } catch (IllegalArgumentException e) {
            System.err.println("gateway-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        // exit explicitly: a library thread that is not a daemon must not keep a stopped gateway alive
        System.exit(cli.execute(expanded));
    }
}
