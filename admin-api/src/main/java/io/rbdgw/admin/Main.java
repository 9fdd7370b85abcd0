package io.rbdgw.admin;

import io.rbdgw.admin.cli.RbdgwCli;
import java.util.Set;

/**
 * The runnable jar's entry: {@code server|check CONFIG.yml} and {@code hash-password} run the service
 * ({@link AdminApplication}); anything else is the command-line client ({@link RbdgwCli}).
 */
public final class Main {
    private static final Set<String> SERVICE_COMMANDS = Set.of("server", "check", "hash-password");

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && SERVICE_COMMANDS.contains(args[0])) {
            new AdminApplication().run(args);
        } else {
            System.exit(RbdgwCli.run(args, System.out, System.err, System.getenv()));
        }
    }
}
