package io.rbdgw.admin.api;

import io.rbdgw.config.model.Authentication;

/** CHAP settings without secrets; {@code chap} null means no authentication. */
public record AuthView(ChapView chap, ChapView mutualChap) {
    public static AuthView of(Authentication a) {
        return a == null ? new AuthView(null, null) : new AuthView(ChapView.of(a.chap()), ChapView.of(a.mutualChap()));
    }
}
