package io.rbdgw.config.store;

/**
 * A change was computed against epoch {@link #expectedEpoch()} but the configuration has moved on to
 * {@link #currentEpoch()}: another admin committed first. Nothing of the change was written; re-read and retry.
 */
public class ConfigConflictException extends RuntimeException {
    private final long expectedEpoch;
    private final long currentEpoch;

    public ConfigConflictException(long expectedEpoch, long currentEpoch) {
        super("configuration changed concurrently: expected epoch " + expectedEpoch + " but it is now " + currentEpoch);
        this.expectedEpoch = expectedEpoch;
        this.currentEpoch = currentEpoch;
    }

    public long expectedEpoch() {
        return expectedEpoch;
    }

    public long currentEpoch() {
        return currentEpoch;
    }
}
