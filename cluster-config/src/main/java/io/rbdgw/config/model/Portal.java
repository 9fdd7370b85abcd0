package io.rbdgw.config.model;

/** An iSCSI portal: host (name, IPv4 or IPv6 literal) and TCP port. */
public record Portal(String host, int port) {
    public static final int DEFAULT_PORT = 3260;

    public Portal {
        Names.nonBlank("portal host", host);
        if (host.startsWith("[") || host.contains(" ") || host.contains("/")) {
            throw new IllegalArgumentException(
                    "portal host '" + host + "' is invalid: give a host name or an IP address without brackets");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("portal port " + port + " is out of range 1-65535");
        }
    }

    /** Parses "host", "host:port", "[v6]" or "[v6]:port". */
    public static Portal parse(String text) {
        Names.nonBlank("portal", text);
        String host;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("portal '" + text + "' has no closing ']'");
            }
            host = text.substring(1, close);
            if (close + 1 < text.length()) {
                if (text.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("portal '" + text + "': expected ':' after ']'");
                }
                port = text.substring(close + 2);
            }
        } else {
            int colon = text.indexOf(':');
            if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("portal '" + text + "': write IPv6 addresses as [address]:port");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        int p;
        try {
            p = port == null ? DEFAULT_PORT : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("portal '" + text + "' has an invalid port '" + port + "'");
        }
        return new Portal(host, p);
    }

    /** The TargetAddress form (RFC 7143 13.9) without the portal group tag. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
