package io.rbdgw.config.rod;

import java.util.List;

/**
 * What an ODX ROD token stands for, stored at {@code rod-tokens/<creator lu>/<id>} so that any gateway can honour
 * a token another one created.
 *
 * @param id                the token's secret identifier (hex of at least 128 random bits, also inside the token)
 * @param lu                the creating logical unit's NAA designator in hex (the same on every gateway)
 * @param blockSize         the logical block length the ranges count in
 * @param ranges            the source ranges, in ROD order
 * @param token             the whole 512-byte token as handed out (hex): a token used later must equal it
 * @param createdMillis     wall-clock creation time
 * @param lastUsedMillis    wall-clock time of the last use (creation counts as one)
 * @param inactivitySeconds the token expires this long after its last use
 * @param lifetimeSeconds   and this long after its creation, however often it is used
 */
public record RodTokenRecord(
        String id,
        String lu,
        int blockSize,
        List<Range> ranges,
        String token,
        long createdMillis,
        long lastUsedMillis,
        int inactivitySeconds,
        int lifetimeSeconds) {

    /** One source range. */
    public record Range(long lba, long blocks) {}

    public RodTokenRecord {
        ranges = List.copyOf(ranges);
        if (inactivitySeconds <= 0 || lifetimeSeconds <= 0) {
            throw new IllegalArgumentException(
                    "inactivity timeout and lifetime must be positive: " + inactivitySeconds + ", " + lifetimeSeconds);
        }
    }

    /** Whether, at {@code nowMillis}, the token has not been used for its inactivity timeout or outlived its lifetime. */
    public boolean expiredAt(long nowMillis) {
        return nowMillis - lastUsedMillis >= inactivitySeconds * 1000L
                || nowMillis - createdMillis >= lifetimeSeconds * 1000L;
    }

    /** The same token, used at {@code nowMillis}. */
    public RodTokenRecord usedAt(long nowMillis) {
        return new RodTokenRecord(
                id,
                lu,
                blockSize,
                ranges,
                token,
                createdMillis,
                Math.max(lastUsedMillis, nowMillis),
                inactivitySeconds,
                lifetimeSeconds);
    }

    /** The same token, created (and first used) at {@code nowMillis}. */
    public RodTokenRecord createdAt(long nowMillis) {
        return new RodTokenRecord(
                id, lu, blockSize, ranges, token, nowMillis, nowMillis, inactivitySeconds, lifetimeSeconds);
    }
}
