package io.rbdgw.config.pr;

import java.util.Objects;

/**
 * One registration: a reservation key registered through a nexus.
 *
 * @param nexus              the nexus the key was registered through
 * @param key                the reservation key (never 0)
 * @param aptpl              APTPL of the last REGISTER through it
 * @param allTgPt            registered with ALL_TG_PT (holds for the initiator port through every target port,
 *                           i.e. through every gateway)
 * @param relativeTargetPort the relative target port identifier of the nexus's target port
 */
public record PrRegistration(PrNexus nexus, long key, boolean aptpl, boolean allTgPt, int relativeTargetPort) {
    public PrRegistration {
        Objects.requireNonNull(nexus, "nexus");
        if (key == 0) {
            throw new IllegalArgumentException("a registration key is never 0");
        }
    }
}
