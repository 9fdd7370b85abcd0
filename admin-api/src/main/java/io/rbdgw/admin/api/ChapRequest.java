package io.rbdgw.admin.api;

import io.rbdgw.config.model.ChapCredentials;

/** CHAP credentials to set. */
public record ChapRequest(String user, String secret) {
    public ChapCredentials toModel() {
        if (io.rbdgw.config.secret.SecretBox.isSealed(secret)) {
            // the stored (encrypted) form is the store's business: a secret given here is always plaintext
            throw new IllegalArgumentException("CHAP secret for user '" + user + "' must not start with '"
                    + io.rbdgw.config.secret.SecretBox.PREFIX + "'");
        }
        return new ChapCredentials(user, secret);
    }

    @Override
    public String toString() {
        return "ChapRequest[user=" + user + ", secret=***]";
    }
}
