package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.config.model.Disk;

/** Opens the block device behind a configured disk; the reconciler owns (and closes) what it returns. */
@FunctionalInterface
public interface DiskOpener {

    /**
     * Opens {@code disk}. May block (librbd opens synchronously); throws with an operator-readable
     * message when the disk cannot be served (image missing, Ceph unreachable, file not writable).
     */
    BlockDevice open(Disk disk) throws Exception;
}
