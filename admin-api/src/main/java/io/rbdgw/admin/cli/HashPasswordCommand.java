package io.rbdgw.admin.cli;

import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import io.rbdgw.admin.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code hash-password}: prints the adminPasswordHash for a password read from the console or standard input. */
public final class HashPasswordCommand extends Command {
    public HashPasswordCommand() {
        super("hash-password", "Print the adminPasswordHash for a password (read from the console or stdin)");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser
                .addArgument("--iterations")
                .type(Integer.class)
                .setDefault(PasswordHash.DEFAULT_ITERATIONS)
                .help("PBKDF2 iterations");
    }

    @Override
    public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
        char[] password;
        Console console = System.console();
        if (console != null) {
            password = console.readPassword("admin password: ");
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
        }
        if (password == null || password.length < 8) {
            throw new IllegalArgumentException("the password must have at least 8 characters");
        }
        System.out.println(PasswordHash.hash(password, namespace.getInt("iterations")));
    }
}
