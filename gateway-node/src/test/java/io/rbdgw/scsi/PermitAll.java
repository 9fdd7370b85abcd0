package io.rbdgw.scsi;

import io.rbdgw.scsi.pr.Reservations;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Test-only reservations: permits everything, RESERVE/RELEASE succeed; PR commands are unsupported. */
public final class PermitAll implements Reservations {

    public boolean permit = true;
    public int resets;
    public int lost;
    public volatile boolean softwareWriteProtect;

    @Override
    public boolean permits(ItNexus nexus, byte[] cdb) {
        return permit;
    }

    @Override
    public void persistentReserveIn(ScsiTask task) {
        task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(5, 0x20, 0), -1);
    }

    @Override
    public void persistentReserveOut(ScsiTask task) {
        task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(5, 0x20, 0), -1);
    }

    @Override
    public void reserve(ScsiTask task) {
        task.complete(ScsiStatus.GOOD, null, null, -1);
    }

    @Override
    public void release(ScsiTask task) {
        task.complete(ScsiStatus.GOOD, null, null, -1);
    }

    @Override
    public boolean softwareWriteProtected() {
        return softwareWriteProtect;
    }

    @Override
    public CompletionStage<Boolean> softwareWriteProtect(boolean on, ItNexus by) {
        boolean changed = softwareWriteProtect != on;
        softwareWriteProtect = on;
        return CompletableFuture.completedFuture(changed);
    }

    @Override
    public void nexusLost(ItNexus nexus) {
        lost++;
    }

    @Override
    public void reset() {
        resets++;
    }
}
