package io.rbdgw.config.pr;

/**
 * The persistent reservation.
 *
 * @param holder the holder's nexus; null for the all-registrants types (every registrant holds it)
 * @param type   the TYPE code (SPC-4 6.16.3.4)
 * @param scope  the SCOPE code (0: logical unit)
 */
public record PrReservation(PrNexus holder, int type, int scope) {
    public PrReservation {
        if (type <= 0 || type > 0xf) {
            throw new IllegalArgumentException("invalid reservation type " + type);
        }
    }
}
