package io.rbdgw.node;

import java.net.InetSocketAddress;

/** Parses {@code HOST:PORT} and {@code [IPv6]:PORT}. */
public final class HostPort {
    private HostPort() {}

    public static InetSocketAddress parse(String text, int defaultPort) {
        String host = text;
        int port = defaultPort;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("bad address: " + text);
            }
            host = text.substring(1, end);
            if (end + 1 < text.length()) {
                if (text.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException("bad address: " + text);
                }
                port = parsePort(text.substring(end + 2), text);
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0) {
                host = text.substring(0, colon);
                port = parsePort(text.substring(colon + 1), text);
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("bad address (no host): " + text);
        }
        return new InetSocketAddress(host, port);
    }

    private static int parsePort(String p, String text) {
        try {
            int port = Integer.parseInt(p);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + text);
        }
    }
}
