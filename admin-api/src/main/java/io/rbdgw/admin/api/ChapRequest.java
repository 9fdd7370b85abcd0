package io.rbdgw.admin.api;

import io.rbdgw.config.model.ChapCredentials;

/** CHAP credentials to set. */
public record ChapRequest(String user, String secret) {
    public ChapCredentials toModel() {
        return new ChapCredentials(user, secret);
    }

    @Override
    public String toString() {
        return "ChapRequest[user=" + user + ", secret=***]";
    }
}
