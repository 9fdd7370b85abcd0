package io.rbdgw.admin.auth;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops DEBUG and TRACE lines of the HTTP stack (Jetty, Jersey, Dropwizard, Jackson): at those levels Jetty logs
 * every request header, Authorization included, and request bodies may appear in parser messages, CHAP secrets
 * included. A TurboFilter on the logger context holds whatever levels an operator or the log-level task sets.
 */
public final class WireLogGuard extends TurboFilter {
    private static final String NAME = "rbdgw-wire-log-guard";
    private static final List<String> WIRE = List.of(
            "org.eclipse.jetty", "org.glassfish.jersey", "org.glassfish.hk2", "io.dropwizard", "com.fasterxml.jackson");

    private WireLogGuard() {
        setName(NAME);
    }

    /** Installs the guard once into the process's logback context (no-op under another SLF4J binding). */
    public static void install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        synchronized (context) {
            if (context.getTurboFilterList().stream().noneMatch(f -> NAME.equals(f.getName()))) {
                WireLogGuard guard = new WireLogGuard();
                guard.start();
                context.addTurboFilter(guard);
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level == null || level.isGreaterOrEqual(Level.INFO) || logger == null) {
            return FilterReply.NEUTRAL;
        }
        String name = logger.getName();
        for (String w : WIRE) {
            if (name.startsWith(w)) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
