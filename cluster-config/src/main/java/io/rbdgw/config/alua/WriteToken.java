package io.rbdgw.config.alua;

import io.rbdgw.config.model.Names;

/**
 * The document at {@code writer/<pool>@<image>}: the one gateway that may execute medium writes to a disk.
 * Changed only by compare-and-set on the znode's version.
 *
 * @param disk             the disk id {@code pool/image}
 * @param holder           the gateway holding the token
 * @param radosAddress     the holder's RADOS client address when it took the token: what a contender blocklists
 *                         when the holder does not hand over; null when it had none
 * @param epoch            incremented on every change of holder or of its client
 * @param requestedBy      a gateway asking the holder to hand the token over, or null
 * @param requesterAddress that gateway's RADOS client address (becomes {@code radosAddress} on hand-over)
 */
public record WriteToken(
        String disk, String holder, String radosAddress, long epoch, String requestedBy, String requesterAddress) {
    public WriteToken {
        if (disk == null || disk.isEmpty()) {
            throw new IllegalArgumentException("disk is required");
        }
        Names.name("gateway name", holder);
        if (requestedBy != null) {
            Names.name("gateway name", requestedBy);
        }
        if (epoch < 1) {
            throw new IllegalArgumentException("token epoch must be positive: " + epoch);
        }
    }

    /** Held by {@code gateway} with {@code address}, next epoch, no request. */
    WriteToken heldBy(String gateway, String address) {
        return new WriteToken(disk, gateway, address, epoch + 1, null, null);
    }

    /** The same holding with a request from {@code gateway}. */
    WriteToken requested(String gateway, String address) {
        return new WriteToken(disk, holder, radosAddress, epoch, gateway, address);
    }
}
