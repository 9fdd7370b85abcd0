package io.rbdgw.config.model;

import java.util.regex.Pattern;

/**
 * A CHAP user name and secret. The rules are ceph-iscsi's (user 8-64 characters of [0-9a-zA-Z.:@_-]), except that a
 * secret may be 12-255 characters (the Linux target's limit) instead of 12-16; note that the Microsoft initiator
 * accepts only 12-16. The secret may also be in its encrypted stored form ({@code enc:v1:...}), which only the
 * gateways (and the admin API) decrypt, with the cluster's secret key.
 */
public record ChapCredentials(String user, String secret) {
    private static final Pattern USER = Pattern.compile("[0-9a-zA-Z.:@_-]{8,64}");
    private static final Pattern SECRET = Pattern.compile("[0-9a-zA-Z@_/.:+=-]{12,255}");
    /** The stored form of an encrypted secret ({@code io.rbdgw.config.secret.SecretBox}). */
    private static final Pattern SEALED = Pattern.compile("enc:v1:[0-9a-zA-Z_-]{1,32}:[A-Za-z0-9+/]{40,1024}={0,2}");

    public ChapCredentials {
        if (user == null || !USER.matcher(user).matches()) {
            throw new IllegalArgumentException(
                    "CHAP user '" + user + "' is invalid: use 8-64 characters of [0-9a-zA-Z.:@_-]");
        }
        if (secret == null
                || !SECRET.matcher(secret).matches() && !SEALED.matcher(secret).matches()) {
            // never echo the secret itself
            throw new IllegalArgumentException(
                    "CHAP secret for user '" + user + "' is invalid: use 12-255 characters of "
                            + "[0-9a-zA-Z@_/.:+=-] (12-16 for Microsoft initiators)");
        }
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=***]";
    }
}
