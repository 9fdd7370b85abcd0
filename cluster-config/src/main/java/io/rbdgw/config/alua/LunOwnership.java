package io.rbdgw.config.alua;

import io.rbdgw.config.model.Names;

/**
 * Who serves a disk's LUNs as Active/Optimized: the document at {@code alua/<pool>@<image>}.
 *
 * @param disk         the disk id {@code pool/image}
 * @param owner        the owning gateway's name
 * @param epoch        ownership epoch: incremented on every owner change of this disk
 * @param ownerAddress the owner's RADOS client address when it was assigned or last seen (what fences it); may be null
 */
public record LunOwnership(String disk, String owner, long epoch, String ownerAddress) {
    public LunOwnership {
        if (disk == null || disk.isEmpty()) {
            throw new IllegalArgumentException("disk is required");
        }
        Names.name("gateway name", owner);
        if (epoch < 1) {
            throw new IllegalArgumentException("ownership epoch must be positive: " + epoch);
        }
    }
}
