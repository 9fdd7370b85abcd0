package io.rbdgw.scsi;

/**
 * Executes one command on a logical unit. A handler either throws {@link ScsiError} before it has
 * started anything asynchronous, or completes the task exactly once (possibly later, on any thread).
 */
@FunctionalInterface
public interface CommandHandler {
    void execute(LogicalUnit lu, ScsiTask task, byte[] cdb);
}
