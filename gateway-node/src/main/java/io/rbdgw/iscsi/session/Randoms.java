package io.rbdgw.iscsi.session;

import java.security.SecureRandom;

/** Shared randomness for CHAP challenges; SecureRandom is thread-safe. */
final class Randoms {
    static final SecureRandom SECURE = new SecureRandom();

    private Randoms() {}
}
