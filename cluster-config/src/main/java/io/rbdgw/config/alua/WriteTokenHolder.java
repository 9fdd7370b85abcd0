package io.rbdgw.config.alua;

/**
 * The data path's side of a disk's write token in one gateway (its write gate). {@link WriteTokens} calls it
 * on its own thread; implementations must not block.
 */
public interface WriteTokenHolder {

    /** This gateway holds the token at {@code epoch}: medium writes may run (and those waiting run now). */
    void grant(long epoch);

    /**
     * This gateway no longer holds the token: admit no further medium write from now on (they wait or fail
     * retryably). Writes admitted earlier may still be running.
     */
    void revoke();

    /**
     * Runs {@code idle} once every write admitted before the last {@link #revoke} has completed (its backend
     * callback ran: it can no longer change the medium), at once if none is running; from any thread.
     */
    void whenIdle(Runnable idle);
}
