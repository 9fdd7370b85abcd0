package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One SCSI command as the transport hands it to the SCSI engine. The transport (iSCSI session) owns
 * the task object; the engine reads the command from it and reports the outcome through
 * {@link #complete}. Implementations are reused per command slot, so the engine must not keep a
 * reference after completing.
 */
public interface ScsiTask {

    /** The CDB (at least 6 bytes; 16 for a standard iSCSI command, more with an extended CDB). */
    byte[] cdb();

    /** The I_T nexus the command arrived on. */
    ItNexus nexus();

    /** The LUN the command addresses (the flat LUN number, already decoded from the 8-byte field). */
    long lun();

    /** Expected data transfer length the initiator announced for this command, in bytes. */
    int expectedTransferLength();

    /**
     * The data-out (write) buffer: all the data the initiator sent for this command (at most
     * {@link #expectedTransferLength()} bytes), or null for a command without data-out. The engine
     * reads it, does not release it, and must not use it after {@link #complete}.
     */
    ByteBuf dataOut();

    /** The allocator for data-in buffers (pooled direct). */
    ByteBufAllocator alloc();

    /**
     * Reports the outcome; called exactly once, from any thread.
     *
     * @param status         SCSI status ({@link ScsiStatus})
     * @param dataIn         data to return to the initiator, or null; ownership passes to the task.
     *                       It may be longer than the expected transfer length: the transport sends
     *                       only what the initiator asked for and reports the rest as residual
     * @param sense          fixed-format sense data for CHECK CONDITION, else null
     * @param transferLength bytes this command transfers according to its CDB: for a read the full
     *                       data-in length, for a write the data-out length the CDB called for; -1 when
     *                       the command moves no data. The transport compares it with the expected
     *                       transfer length to set the residual overflow/underflow.
     */
    void complete(int status, ByteBuf dataIn, byte[] sense, int transferLength);

    /** Called just before {@code lu} executes this task (a transport may start timing it for {@code lu}'s stats). */
    default void executingOn(LogicalUnit lu) {}

    /**
     * Whether the transport aborted this task (task management, PREEMPT AND ABORT) while the engine held it: a
     * command still waiting to start (a write parked for the write token) must then not start, and long commands
     * (copies) check it between their steps and stop; the transport discards their outcome. Any thread.
     */
    default boolean aborted() {
        return false;
    }
}
