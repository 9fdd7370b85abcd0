package io.rbdgw.node;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the gateway process: {@code java -jar gateway-node.jar <command>}. */
@Command(name = "gateway-node", mixinStandardHelpOptions = true, version = "rbdgw 0.1.0",
        description = "rbdgw: an iSCSI gateway for Ceph RBD.",
        subcommands = {StandaloneCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: standalone)");
    }

    public static void main(String[] args) {
        int rc = new CommandLine(new Main()).execute(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }
}
