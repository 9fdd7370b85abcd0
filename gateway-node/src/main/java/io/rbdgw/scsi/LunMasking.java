package io.rbdgw.scsi;

/**
 * LUN masking of one target: which of its LUNs an initiator may see. A masked LUN is, for that
 * initiator, a LUN that does not exist: REPORT LUNS leaves it out and commands to it get 05/25/00
 * LOGICAL UNIT NOT SUPPORTED.
 *
 * <p>Asked on every command, from the transport's threads: implementations must be immutable (a
 * target's masking is replaced as a whole, see {@link ScsiTarget#setMasking}), cheap and lock-free.
 */
@FunctionalInterface
public interface LunMasking {

    /** Every initiator sees every LUN. */
    LunMasking ALL = (initiator, lun) -> true;

    /** Whether {@code initiatorName} may see and use {@code lun}. */
    boolean visible(String initiatorName, long lun);
}
