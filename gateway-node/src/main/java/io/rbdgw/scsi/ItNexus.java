package io.rbdgw.scsi;

/**
 * An I_T nexus: one initiator port talking to one target port. Unit attentions, SPC-2 reservations
 * and persistent-reservation registrations are kept per nexus.
 *
 * @param initiatorName      the initiator's iSCSI name (iqn./eui./naa.)
 * @param isid               the session's ISID (48 bits); with the name it forms the initiator port
 * @param targetName         the target's iSCSI name
 * @param portalGroupTag     the target portal group tag (the target port)
 * @param relativeTargetPort the relative target port identifier reported in VPD 0x83 (1-based)
 */
public record ItNexus(String initiatorName, long isid, String targetName, int portalGroupTag, int relativeTargetPort) {

    /** The SCSI initiator port name, as SPC-4 defines it for iSCSI: {@code name,i,0xISID}. */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + String.format("%012x", isid);
    }

    /** The SCSI target port name: {@code name,t,0xTPGT}. */
    public String targetPortName() {
        return targetName + ",t,0x" + String.format("%04x", portalGroupTag);
    }
}
