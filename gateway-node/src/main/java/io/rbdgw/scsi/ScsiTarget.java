package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.spc.Inquiry;
import io.rbdgw.scsi.spc.ReportLuns;
import io.rbdgw.scsi.spc.RequestSense;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LUN table of one iSCSI target as the SCSI engine sees it. Routes commands by LUN and answers
 * for LUNs that do not exist: REPORT LUNS (for any LUN, so also LUN 0 when it is not configured),
 * INQUIRY (peripheral qualifier 011b, device type 0x1F), REQUEST SENSE (sense 05/25/00) and CHECK
 * CONDITION 05/25/00 LOGICAL UNIT NOT SUPPORTED for anything else.
 */
public final class ScsiTarget {

    private static final Logger LOG = LoggerFactory.getLogger(ScsiTarget.class);

    private static final LuIdentity NO_LUN =
            new LuIdentity(LuIdentity.VENDOR, LuIdentity.PRODUCT, LuIdentity.REVISION, "", 0, 0);

    private final Map<Long, LogicalUnit> luns = new ConcurrentHashMap<>();
    /** LUNs still configured whose unit is being re-created (disk re-opening): listed, but not ready. */
    private final Set<Long> suspended = ConcurrentHashMap.newKeySet();
    /** Each live nexus and the session that formed it (see {@link #nexusCreated}). */
    private final Map<ItNexus, Object> nexuses = new ConcurrentHashMap<>();

    private volatile long[] lunList = new long[0];
    private volatile LunMasking masking = LunMasking.ALL;

