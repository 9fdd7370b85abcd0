package io.rbdgw.scsi.pr;

import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.TaskAborter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reservations of one logical unit: SPC-2 RESERVE/RELEASE and SPC-4 persistent reservations.
 * The logical unit asks {@link #permits} before every command and hands the reservation commands
 * over whole. Implementations complete the tasks they are given (possibly asynchronously, when the
 * state lives in a cluster-wide store).
 */
public interface Reservations {

    /**
     * Whether {@code nexus} may execute the command in {@code cdb} now; false means the logical unit
     * answers RESERVATION CONFLICT. Called on the I/O path: must not block or allocate.
     */
    boolean permits(ItNexus nexus, byte[] cdb);

    /**
     * The status a command must end with before it runs ({@link ScsiStatus#RESERVATION_CONFLICT} or
     * {@link ScsiStatus#BUSY}), or {@link ScsiStatus#GOOD} when it may run. BUSY: the reservation state is
     * not known to be current (a cluster store is unreachable). Same constraints as {@link #permits}.
     */
    default int admission(ItNexus nexus, byte[] cdb) {
        return permits(nexus, cdb) ? ScsiStatus.GOOD : ScsiStatus.RESERVATION_CONFLICT;
    }

    /**
     * How this logical unit's tasks are aborted by nexus (PREEMPT AND ABORT); the unit sets it once, before it
     * serves. Without one nothing is aborted.
     */
    default void abortTasksWith(TaskAborter aborter) {}

    /** PERSISTENT RESERVE IN (0x5E). */
    void persistentReserveIn(ScsiTask task);

    /** PERSISTENT RESERVE OUT (0x5F); the parameter list is {@link ScsiTask#dataOut()}. */
    void persistentReserveOut(ScsiTask task);

    /** RESERVE(6) (0x16) and RESERVE(10) (0x56). */
    void reserve(ScsiTask task);

    /** RELEASE(6) (0x17) and RELEASE(10) (0x57). */
    void release(ScsiTask task);

    /**
     * Whether SWP (software write protect, control mode page 0x0A) is set. Kept with the reservations so that a
     * store shared by several gateways shares it too. Called on the I/O path: must not block or allocate.
     */
    boolean softwareWriteProtected();

    /**
     * Sets or clears SWP (MODE SELECT through {@code by}). Completes with whether it changed, once it is stored and,
     * where the state is shared, applied by every gateway serving the logical unit (whose nexuses then have 2A/01
     * MODE PARAMETERS CHANGED; this gateway's are the caller's to post). Completes exceptionally when it cannot be
     * stored or applied everywhere: the command ends BUSY and the host retries.
     */
    CompletionStage<Boolean> softwareWriteProtect(boolean on, ItNexus by);

    /**
     * A new I_T nexus (a login): from now on a unit attention a reservation change establishes for its registration
     * reaches it, even before it sends a command to this logical unit.
     */
    default void nexusCreated(ItNexus nexus) {}

    /** The nexus is gone (session closed): its SPC-2 reservation is released; PR state stays. */
    void nexusLost(ItNexus nexus);

    /** LOGICAL UNIT RESET or a target reset: the SPC-2 reservation is released; PR state stays. */
    void reset();

    /**
     * {@link #reset()}, completing once the reset is known to every gateway sharing the state (their nexuses
     * have the 29/03 too), or after a bound; never exceptionally. A single gateway's completes at once.
     */
    default CompletionStage<Void> resetEverywhere() {
        reset();
        return CompletableFuture.completedFuture(null);
    }
}
