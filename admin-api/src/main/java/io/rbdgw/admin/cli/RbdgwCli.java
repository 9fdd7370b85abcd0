package io.rbdgw.admin.cli;

import java.io.PrintStream;
import java.util.Map;

public final class RbdgwCli {
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return 0;
    }
}
