package io.rbdgw.config.alua;

/**
 * Makes sure a lost gateway can no longer write before its LUNs move (RADOS blocklist in a gateway; nothing
 * to do for file or memory disks). Called by the coordinator on its own thread; may block.
 */
@FunctionalInterface
public interface Fencer {

    /**
     * Fences {@code gateway}.
     *
     * @param gateway      the lost gateway's name
     * @param radosAddress its RADOS client address as last published, or null when it never published one
     * @throws Exception when it could not be fenced: its LUNs stay where they are and fencing is retried
     */
    void fence(String gateway, String radosAddress) throws Exception;

    /** For clusters without shared block storage to protect. */
    static Fencer none() {
        return (gateway, address) -> {};
    }
}
