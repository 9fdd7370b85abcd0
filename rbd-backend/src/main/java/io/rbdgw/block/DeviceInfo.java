package io.rbdgw.block;

/**
 * What a device is and can do; the SCSI layer builds READ CAPACITY, the block limits and the
 * thin-provisioning pages from this.
 *
 * @param sizeBytes            current size in bytes (a multiple of {@code blockSize})
 * @param blockSize            logical block size in bytes (512 or 4096)
 * @param thinProvisioned      discard frees space (UNMAP and WRITE SAME with UNMAP are honoured)
 * @param discardZeroes        a discarded range reads back as zeros (LBPRZ); false when a discard may
 *                             leave old data behind (RBD discards smaller than an object)
 * @param volatileWriteCache   acknowledged writes may sit in a volatile cache until flush (WCE=1);
 *                             false when every acknowledged write is already durable
 * @param maxAtomicCompareAndWriteBytes largest COMPARE AND WRITE the device does atomically (0: none)
 * @param optimalTransferBytes preferred I/O size (for example the RBD object size), 0 if none
 * @param identity             a stable identity of the backing storage (an image id, a file's
 *                             path); the SCSI layer derives the NAA designator and serial from it, so
 *                             it must be the same on every gateway that serves this device
 * @param maxAtomicWriteBytes  largest {@link BlockDevice#writeAtomic} (0: the device has no atomic
 *                             writes); a multiple of {@code blockSize}
 * @param atomicAlignmentBytes atomic writes must start at a multiple of this (0: any block)
 * @param atomicGranularityBytes atomic write lengths must be a multiple of this (0: any number of
 *                             blocks)
 */
public record DeviceInfo(
        long sizeBytes,
        int blockSize,
        boolean thinProvisioned,
        boolean discardZeroes,
        boolean volatileWriteCache,
        int maxAtomicCompareAndWriteBytes,
        int optimalTransferBytes,
        String identity,
        int maxAtomicWriteBytes,
        int atomicAlignmentBytes,
        int atomicGranularityBytes) {

    /** A device without atomic writes (the original eight-component form). */
    public DeviceInfo(
            long sizeBytes,
            int blockSize,
            boolean thinProvisioned,
            boolean discardZeroes,
            boolean volatileWriteCache,
            int maxAtomicCompareAndWriteBytes,
            int optimalTransferBytes,
            String identity) {
        this(
                sizeBytes,
                blockSize,
                thinProvisioned,
                discardZeroes,
                volatileWriteCache,
                maxAtomicCompareAndWriteBytes,
                optimalTransferBytes,
                identity,
                0,
                0,
                0);
    }

    public DeviceInfo {
        if (blockSize != 512 && blockSize != 4096) {
            throw new IllegalArgumentException("block size must be 512 or 4096, not " + blockSize);
        }
        if (sizeBytes < 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("size " + sizeBytes + " is not a multiple of " + blockSize);
        }
        if (identity == null || identity.isEmpty()) {
            throw new IllegalArgumentException("identity is required");
        }
        for (int v : new int[] {maxAtomicWriteBytes, atomicAlignmentBytes, atomicGranularityBytes}) {
            if (v < 0 || v % blockSize != 0) {
                throw new IllegalArgumentException("atomic write limit " + v + " is not a multiple of " + blockSize);
            }
        }
        if (maxAtomicWriteBytes == 0 && (atomicAlignmentBytes != 0 || atomicGranularityBytes != 0)) {
            throw new IllegalArgumentException("atomic alignment or granularity without atomic writes");
        }
    }

    /** This description with atomic writes of at most {@code maxBytes}, aligned and sized as given. */
    public DeviceInfo withAtomicWrites(int maxBytes, int alignmentBytes, int granularityBytes) {
        return new DeviceInfo(
                sizeBytes,
                blockSize,
                thinProvisioned,
                discardZeroes,
                volatileWriteCache,
                maxAtomicCompareAndWriteBytes,
                optimalTransferBytes,
                identity,
                maxBytes,
                alignmentBytes,
                granularityBytes);
    }

    /**
     * Whether an atomic write of {@code length} bytes at {@code offset} is within the limits above:
     * not empty, at most {@link #maxAtomicWriteBytes}, aligned and a multiple of the granularity.
     */
    public boolean atomicWriteFits(long offset, long length) {
        return length > 0
                && length <= maxAtomicWriteBytes
                && (atomicAlignmentBytes == 0 || offset % atomicAlignmentBytes == 0)
                && (atomicGranularityBytes == 0 || length % atomicGranularityBytes == 0);
    }

    public long blockCount() {
        return sizeBytes / blockSize;
    }

    public DeviceInfo withSize(long newSizeBytes) {
        return new DeviceInfo(
                newSizeBytes,
                blockSize,
                thinProvisioned,
                discardZeroes,
                volatileWriteCache,
                maxAtomicCompareAndWriteBytes,
                optimalTransferBytes,
                identity,
                maxAtomicWriteBytes,
                atomicAlignmentBytes,
                atomicGranularityBytes);
    }
}
