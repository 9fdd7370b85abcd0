package io.rbdgw.admin.api;

import io.rbdgw.config.model.ChapCredentials;

/** CHAP credentials as the API shows them: the user name, and only whether a secret is set. */
public record ChapView(String user, boolean secretSet) {
    public static ChapView of(ChapCredentials c) {
        return c == null
                ? null
                : new ChapView(c.user(), c.secret() != null && !c.secret().isEmpty());
    }
}
