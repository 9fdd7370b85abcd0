package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.pdu.TaskManagementRequest;
import io.rbdgw.iscsi.pdu.TaskManagementResponse;
import io.rbdgw.iscsi.pdu.WireText;
import io.rbdgw.scsi.ScsiTarget;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task management requests of a normal session: aborts (the response waits until the aborted tasks left
 * the backend), LUN reset, and target resets when the operator allows them.
 */
final class TaskManagement {

    private static final Logger log = LoggerFactory.getLogger(TaskManagement.class);

    private final IscsiConnection conn;
    private final TaskTable tasks;
    private final ConnectionSettings settings;
    private final SessionRegistry sessions;
    /** Functions whose response waits for aborted tasks still in the backend. */
    private final List<TmfWait> waits = new ArrayList<>(2);

    TaskManagement(IscsiConnection conn, ConnectionSettings settings, SessionRegistry sessions) {
        this.conn = conn;
        this.tasks = conn.tasks();
        this.settings = settings;
        this.sessions = sessions;
    }

    void onTaskManagement(TaskManagementRequest r) {
        if (!conn.acceptCmdSN(r.immediate(), r.cmdSN())) {
            return;
        }
        Session s = conn.session();
        ScsiTarget scsi = s.scsi();
        int function = r.function();
        long lun = SamLun.decode(r.lun());
        switch (function) {
            case TmfCodes.ABORT_TASK -> {
                IscsiTask t = tasks.get(r.referencedTaskTag());
                if (t == null || t.aborted) {
                    // Already completed (response sent) or never received.
                    respond(r.itt(), t == null ? TmfCodes.NO_TASK : TmfCodes.COMPLETE);
                    return;
                }
                if (t.lun != lun) {
                    respond(r.itt(), TmfCodes.NO_TASK);
                    return;
                }
                TmfWait w = newWait(r.itt());
                tasks.abort(t, w);
                finishOrWait(w);
            }
            case TmfCodes.ABORT_TASK_SET, TmfCodes.CLEAR_TASK_SET, TmfCodes.LUN_RESET -> {
                // a LUN masked from this nexus does not exist for it: same answer as a missing one
                if (scsi == null || scsi.visibleLun(s.nexus(), lun) == null) {
                    respond(r.itt(), TmfCodes.NO_LUN);
                    return;
                }
                TmfWait w = newWait(r.itt());
                for (IscsiTask t : tasks.snapshot()) {
                    if (t.lun == lun && !t.aborted && IscsiConnection.serialLessOrEqual(t.cmdSN, r.cmdSN())) {
                        tasks.abort(t, w);
                    }
                }
                if (function == TmfCodes.LUN_RESET) {
                    // the response waits until the other gateways' nexuses have the 29/03 too (bounded)
                    w.pending++;
                    // always a later task: finishOrWait below must see the pending reset first
                    scsi.lunReset(lun, s.nexus())
                            .whenComplete((x, e) -> conn.executor().execute(w::taskGone));
                }
                finishOrWait(w);
            }
            case TmfCodes.TARGET_WARM_RESET, TmfCodes.TARGET_COLD_RESET -> {
                if (!settings.allowTargetReset()) {
                    // Refused unless the operator allows it (--allow-target-reset), with "Function authorization
                    // failed" as LIO answers: a target reset acts on LUNs other hosts use (and a cold reset drops
                    // their sessions), which no single initiator of a shared target may decide. Initiators
                    // escalate to LUN RESET and session reinstatement, which stay per nexus.
                    log.info(
                            "{}: refused TARGET {} RESET from {}",
                            s.target() != null ? s.target().name() : "(removed target)",
                            function == TmfCodes.TARGET_COLD_RESET ? "COLD" : "WARM",
                            WireText.escape(s.params().initiatorName()));
                    respond(r.itt(), TmfCodes.AUTHORIZATION_FAILED);
                    return;
                }
                TmfWait w = newWait(r.itt());
                for (IscsiTask t : tasks.snapshot()) {
                    if (!t.aborted) {
                        tasks.abort(t, w);
                    }
                }
                if (scsi != null) {
                    scsi.targetReset(s.nexus()); // only the LUNs this nexus sees
                }
                if (function == TmfCodes.TARGET_COLD_RESET) {
                    // The response goes out, then every session of the target is dropped.
                    conn.sendNow(new TaskManagementResponse(
                                    TmfCodes.COMPLETE, r.itt(), conn.nextStatSN(), conn.expCmdSN(), conn.maxCmdSN()))
                            .addListener(f -> sessions.closeTarget(s.target().name()));
                    return;
                }
                finishOrWait(w);
            }
            case TmfCodes.CLEAR_ACA -> respond(r.itt(), TmfCodes.UNSUPPORTED);
            case TmfCodes.TASK_REASSIGN -> respond(r.itt(), TmfCodes.REASSIGN_UNSUPPORTED);
            default -> respond(r.itt(), TmfCodes.UNSUPPORTED);
        }
    }

    private TmfWait newWait(int itt) {
        return new TmfWait(itt, TmfCodes.COMPLETE, this::finish);
    }

    private void finishOrWait(TmfWait w) {
        if (w.pending == 0) {
            finish(w);
        } else {
            waits.add(w);
        }
    }

    private void finish(TmfWait w) {
        waits.remove(w);
        respond(w.itt, w.response);
    }

    private void respond(int itt, int response) {
        conn.send(new TaskManagementResponse(response, itt, conn.nextStatSN(), conn.expCmdSN(), conn.maxCmdSN()));
    }
}
