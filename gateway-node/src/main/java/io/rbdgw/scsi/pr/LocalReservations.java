package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.TaskAborter;
import io.rbdgw.scsi.UnitAttentions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations of one logical unit on this gateway. Persistent reservations live in a
 * {@link ReservationStore} and change by compare-and-set of a state computed by {@link PrLogic}
 * (retried when another change won). The SPC-2 reservation is part of that state too, so that every
 * gateway sharing the store enforces it. With a shared store, unit attentions other gateways established
 * arrive through {@link ReservationStore#onRemoteUnitAttention}, and while the store is unreachable
 * commands that depend on existing reservation state end BUSY (or RESERVATION CONFLICT when the last known
 * state already forbids them).
 */
public final class LocalReservations implements Reservations {

    private static final Logger LOG = LoggerFactory.getLogger(LocalReservations.class);

    /** Compare-and-set attempts before answering BUSY (the initiator retries). */
    static final int MAX_ATTEMPTS = 16;

    private final UnitAttentions unitAttentions;
    private final ReservationStore store;
    private final IntFunction<String> targetPortNames;
    /**
     * Every live nexus (from its login, or its first command), with its PR name (computed once: ItNexus builds its
     * names by formatting). A unit attention for a registration reaches the nexuses listed here only.
     */
    private final ConcurrentHashMap<ItNexus, PrNexusId> nexuses = new ConcurrentHashMap<>();
    /** Aborts the logical unit's tasks by nexus (PREEMPT AND ABORT). */
    private volatile TaskAborter aborter = TaskAborter.NONE;

    public LocalReservations(UnitAttentions unitAttentions, ReservationStore store) {
        this(unitAttentions, store, relativePort -> null);
    }

    /**
     * @param targetPortNames the SCSI target port name of a relative target port identifier (for
     *                        REGISTER AND MOVE to a port not seen yet), or null when unknown
     */
    public LocalReservations(
            UnitAttentions unitAttentions, ReservationStore store, IntFunction<String> targetPortNames) {
        this.unitAttentions = unitAttentions;
        this.store = store;
        this.targetPortNames = targetPortNames;
        store.onRemoteUnitAttention(this::post);
    }

    @Override
    public void abortTasksWith(TaskAborter aborter) {
        this.aborter = aborter;
    }

    private PrNexusId id(ItNexus nexus) {
        PrNexusId id = nexuses.get(nexus);
        return id != null ? id : nexuses.computeIfAbsent(nexus, PrNexusId::of);
    }

    @Override
    public boolean permits(ItNexus nexus, byte[] cdb) {
        PrNexusId id = id(nexus);
        PrState s = store.current();
        if (PrAccess.isReserveOrRelease(cdb[0] & 0xff)) {
            // SPC-4 5.13.3: RESERVE/RELEASE conflict while any registration exists
            return s.registrations().isEmpty();
        }
        PrNexusId holder = s.spc2Holder();
        if (holder != null && !holder.equals(id)) {
            return PrAccess.permitsUnderSpc2Reservation(cdb);
        }
        return PrAccess.permits(s, id, cdb);
    }

    @Override
    public int admission(ItNexus nexus, byte[] cdb) {
        if (!permits(nexus, cdb)) {
            return ScsiStatus.RESERVATION_CONFLICT;
        }
        // the last known state lets it through, but another gateway may have changed it meanwhile
        if (!store.isCurrent() && store.current().hasState() && PrAccess.category(cdb) != PrAccess.ALLOWED) {
            return ScsiStatus.BUSY;
        }
        return ScsiStatus.GOOD;
    }

    @Override
    public void persistentReserveIn(ScsiTask task) {
        id(task.nexus());
        byte[] cdb = task.cdb();
        int sa = cdb[1] & 0x1f;
        int allocationLength = ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        store.fresh().whenComplete((s, error) -> {
            if (error != null) {
                task.complete(ScsiStatus.BUSY, null, null, -1);
            } else {
                answerIn(task, sa, allocationLength, s);
            }
        });
    }

    private void answerIn(ScsiTask task, int sa, int allocationLength, PrState s) {
        ByteBuf data;
        switch (sa) {
            case PrInData.READ_KEYS:
                data = PrInData.readKeys(s, task.alloc());
                break;
            case PrInData.READ_RESERVATION:
                data = PrInData.readReservation(s, task.alloc());
                break;
            case PrInData.REPORT_CAPABILITIES:
                data = PrInData.reportCapabilities(store.persistsThroughPowerLoss(), s, task.alloc());
                break;
            case PrInData.READ_FULL_STATUS:
                data = PrInData.readFullStatus(s, task.alloc());
                break;
            default:
                task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.invalidField(true, 1, 4), -1);
                return;
        }
        if (data.readableBytes() > allocationLength) {
            data.writerIndex(data.readerIndex() + allocationLength);
        }
        int length = data.readableBytes();
        if (length == 0) {
            data.release();
            data = null;
        }
        task.complete(ScsiStatus.GOOD, data, null, length);
    }

    @Override
    public void persistentReserveOut(ScsiTask task) {
        ItNexus nexus = task.nexus();
        PrNexusId me = id(nexus);
        byte[] cdb = task.cdb();
        int cdbLength = ((cdb[5] & 0xff) << 24) | ((cdb[6] & 0xff) << 16) | ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        int transferLength = cdbLength == 0 ? -1 : cdbLength;
        PrOutRequest request;
        try {
            request = PrOutRequest.parse(cdb, task.dataOut());
        } catch (PrOutRequest.Invalid e) {
            task.complete(ScsiStatus.CHECK_CONDITION, null, e.sense(), transferLength);
            return;
        }
        if (request.transportId() != null) {
            request = request.withDestination(resolve(request.transportId(), request.relativeTargetPort()));
        }
        attempt(task, nexus, me, request, transferLength, 1);
    }

    private void attempt(
            ScsiTask task, ItNexus nexus, PrNexusId me, PrOutRequest request, int transferLength, int attempt) {
        PrState current = store.current();
        PrResult result =
                PrLogic.apply(current, me, nexus.relativeTargetPort(), request, store.persistsThroughPowerLoss());
        if (result.next() == null) {
            task.complete(result.status(), null, result.sense(), transferLength);
            return;
        }
        store.compareAndSet(current, result.next(), result.unitAttentions()).whenComplete((stored, error) -> {
            if (error != null) {
                task.complete(ScsiStatus.BUSY, null, null, transferLength);
            } else if (stored) {
                List<CompletableFuture<Void>> aborts = null;
                for (PrUnitAttention ua : result.unitAttentions()) {
                    CompletableFuture<Void> gone = post(ua).toCompletableFuture();
                    if (!gone.isDone()) {
                        if (aborts == null) {
                            aborts = new ArrayList<>();
                        }
                        aborts.add(gone);
                    }
                }
                if (aborts == null) {
                    task.complete(result.status(), null, result.sense(), transferLength);
                } else {
                    // PREEMPT AND ABORT answers once the preempted nexuses' tasks on this gateway left the backend
                    // (the store already waited for the other gateways' to)
                    CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new))
                            .whenComplete(
                                    (x, e) -> task.complete(result.status(), null, result.sense(), transferLength));
                }
            } else if (attempt < MAX_ATTEMPTS) {
                attempt(task, nexus, me, request, transferLength, attempt + 1);
            } else {
                task.complete(ScsiStatus.BUSY, null, null, transferLength);
            }
        });
    }

    /**
     * Establishes the unit attention on every nexus of this gateway the registration covers and, for PREEMPT AND
     * ABORT, aborts their tasks on this logical unit. Completes once the aborted tasks left the backend (at once
     * when nothing is aborted); never exceptionally.
     */
    private CompletionStage<Void> post(PrUnitAttention ua) {
        if (ua.isForEveryNexus()) {
            unitAttentions.postAllExcept(nexusOf(ua.except()), ua.asc(), ua.ascq());
            return DONE;
        }
        for (Map.Entry<ItNexus, PrNexusId> e : nexuses.entrySet()) {
            if (ua.registration().matches(e.getValue())) {
                unitAttentions.post(e.getKey(), ua.asc(), ua.ascq());
            }
        }
        if (!ua.abortTasks()) {
            return DONE;
        }
        Registration preempted = ua.registration();
        LOG.info(
                "PREEMPT AND ABORT: aborting the tasks of {}{} on this gateway",
                preempted.nexus().initiatorPortName(),
                preempted.allTargetPorts()
                        ? " (all target ports)"
                        : " through " + preempted.nexus().targetPortName());
        return aborter.abortTasks(n -> preempted.matches(id(n))).exceptionally(e -> {
            LOG.error("aborting the tasks of {} failed", preempted.nexus().initiatorPortName(), e);
            return null;
        });
    }

    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    /** This gateway's nexus named {@code id}, or null (none, or {@code id} is null). */
    private ItNexus nexusOf(PrNexusId id) {
        if (id == null) {
            return null;
        }
        for (Map.Entry<ItNexus, PrNexusId> e : nexuses.entrySet()) {
            if (e.getValue().equals(id)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The destination nexus of REGISTER AND MOVE, or null when it cannot be named. */
    private PrNexusId resolve(TransportId tid, int relativePort) {
        String targetPort = targetPortNames.apply(relativePort);
        for (Map.Entry<ItNexus, PrNexusId> e : nexuses.entrySet()) {
            ItNexus n = e.getKey();
            if (n.relativeTargetPort() != relativePort) {
                continue;
            }
            if (targetPort == null) {
                targetPort = e.getValue().targetPortName();
            }
            if (tid.isid() == null && n.initiatorName().equalsIgnoreCase(tid.initiatorName())) {
                return e.getValue(); // format 00b names the device: take a port of it we know
            }
        }
        if (targetPort == null && tid.isid() != null) {
            // a port of another gateway, which this one never sees a nexus of: its name is the target's name and its
            // portal group tag, the same number as its relative target port identifier (ClusterTargetPortGroups)
            for (ItNexus n : nexuses.keySet()) {
                targetPort = n.targetName() + ",t,0x" + String.format("%04x", relativePort);
                break;
            }
        }
        if (targetPort == null || tid.isid() == null) {
            return null;
        }
        return new PrNexusId(tid.initiatorPortName(), targetPort);
    }

    /** What an SPC-2 command decides on one state: its status and the state to store (null: none). */
    private record Spc2Step(int status, PrState next) {}

    @Override
    public void reserve(ScsiTask task) {
        if (thirdPartyUnsupported(task)) {
            return;
        }
        PrNexusId me = id(task.nexus());
        Function<PrState, Spc2Step> decide = s -> {
            if (!s.registrations().isEmpty()
                    || (s.spc2Holder() != null && !s.spc2Holder().equals(me))) {
                return new Spc2Step(ScsiStatus.RESERVATION_CONFLICT, null);
            }
            return new Spc2Step(ScsiStatus.GOOD, me.equals(s.spc2Holder()) ? null : s.withSpc2Holder(me));
        };
        PrState s = store.current();
        if (s.registrations().isEmpty()
                && s.spc2Holder() != null
                && !s.spc2Holder().equals(me)) {
            // the holder's nexus may have just ended (a logout, possibly through another gateway) and its release
            // not be stored yet: the host saw the logout complete, so give the release a moment before refusing
            store.awaitChange(s, SPC2_RELEASE_GRACE_MILLIS).whenComplete((later, error) -> changeSpc2(task, decide, 1));
            return;
        }
        changeSpc2(task, decide, 1);
    }

    /** How long a RESERVE that another nexus's SPC-2 reservation blocks waits for a release in flight. */
    static final long SPC2_RELEASE_GRACE_MILLIS = 300;

    @Override
    public void release(ScsiTask task) {
        if (thirdPartyUnsupported(task)) {
            return;
        }
        PrNexusId me = id(task.nexus());
        changeSpc2(
                task,
                s -> {
                    if (!s.registrations().isEmpty()) {
                        return new Spc2Step(ScsiStatus.RESERVATION_CONFLICT, null);
                    }
                    // a RELEASE from a nexus not holding the reservation is GOOD and changes nothing (SPC-2 7.17)
                    return new Spc2Step(ScsiStatus.GOOD, me.equals(s.spc2Holder()) ? s.withSpc2Holder(null) : null);
                },
                1);
    }

    private void changeSpc2(ScsiTask task, Function<PrState, Spc2Step> decide, int attempt) {
        PrState current = store.current();
        Spc2Step step = decide.apply(current);
        if (step.next() == null) {
            task.complete(step.status(), null, null, -1);
            return;
        }
        store.compareAndSet(current, step.next(), List.of()).whenComplete((stored, error) -> {
            if (error != null) {
                task.complete(ScsiStatus.BUSY, null, null, -1);
            } else if (stored) {
                task.complete(step.status(), null, null, -1);
            } else if (attempt < MAX_ATTEMPTS) {
                changeSpc2(task, decide, attempt + 1);
            } else {
                task.complete(ScsiStatus.BUSY, null, null, -1);
            }
        });
    }

    /** Releases the SPC-2 reservation if {@code holder} (null: any nexus) holds it; nobody waits for it. */
    private void releaseSpc2(PrNexusId holder, int attempt) {
        PrState current = store.current();
        PrNexusId h = current.spc2Holder();
        if (h == null || (holder != null && !holder.equals(h))) {
            return;
        }
        store.compareAndSet(current, current.withSpc2Holder(null), List.of()).whenComplete((stored, error) -> {
            if (error == null && !stored && attempt < MAX_ATTEMPTS) {
                releaseSpc2(holder, attempt + 1);
            }
            // a store that cannot be reached: a cluster store clears holders of gone nexuses when it opens
        });
    }

    /** RESERVE(10)/RELEASE(10) with 3RDPTY (or LONGID) set: third-party reservations are unsupported. */
    private static boolean thirdPartyUnsupported(ScsiTask task) {
        byte[] cdb = task.cdb();
        int op = cdb[0] & 0xff;
        if ((op == 0x56 || op == 0x57) && (cdb[1] & 0x12) != 0) {
            int bit = (cdb[1] & 0x10) != 0 ? 4 : 1;
            task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.invalidField(true, 1, bit), -1);
            return true;
        }
        return false;
    }

    @Override
    public void nexusCreated(ItNexus nexus) {
        id(nexus);
    }

    @Override
    public void nexusLost(ItNexus nexus) {
        PrNexusId id = nexuses.remove(nexus);
        releaseSpc2(id != null ? id : PrNexusId.of(nexus), 1);
    }

    @Override
    public void reset() {
        resetEverywhere();
    }

    /**
     * The SPC-2 reservation ends, and the other gateways' nexuses get the reset's 29/03 too (SAM-5 6.3.4: every
     * I_T nexus of the logical unit; this gateway's have it from the logical unit already). Completes once
     * stored and applied everywhere, or after {@link #RESET_ANNOUNCE_MILLIS}.
     */
    @Override
    public CompletionStage<Void> resetEverywhere() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        announceReset(1, done);
        return done.completeOnTimeout(null, RESET_ANNOUNCE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void announceReset(int attempt, CompletableFuture<Void> done) {
        PrState current = store.current();
        store.compareAndSet(
                        current,
                        current.withSpc2Holder(null),
                        List.of(PrUnitAttention.everyNexus(RESET_ASC, RESET_ASCQ)))
                .whenComplete((stored, error) -> {
                    if (error == null && !stored && attempt < MAX_ATTEMPTS) {
                        announceReset(attempt + 1, done);
                    } else {
                        done.complete(null); // stored, or the store is unreachable (its gateways answer BUSY)
                    }
                });
    }

    /** Bound on how long a LOGICAL UNIT RESET's response waits for the other gateways. */
    static final long RESET_ANNOUNCE_MILLIS = 3000;

    /** BUS DEVICE RESET FUNCTION OCCURRED. */
    static final int RESET_ASC = 0x29;

    static final int RESET_ASCQ = 0x03;

    @Override
    public boolean softwareWriteProtected() {
        return store.current().softwareWriteProtect();
    }

    /**
     * One compare-and-set like a PERSISTENT RESERVE OUT's: a shared store completes it once every other gateway
     * applied it, and carries 2A/01 to every nexus but the sender's there (SPC-4 7.5.2).
     */
    @Override
    public CompletionStage<Boolean> softwareWriteProtect(boolean on, ItNexus by) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        changeSoftwareWriteProtect(on, id(by), 1, done);
        return done;
    }

    private void changeSoftwareWriteProtect(boolean on, PrNexusId by, int attempt, CompletableFuture<Boolean> done) {
        PrState current = store.current();
        if (current.softwareWriteProtect() == on) {
            done.complete(false);
            return;
        }
        store.compareAndSet(
                        current,
                        current.withSoftwareWriteProtect(on),
                        List.of(PrUnitAttention.everyNexusExcept(by, MODE_PARAMETERS_ASC, MODE_PARAMETERS_ASCQ)))
                .whenComplete((stored, error) -> {
                    if (error != null) {
                        done.completeExceptionally(error);
                    } else if (stored) {
                        done.complete(true);
                    } else if (attempt < MAX_ATTEMPTS) {
                        changeSoftwareWriteProtect(on, by, attempt + 1, done);
                    } else {
                        done.completeExceptionally(new IllegalStateException(
                                "SWP: the reservation state changed " + MAX_ATTEMPTS + " times during one change"));
                    }
                });
    }

    /** MODE PARAMETERS CHANGED. */
    static final int MODE_PARAMETERS_ASC = 0x2A;

    static final int MODE_PARAMETERS_ASCQ = 0x01;

    /** The nexus of this gateway holding the SPC-2 reservation, or null. */
    public ItNexus spc2Holder() {
        return nexusOf(store.current().spc2Holder());
    }

    /** The current persistent-reservation state. */
    public PrState state() {
        return store.current();
    }
}
