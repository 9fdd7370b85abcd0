package io.rbdgw.node;

import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.Disk;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.UnitAttentions;
import io.rbdgw.scsi.pr.InMemoryReservationStore;
import io.rbdgw.scsi.pr.LocalReservations;
import io.rbdgw.scsi.pr.ReservationStore;
import io.rbdgw.scsi.pr.Reservations;
import java.util.function.Function;

/** Where the reservations of the logical units the reconciler creates live. */
@FunctionalInterface
public interface LunReservations {

    /**
     * The reservations factory of a logical unit exporting {@code disk} through this gateway's target port group
     * {@code targetPortGroup}. May block (the reconciler's thread); throws when the state cannot be read (the LUN
     * is then retried like a disk that did not open).
     */
    Function<UnitAttentions, Reservations> open(Disk disk, int targetPortGroup) throws Exception;

    /** Reservations in this process only (tests, and disks no other gateway shares). */
    static LunReservations inMemory() {
        return (disk, tpg) -> ua -> new LocalReservations(ua, new InMemoryReservationStore());
    }

    /**
     * RBD disks keep their reservations in ZooKeeper, shared by every gateway exporting them; other disks (file,
     * memory: one gateway's own) in memory.
     */
    static LunReservations cluster(ClusterReservations cluster) {
        return (disk, tpg) -> {
            if (disk.backstore() != Backstore.RBD) {
                return ua -> new LocalReservations(ua, new InMemoryReservationStore());
            }
            ReservationStore store = cluster.open(disk.id(), tpg);
            return ua -> new LocalReservations(ua, store);
        };
    }
}
