package io.rbdgw.config.model;

import java.util.regex.Pattern;

/**
 * A CHAP user name and secret. The rules are ceph-iscsi's (user 8-64 characters of [0-9a-zA-Z.:@_-]), except that a
 * secret may be 12-255 characters (the Linux target's limit) instead of 12-16; note that the Microsoft initiator
 * accepts only 12-16.
 */
public record ChapCredentials(String user, String secret) {
    private static final Pattern USER = Pattern.compile("[0-9a-zA-Z.:@_-]{8,64}");
    private static final Pattern SECRET = Pattern.compile("[0-9a-zA-Z@_/.:+=-]{12,255}");

    public ChapCredentials {
        if (user == null || !USER.matcher(user).matches()) {
            throw new IllegalArgumentException("CHAP user '" + user + "' is invalid: use 8-64 characters of [0-9a-zA-Z.:@_-]");
        }
        if (secret == null || !SECRET.matcher(secret).matches()) {
            // never echo the secret itself
            throw new IllegalArgumentException("CHAP secret for user '" + user + "' is invalid: use 12-255 characters of "
                    + "[0-9a-zA-Z@_/.:+=-] (12-16 for Microsoft initiators)");
        }
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=***]";
    }
}
