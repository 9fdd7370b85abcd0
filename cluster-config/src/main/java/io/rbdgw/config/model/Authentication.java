package io.rbdgw.config.model;

/**
 * CHAP settings for one login: the credentials the initiator must present ({@code chap}) and, for mutual CHAP,
 * those the target answers with ({@code mutualChap}). Both null means no authentication.
 */
public record Authentication(ChapCredentials chap, ChapCredentials mutualChap) {
    public static final Authentication NONE = new Authentication(null, null);

    public Authentication {
        if (mutualChap != null && chap == null) {
            throw new IllegalArgumentException("mutual CHAP needs CHAP: set the initiator's CHAP credentials too");
        }
        if (mutualChap != null && mutualChap.secret().equals(chap.secret())) {
            // RFC 7143 12.1.3: the same secret must not be used in both directions
            throw new IllegalArgumentException("the mutual CHAP secret must differ from the CHAP secret");
        }
    }

    public static Authentication chap(ChapCredentials chap) {
        return new Authentication(chap, null);
    }

    public boolean required() {
        return chap != null;
    }
}
