package io.rbdgw.config.pr;

import java.util.Objects;

/**
 * An I_T nexus as the stored reservation state names it.
 *
 * @param initiatorPort the SCSI initiator port name {@code iqn...,i,0xISID}
 * @param targetPort    the SCSI target port name {@code iqn...,t,0xTPGT}; the TPGT is the target port group of
 *                      the gateway the nexus is logged into, so the same initiator port through two gateways is
 *                      two nexuses
 */
public record PrNexus(String initiatorPort, String targetPort) {
    public PrNexus {
        Objects.requireNonNull(initiatorPort, "initiatorPort");
        Objects.requireNonNull(targetPort, "targetPort");
    }
}
