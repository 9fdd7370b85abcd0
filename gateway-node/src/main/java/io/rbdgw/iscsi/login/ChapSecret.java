package io.rbdgw.iscsi.login;

import java.util.Objects;

/** A CHAP name and secret (RFC 1994). */
public record ChapSecret(String user, String secret) {
    public ChapSecret {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "ChapSecret[user=" + user + ", secret=***]"; // never log secrets
    }
}
