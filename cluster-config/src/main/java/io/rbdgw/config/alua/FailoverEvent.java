package io.rbdgw.config.alua;

/**
 * One ownership move written by the coordinator, as kept in {@code failovers} (see {@link FailoverHistory}).
 *
 * @param disk              the disk id {@code pool/image}
 * @param from              the previous owner; null for a disk's first owner
 * @param to                the new owner
 * @param reason            why it moved
 * @param epoch             the disk's ownership epoch after the move
 * @param lostSeenAtMillis  when the coordinator saw {@code from} lost (wall clock); null unless {@link Reason#GATEWAY_LOST}
 * @param fencedAtMillis    when fencing {@code from} completed; null unless {@link Reason#GATEWAY_LOST}
 * @param writtenAtMillis   when the new ownership was committed to ZooKeeper
 * @param durationMillis    loss seen to ownership written (fencing included) for a lost gateway; null otherwise
 * @param coordinator       the gateway that coordinated the move
 */
public record FailoverEvent(
        String disk,
        String from,
        String to,
        Reason reason,
        long epoch,
        Long lostSeenAtMillis,
        Long fencedAtMillis,
        long writtenAtMillis,
        Long durationMillis,
        String coordinator) {

    public enum Reason {
        /** a disk without an owner got its first one */
        ASSIGNED,
        /** the owner's ZooKeeper session ended (or it came back as a new process): fenced, then moved */
        GATEWAY_LOST,
        /** the owner is being drained */
        DRAINED,
        /** a gateway that had been lost is back and settled: it gets its share again */
        FAILBACK,
        /** balancing between live gateways (e.g. a new gateway joined) */
        REBALANCE
    }

    public FailoverEvent {
        if (disk == null || to == null || reason == null) {
            throw new IllegalArgumentException("disk, to and reason are required");
        }
    }
}
