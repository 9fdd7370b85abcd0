package io.rbdgw.scsi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/** Aborts tasks of one logical unit by nexus (PREEMPT AND ABORT). */
@FunctionalInterface
public interface TaskAborter {

    /** A unit outside any target: no transport to abort anything in. */
    TaskAborter NONE = which -> CompletableFuture.completedFuture(null);

    /**
     * Aborts the unit's tasks of every nexus {@code which} accepts; completes, never exceptionally, once none of
     * them is still inside the backend (see {@link NexusTasks#abortTasks}).
     */
    CompletionStage<Void> abortTasks(Predicate<ItNexus> which);
}
