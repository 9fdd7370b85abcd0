package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.config.model.Disk;
import java.util.Optional;

/** Opens the block device behind a configured disk; the reconciler owns (and closes) what it returns. */
@FunctionalInterface
public interface DiskOpener {

    /**
     * Opens {@code disk}. May block (librbd opens synchronously); throws with an operator-readable
     * message when the disk cannot be served (image missing, Ceph unreachable, file not writable).
     */
    BlockDevice open(Disk disk) throws Exception;

    /**
     * Checks a device this opener opened, when it opens and on every later pass while the last check found a
     * problem: empty when it is fit to serve, else why it is served only degraded (reported in the gateway's
     * status). Fixes what it can only when {@code changer.self()}: every gateway opens every disk, and gateways
     * changing one image at once can hang librbd, so only the disk's ALUA owner changes it.
     */
    default Optional<String> check(Disk disk, BlockDevice device, Changer changer) {
        return Optional.empty();
    }

    /**
     * Who may change a disk's image: its ALUA owner ({@code null} while the coordinator has assigned none) and
     * whether that is this gateway.
     */
    record Changer(String owner, boolean self) {}
}
