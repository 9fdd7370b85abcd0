package io.rbdgw.config.pr;

import java.util.Objects;

/**
 * A unit attention a reservation change established for a registration's initiator port, kept in the document
 * so the gateway the port is logged into raises it (a PREEMPT through one gateway preempts a nexus of another).
 *
 * @param sequence increasing per disk: a gateway raises each sequence once
 * @param origin   the store instance that wrote it (it raised it locally already)
 * @param nexus    the registration's nexus
 * @param allTgPt  the registration covered the initiator port through every target port
 * @param asc      additional sense code
 * @param ascq     additional sense code qualifier
 */
public record PendingUnitAttention(long sequence, String origin, PrNexus nexus, boolean allTgPt, int asc, int ascq) {
    public PendingUnitAttention {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(nexus, "nexus");
    }

    /** Whether it applies to commands through {@code n}. */
    public boolean appliesTo(PrNexus n) {
        return nexus.initiatorPort().equals(n.initiatorPort()) && (allTgPt || nexus.targetPort().equals(n.targetPort()));
    }
}
