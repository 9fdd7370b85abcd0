package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.pr.InMemoryReservationStore;
import io.rbdgw.scsi.pr.LocalReservations;

/** Wires a block device into a logical unit with this gateway's reservation handling. */
public final class LogicalUnits {
    private LogicalUnits() {
    }

    /** A logical unit whose reservations live in this process (single-gateway semantics). */
    public static LogicalUnit create(long lun, BlockDevice device) {
        return new LogicalUnit(lun, device, ua -> new LocalReservations(ua, new InMemoryReservationStore()));
    }
}
