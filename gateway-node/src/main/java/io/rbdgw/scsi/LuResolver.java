package io.rbdgw.scsi;

/**
 * Finds a logical unit served by this gateway by the NAA designator it reports in VPD page 0x83;
 * the EXTENDED COPY copy manager uses it to turn identification target descriptors into devices.
 */
@FunctionalInterface
public interface LuResolver {

    /** The logical unit whose NAA designator is {@code naaHigh}:{@code naaLow}, or null. */
    LogicalUnit byNaa(long naaHigh, long naaLow);
}
