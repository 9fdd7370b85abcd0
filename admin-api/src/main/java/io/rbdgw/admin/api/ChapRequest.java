package io.rbdgw.admin.api;

import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.secret.SecretBox;

/** CHAP credentials to set. */
public record ChapRequest(String user, String secret) {
    public ChapCredentials toModel() {
        if (SecretBox.isSealed(secret)) {
            // the stored (encrypted) form is the store's business: a secret given here is always plaintext
            throw new IllegalArgumentException(
                    "CHAP secret for user '" + user + "' must not start with '" + SecretBox.PREFIX + "'");
        }
        return new ChapCredentials(user, secret);
    }

    @Override
    public String toString() {
        return "ChapRequest[user=" + user + ", secret=***]";
    }
}
