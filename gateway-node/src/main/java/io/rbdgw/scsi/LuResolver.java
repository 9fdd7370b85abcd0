package io.rbdgw.scsi;

/**
 * Finds a logical unit served by this gateway by the NAA designator it reports in VPD page 0x83;
 * the EXTENDED COPY copy manager uses it to turn identification target descriptors into devices.
 * Resolution is always on behalf of an I_T nexus and goes through its LUN masking: a unit the nexus
 * cannot see is not found, exactly like a designator of no unit at all (otherwise a copy names a
 * masked unit by its designator and reads or writes it).
 */
@FunctionalInterface
public interface LuResolver {

    /**
     * The logical unit whose NAA designator is {@code naaHigh}:{@code naaLow} and that {@code nexus}
     * may see, or null.
     */
    LogicalUnit byNaa(ItNexus nexus, long naaHigh, long naaLow);
}
