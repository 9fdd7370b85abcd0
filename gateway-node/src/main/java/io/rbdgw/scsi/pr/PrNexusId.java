package io.rbdgw.scsi.pr;

import io.rbdgw.scsi.ItNexus;
import java.util.Objects;

/**
 * An I_T nexus as persistent reservations name it: the SCSI initiator port name and the SCSI target
 * port name. Plain strings (not {@link ItNexus}) so the reservation state can be serialized and shared
 * between gateways.
 *
 * @param initiatorPortName {@code iqn...,i,0xISID}
 * @param targetPortName    {@code iqn...,t,0xTPGT}
 */
public record PrNexusId(String initiatorPortName, String targetPortName) {

    public PrNexusId {
        Objects.requireNonNull(initiatorPortName, "initiatorPortName");
        Objects.requireNonNull(targetPortName, "targetPortName");
    }

    public static PrNexusId of(ItNexus nexus) {
        return new PrNexusId(nexus.initiatorPortName(), nexus.targetPortName());
    }
}
