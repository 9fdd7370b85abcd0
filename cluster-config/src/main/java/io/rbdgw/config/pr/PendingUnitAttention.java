package io.rbdgw.config.pr;

import java.util.Objects;

/**
 * A unit attention a reservation change established for a registration's initiator port, kept in the document
 * so the gateway the port is logged into raises it (a PREEMPT through one gateway preempts a nexus of another).
 *
 * @param sequence increasing per disk: a gateway raises each sequence once
 * @param origin   the store instance that wrote it (it raised it locally already)
 * @param nexus    the registration's nexus (for a unit attention of every nexus: the nexus that caused it, or
 *                 {@code *,*})
 * @param allTgPt  the registration covered the initiator port through every target port
 * @param asc      additional sense code
 * @param ascq     additional sense code qualifier
 * @param everyNexus for every nexus of the logical unit on every gateway (a LOGICAL UNIT RESET's 29/03)
 * @param abortTasks PREEMPT AND ABORT: the tasks of the nexuses it applies to are aborted too, and a gateway
 *                   acknowledges this version only once none of its aborted tasks can still reach the medium
 * @param exceptNexus with {@code everyNexus}: not for {@code nexus} itself (the I_T nexus whose MODE SELECT changed
 *                    the mode parameters gets no 2A/01, SPC-4 7.5.2); absent in older documents (false)
 */
public record PendingUnitAttention(
        long sequence,
        String origin,
        PrNexus nexus,
        boolean allTgPt,
        int asc,
        int ascq,
        boolean everyNexus,
        boolean abortTasks,
        boolean exceptNexus) {
    public PendingUnitAttention {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(nexus, "nexus");
    }

    public PendingUnitAttention(
            long sequence,
            String origin,
            PrNexus nexus,
            boolean allTgPt,
            int asc,
            int ascq,
            boolean everyNexus,
            boolean abortTasks) {
        this(sequence, origin, nexus, allTgPt, asc, ascq, everyNexus, abortTasks, false);
    }

    /** Whether it applies to commands through {@code n}. */
    public boolean appliesTo(PrNexus n) {
        if (everyNexus) {
            return !exceptNexus || !nexus.equals(n);
        }
        return nexus.initiatorPort().equals(n.initiatorPort())
                && (allTgPt || nexus.targetPort().equals(n.targetPort()));
    }
}
