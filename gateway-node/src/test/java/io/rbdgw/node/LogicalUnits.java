package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.pr.InMemoryReservationStore;
import io.rbdgw.scsi.pr.LocalReservations;

/** Test fixture: a block device wired into a logical unit with reservations kept in this process. */
public final class LogicalUnits {
    private LogicalUnits() {}

    /** A logical unit whose reservations live in this process (single-gateway semantics). */
    public static LogicalUnit create(long lun, BlockDevice device) {
        return new LogicalUnit(lun, device, ua -> new LocalReservations(ua, new InMemoryReservationStore()));
    }
}
