package io.rbdgw.admin.core;

import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.store.ConfigConflictException;
import io.rbdgw.config.store.ConfigStore;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The API's view of the configuration store: consistent reads and changes with optimistic concurrency.
 *
 * <p>A change with an expected epoch (the caller's {@code If-Match}) is computed against that epoch and fails with
 * 412 if the configuration has moved on. A change without one says "do this to whatever is current": it is
 * recomputed from a fresh snapshot on each conflict, a few times, and fails with 409 only under sustained contention.
 */
public final class ConfigService {
    static final int MAX_ATTEMPTS = 8;

    private final ConfigStore store;
    private final LiveSessionGuard guard;

    public ConfigService(ConfigStore store) {
        this.store = store;
        this.guard = new LiveSessionGuard(store);
    }

    public ConfigStore store() {
        return store;
    }

    public ClusterConfig read() {
        return store.read();
    }

    public long epoch() {
        return store.epoch();
    }

    /**
     * Commits the changes {@code changes} computes from a snapshot.
     *
     * @param expectedEpoch the epoch the caller last saw, if it sent one
     * @return the epoch of the committed change (unchanged if the changes changed nothing)
     */
    public long change(OptionalLong expectedEpoch, Function<ClusterConfig, List<? extends ConfigChange>> changes) {
        if (expectedEpoch.isPresent()) {
            long expected = expectedEpoch.getAsLong();
            ClusterConfig snapshot = store.read();
            if (snapshot.epoch() != expected) {
                throw stale(expected, snapshot.epoch());
            }
            try {
                return store.apply(expected, changes.apply(snapshot));
            } catch (ConfigConflictException e) {
                throw stale(expected, e.currentEpoch());
            }
        }
        try {
            return store.update(changes, MAX_ATTEMPTS);
        } catch (ConfigConflictException e) {
            throw ApiException.conflict(
                    "the configuration kept changing concurrently (" + MAX_ATTEMPTS + " attempts); try again");
        }
    }

    /**
     * {@link #change(OptionalLong, Function)} for a change that may take LUNs away from hosts: refused with 409
     * listing the logged-in sessions that would lose LUNs (see {@link LiveSessionGuard}) unless {@code force}.
     * Checked against the same snapshot the change is computed from, so each retry checks again.
     */
    public long change(
            OptionalLong expectedEpoch, boolean force, Function<ClusterConfig, List<? extends ConfigChange>> changes) {
        if (force) {
            return change(expectedEpoch, changes);
        }
        return change(expectedEpoch, c -> {
            List<? extends ConfigChange> computed = changes.apply(c);
            guard.check(c, computed);
            return computed;
        });
    }

    private static ApiException stale(long expected, long current) {
        return ApiException.preconditionFailed(
                "the configuration is at epoch " + current + ", not " + expected + " (If-Match): re-read and retry");
    }
}
