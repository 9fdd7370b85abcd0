package io.rbdgw.config.pr;

/**
 * The document at {@code reservations-applied/<disk>/<gateway>} (ephemeral): the version of the disk's
 * {@link PrDocument} znode the gateway applied to its logical units.
 */
public record PrAck(String gateway, int version) {}
