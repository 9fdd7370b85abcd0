package io.rbdgw.scsi;

import java.util.concurrent.CompletionStage;

/**
 * The transport's side of one I_T nexus, as the SCSI engine may act on it: what {@link ScsiTarget#nexusCreated}
 * is given when the session implements it (an iSCSI connection does).
 */
public interface NexusTasks {

    /**
     * Aborts every task of this nexus addressed to {@code lun} (SAM-5 task abort, TAS=0: no status goes out for
     * them). Callable from any thread. Completes, on any thread and never exceptionally, once none of the aborted
     * tasks is still inside the backend, i.e. none of their writes can reach the medium any more.
     */
    CompletionStage<Void> abortTasks(long lun);
}
