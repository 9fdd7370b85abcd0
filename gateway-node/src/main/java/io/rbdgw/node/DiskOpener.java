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
     * Checks a device this opener opened, on its first and every later pass: empty when it is fit to serve,
     * else why it is served only degraded (reported in the gateway's status). May fix what it can.
     */
    default Optional<String> check(Disk disk, BlockDevice device) {
        return Optional.empty();
    }
}