    /** Executes {@code task} on its LUN; never throws, always completes the task exactly once. */
    public void execute(ScsiTask task) {
        byte[] cdb = task.cdb();
        int op = cdb[0] & 0xff;
        if (op == ScsiOpcodes.REPORT_LUNS) {
            // REPORT LUNS is a target-level command: one answer whichever LUN it is addressed to
            answerDirectly(task, () -> {
                CommandTable.SBC.find(ScsiOpcodes.REPORT_LUNS, -1).validate(cdb);
                ReportLuns.respond(task, cdb, visibleLuns(task.nexus().initiatorName()));
            });
            return;
        }
        LogicalUnit lu = visibleLun(task.nexus(), task.lun());
        if (lu != null) {
            task.executingOn(lu);
            lu.execute(task);
            return;
        }
        if (lu == null
                && suspended.contains(task.lun())
                && masking.visible(task.nexus().initiatorName(), task.lun())) {
            answerSuspended(task, cdb, op);
            return;
        }
        answerDirectly(task, () -> {
            if (op == ScsiOpcodes.INQUIRY) {
                CommandTable.SBC.find(ScsiOpcodes.INQUIRY, -1).validate(cdb);
                if ((cdb[1] & 0x01) != 0 || cdb[2] != 0) {
                    throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x25, 0x00);
                }
                ByteBuf data = Inquiry.standard(task, NO_LUN, 0x7F);
                Completions.data(task, data, Cdbs.u16(cdb, 3));
            } else if (op == ScsiOpcodes.REQUEST_SENSE) {
                CommandTable.SBC.find(ScsiOpcodes.REQUEST_SENSE, -1).validate(cdb);
                RequestSense.respond(
                        task,
                        SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x25, 0x00),
                        (cdb[1] & 0x01) != 0,
                        Cdbs.u8(cdb, 4));
            } else {
                throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x25, 0x00);
            }
        });
    }

    /**
     * A LUN that is configured but has no unit for a while (its disk is re-opened: a new Ceph client after a
     * fence): INQUIRY says qualifier 001b, everything else ends with 02/04/0A (ASYMMETRIC ACCESS STATE
     * TRANSITION), which hosts retry, where an unknown LUN's 05/25/00 would read as permanent device loss.
     */
    private static void answerSuspended(ScsiTask task, byte[] cdb, int op) {
        answerDirectly(task, () -> {
            if (op == ScsiOpcodes.INQUIRY && (cdb[1] & 0x01) == 0 && cdb[2] == 0) {
                CommandTable.SBC.find(ScsiOpcodes.INQUIRY, -1).validate(cdb);
                ByteBuf data = Inquiry.standard(task, NO_LUN, 0x20);
                Completions.data(task, data, Cdbs.u16(cdb, 3));
            } else if (op == ScsiOpcodes.REQUEST_SENSE) {
                CommandTable.SBC.find(ScsiOpcodes.REQUEST_SENSE, -1).validate(cdb);
                RequestSense.respond(
                        task, SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A), (cdb[1] & 0x01) != 0, Cdbs.u8(cdb, 4));
            } else {
                throw ScsiError.check(SenseData.NOT_READY, 0x04, 0x0A);
            }
        });
    }

    /**
     * Adds a logical unit (replacing none: the LUN must be free). Existing nexuses become known to it
     * (with their power-on unit attention) and the other LUNs report 3F/0E REPORTED LUNS DATA HAS
     * CHANGED, unless the LUN was {@linkplain #suspendLun suspended} (its number never left the list).
     */
    public void addLun(LogicalUnit lu) {
        if (luns.putIfAbsent(lu.lun(), lu) != null) {
            throw new IllegalArgumentException("LUN " + lu.lun() + " exists");
        }
        lu.reportLunsFrom(() -> lunList);
        lu.resolveLusWith(this::byNaa);
        lu.abortTasksWith(which -> abortTasks(lu.lun(), which));
        for (ItNexus n : nexuses.keySet()) {
            lu.nexusCreated(n);
        }
        if (suspended.remove(lu.lun())) {
            lunList = listed();
        } else {
            lunsChanged(lu.lun());
        }
    }

    /**
     * Removes a logical unit that will be added again (the caller closes it), or lists one whose device is not
     * open yet: meanwhile the LUN is listed and answers not ready (02/04/0A).
     */
    public LogicalUnit suspendLun(long lun) {
        boolean newlySuspended = suspended.add(lun);
        LogicalUnit lu = luns.remove(lun);
        if (newlySuspended && lu == null) {
            lunsChanged(lun); // a LUN not listed before (its device is not open yet): listed from now on
        }
        return lu;
    }

    /** Forgets suspended LUNs that are not in {@code keep} (no longer configured): they leave the list. */
    public void retainSuspended(Collection<Integer> keep) {
        for (Long lun : new ArrayList<>(suspended)) {
            if (!keep.contains(lun.intValue()) && suspended.remove(lun)) {
                lunsChanged(lun);
            }
        }
    }

    /** Removes a logical unit (the caller closes it); the remaining LUNs report 3F/0E. */
    public LogicalUnit removeLun(long lun) {
        LogicalUnit lu = luns.remove(lun);
        if (lu != null) {
            lunsChanged(lun);
        }
        return lu;
    }

    /**
     * The logical unit with this NAA designator that {@code by} may see, or null (EXTENDED COPY target
     * descriptors). A masked unit is not found: to the nexus it does not exist.
     */
    public LogicalUnit byNaa(ItNexus by, long naaHigh, long naaLow) {
        LunMasking m = masking;
        for (LogicalUnit lu : luns.values()) {
            LuIdentity id = lu.identity();
            if (id.naaHigh() == naaHigh && id.naaLow() == naaLow) {
                return m.visible(by.initiatorName(), lu.lun()) ? lu : null;
            }
        }
        return null;
    }

    /** The logical unit at {@code lun} whatever the masking (management and tests), or null. */
    public LogicalUnit lun(long lun) {
        return luns.get(lun);
    }

    /**
     * The logical unit at {@code lun} if {@code by} may see it, else null: what anything a nexus names
     * by LUN (commands, task management) must use, so a masked LUN behaves as a missing one.
     */
    public LogicalUnit visibleLun(ItNexus by, long lun) {
        LogicalUnit lu = luns.get(lun);
        return lu != null && masking.visible(by.initiatorName(), lun) ? lu : null;
    }

    /**
     * {@code session} formed {@code nexus}. A nexus still held by an earlier session (a reinstatement, or a
     * close not processed yet: the old connection's teardown runs later, maybe on another event loop) is
     * lost first, so the new session starts with a fresh nexus and the old one's late {@link #nexusLost}
     * cannot remove it.
     */
    public void nexusCreated(ItNexus nexus, Object session) {
        Object previous = nexuses.put(nexus, session);
        if (previous != null && previous != session) {
            luns.values().forEach(lu -> lu.nexusLost(nexus));
        }
        luns.values().forEach(lu -> lu.nexusCreated(nexus));
    }

    /** {@code session}'s nexus is gone; a no-op when a later session has formed the same nexus since. */
    public void nexusLost(ItNexus nexus, Object session) {
        if (nexuses.remove(nexus, session)) {
            luns.values().forEach(lu -> lu.nexusLost(nexus));
        }
    }

    /**
     * Aborts the tasks addressed to {@code lun} of every live nexus {@code which} accepts, in the sessions that
     * carry them; completes once none of them is inside the backend any more.
     */
    private CompletionStage<Void> abortTasks(long lun, Predicate<ItNexus> which) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        nexuses.forEach((nexus, session) -> {
            if (which.test(nexus) && session instanceof NexusTasks tasks) {
                pending.add(tasks.abortTasks(lun).toCompletableFuture());
            }
        });
        return pending.isEmpty()
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
    }

    /**
     * LOGICAL UNIT RESET task management function (ignored for a LUN masked from {@code by}). Completes once
     * the unit attentions are established on every gateway sharing the unit's reservation state (bounded).
     */
    public CompletionStage<Void> lunReset(long lun, ItNexus by) {
        LogicalUnit lu = by == null ? luns.get(lun) : visibleLun(by, lun);
        return lu != null ? lu.reset(by) : CompletableFuture.completedFuture(null);
    }

    /**
     * A target reset on behalf of {@code by}: every logical unit {@code by} sees is reset, never one
     * masked from it. (The iSCSI layer refuses TARGET WARM/COLD RESET from initiators altogether.)
     */
    public void targetReset(ItNexus by) {
        LunMasking m = masking;
        luns.values().forEach(lu -> {
            if (m.visible(by.initiatorName(), lu.lun())) {
                lu.reset(by);
            }
        });
    }

    /** The LUN masking in force. */
    public LunMasking masking() {
        return masking;
    }

    /**
     * Replaces the LUN masking at once (commands already routed finish). Every nexus whose set of
     * visible LUNs changes gets 3F/0E REPORTED LUNS DATA HAS CHANGED on the LUNs it now sees.
     */
    public void setMasking(LunMasking next) {
        LunMasking prev = masking;
        masking = next;
        long[] list = lunList;
        for (ItNexus n : nexuses.keySet()) {
            String initiator = n.initiatorName();
            for (long lun : list) {
                if (prev.visible(initiator, lun) != next.visible(initiator, lun)) {
                    postLunsChanged(n, -1);
                    break;
                }
            }
        }
    }

    /** The LUNs {@code initiatorName} sees, in order. */
    public long[] visibleLuns(String initiatorName) {
        long[] list = lunList;
        LunMasking m = masking;
        if (m == LunMasking.ALL) {
            return list;
        }
        return Arrays.stream(list).filter(lun -> m.visible(initiatorName, lun)).toArray();
    }

    private long[] listed() {
        return LongStream.concat(
                        luns.keySet().stream().mapToLong(Long::longValue),
                        suspended.stream().mapToLong(Long::longValue))
                .distinct()
                .sorted()
                .toArray();
    }

    private void lunsChanged(long changed) {
        long[] list = listed();
        lunList = list;
        // only nexuses that see (or saw) the LUN learn of it, through the other LUNs they see
        LunMasking m = masking;
        for (ItNexus n : nexuses.keySet()) {
            if (m.visible(n.initiatorName(), changed)) {
                postLunsChanged(n, changed);
            }
        }
        LOG.debug("LUNs now {}", Arrays.toString(list));
    }

    private void postLunsChanged(ItNexus n, long except) {
        LunMasking m = masking;
        luns.values().forEach(lu -> {
            if (lu.lun() != except && m.visible(n.initiatorName(), lu.lun())) {
                lu.unitAttentions().post(n, 0x3F, 0x0E);
            }
        });
    }

    private static void answerDirectly(ScsiTask task, Runnable r) {
        try {
            r.run();
        } catch (ScsiError e) {
            task.complete(e.status(), null, e.sense(), e.transferLength());
        } catch (RuntimeException e) {
            LOG.error("target-level command failed", e);
            task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.HARDWARE_ERROR, 0x44, 0x00), -1);
        }
    }
}
