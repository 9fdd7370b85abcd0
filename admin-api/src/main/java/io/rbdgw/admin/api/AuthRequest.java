package io.rbdgw.admin.api;

import io.rbdgw.config.model.Authentication;

/** CHAP settings to set: {@code chap} for the initiator, {@code mutualChap} for the target's answer (optional). */
public record AuthRequest(ChapRequest chap, ChapRequest mutualChap) {
    public Authentication toModel() {
        return new Authentication(
                chap == null ? null : chap.toModel(), mutualChap == null ? null : mutualChap.toModel());
    }
}
