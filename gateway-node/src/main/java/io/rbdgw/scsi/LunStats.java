package io.rbdgw.scsi;

/**
 * Where a transport reports each command's outcome on a logical unit (metrics). Bound once per unit; called on
 * the transport's event loops for every command, so implementations must be allocation-free and lock-free.
 */
public interface LunStats {
    LunStats NONE = new LunStats() {
        @Override
        public void completed(int opcode, int status, byte[] sense, long bytes, long nanos) {}

        @Override
        public void aborted(int opcode) {}
    };

    /**
     * A command finished.
     *
     * @param opcode the CDB's operation code
     * @param status its SCSI status ({@link ScsiStatus})
     * @param sense  fixed-format sense data with CHECK CONDITION, else null
     * @param bytes  data moved (read or written)
     * @param nanos  from the transport handing it to the unit to its answer
     */
    void completed(int opcode, int status, byte[] sense, long bytes, long nanos);

    /** A command ended by a task management function (no status sent). */
    void aborted(int opcode);
}
