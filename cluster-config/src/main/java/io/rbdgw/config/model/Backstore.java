package io.rbdgw.config.model;

/** What stores a disk's blocks. */
public enum Backstore {
    /** A Ceph RBD image {@code pool/image}. */
    RBD,
    /** A local file (standalone and test setups); the disk then names its path. */
    FILE,
    /**
     * Memory of the gateway process: gone at exit, and different on every gateway. Only for tests and
     * for measuring the protocol path without storage.
     */
    MEMORY
}
