package io.rbdgw.node;

/** Entry point of the gateway process (placeholder until the command line lands). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("rbdgw gateway-node: not yet wired");
        System.exit(2);
    }
}
