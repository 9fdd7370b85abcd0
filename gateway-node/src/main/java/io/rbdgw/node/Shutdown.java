package io.rbdgw.node;

import sun.misc.Signal;

/** Turns SIGTERM and SIGINT into an orderly stop run by the caller instead of a JVM shutdown hook. */
final class Shutdown {
    private Shutdown() {}

    static void onTermination(Runnable action) {
        Signal.handle(new Signal("TERM"), s -> action.run());
        Signal.handle(new Signal("INT"), s -> action.run());
    }
}
