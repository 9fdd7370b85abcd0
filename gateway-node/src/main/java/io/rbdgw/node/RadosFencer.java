package io.rbdgw.node;

import io.rbdgw.config.alua.Fencer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fences a lost gateway by blocklisting its RADOS client address, so that its late RBD writes fail
 * (-ESHUTDOWN / FENCED) instead of landing after the new owner's. A gateway that never published an address
 * never talked to Ceph and has nothing to fence (file disks: nothing shared to protect).
 */
final class RadosFencer implements Fencer {
    private static final Logger log = LoggerFactory.getLogger(RadosFencer.class);

    private final BackstoreOpener opener;
    private final int seconds;

    /**
     * @param opener  the gateway's Ceph connection
     * @param seconds blocklist expiry; long enough for the fenced process to notice and reconnect
     */
    RadosFencer(BackstoreOpener opener, int seconds) {
        this.opener = opener;
        this.seconds = seconds;
    }

    @Override
    public void fence(String gateway, String radosAddress) throws Exception {
        if (radosAddress == null) {
            log.info("gateway {} never connected to Ceph: nothing to fence", gateway);
            return;
        }
        if (!opener.cephConfigured()) {
            // its RBD writes could still land: refuse to let its LUNs move rather than risk it
            throw new IllegalStateException("cannot blocklist " + radosAddress + " of gateway " + gateway
                    + ": this gateway has no --ceph-conf");
        }
        opener.cluster().blocklist(radosAddress, seconds);
        log.info("gateway {} blocklisted at {} for {} s", gateway, radosAddress, seconds);
    }
}
