package io.rbdgw.config.alua;

import io.rbdgw.config.model.Names;

/**
 * The document at {@code fenced/<gateway>}: the coordinator fenced that gateway's RADOS client. The gateway
 * watches its own record; when the address is that of its current client it knows the client is blocklisted
 * (even if it sent no I/O to notice) and reconnects with a new one.
 *
 * @param gateway      the fenced gateway
 * @param radosAddress the blocklisted client address
 * @param atMillis     when the coordinator fenced it
 * @param by           the coordinator that fenced it
 */
public record FenceRecord(String gateway, String radosAddress, long atMillis, String by) {
    public FenceRecord {
        Names.name("gateway name", gateway);
        if (radosAddress == null || radosAddress.isEmpty()) {
            throw new IllegalArgumentException("radosAddress is required");
        }
    }
}
