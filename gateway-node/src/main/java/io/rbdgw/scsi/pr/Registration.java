package io.rbdgw.scsi.pr;

import java.util.Objects;

/**
 * One registration: a reservation key registered through an I_T nexus.
 *
 * @param nexus              the nexus the key was registered through
 * @param key                the reservation key (never 0)
 * @param aptpl              the APTPL bit of the last registration
 * @param allTargetPorts     registered with ALL_TG_PT: the key holds for the initiator port through
 *                           every target port
 * @param relativeTargetPort the relative target port identifier of {@code nexus.targetPortName()}
 */
public record Registration(PrNexusId nexus, long key, boolean aptpl, boolean allTargetPorts, int relativeTargetPort) {

    public Registration {
        Objects.requireNonNull(nexus, "nexus");
        if (key == 0) {
            throw new IllegalArgumentException("a registration key is never 0");
        }
    }

    /** Whether this registration applies to commands received on {@code id}. Allocation-free. */
    public boolean matches(PrNexusId id) {
        return nexus.initiatorPortName().equals(id.initiatorPortName())
                && (allTargetPorts || nexus.targetPortName().equals(id.targetPortName()));
    }

    public Registration withKey(long newKey, boolean newAptpl) {
        return new Registration(nexus, newKey, newAptpl, allTargetPorts, relativeTargetPort);
    }
}
