package io.rbdgw.scsi.pr;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.UnitAttentions;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Reservations of one logical unit on this gateway. Persistent reservations live in a
 * {@link ReservationStore} and change by compare-and-set of a state computed by {@link PrLogic}
 * (retried when another change won); the SPC-2 reservation is local to the gateway, as the nexus
 * holding it is.
 */
public final class LocalReservations implements Reservations {

    /** Compare-and-set attempts before answering BUSY (the initiator retries). */
    static final int MAX_ATTEMPTS = 16;

    private final UnitAttentions unitAttentions;
    private final ReservationStore store;
    private final IntFunction<String> targetPortNames;
    /** Every nexus seen, with its PR name (computed once: ItNexus builds its names by formatting). */
    private final ConcurrentHashMap<ItNexus, PrNexusId> nexuses = new ConcurrentHashMap<>();
    private final AtomicReference<ItNexus> spc2Holder = new AtomicReference<>();

    public LocalReservations(UnitAttentions unitAttentions, ReservationStore store) {
        this(unitAttentions, store, relativePort -> null);
    }

    /**
     * @param targetPortNames the SCSI target port name of a relative target port identifier (for
     *                        REGISTER AND MOVE to a port not seen yet), or null when unknown
     */
    public LocalReservations(UnitAttentions unitAttentions, ReservationStore store,
                             IntFunction<String> targetPortNames) {
        this.unitAttentions = unitAttentions;
        this.store = store;
        this.targetPortNames = targetPortNames;
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
        ItNexus holder = spc2Holder.get();
        if (holder != null && !holder.equals(nexus)) {
            return PrAccess.permitsUnderSpc2Reservation(cdb);
        }
        return PrAccess.permits(s, id, cdb);
    }

    @Override
    public void persistentReserveIn(ScsiTask task) {
        id(task.nexus());
        byte[] cdb = task.cdb();
        int sa = cdb[1] & 0x1f;
        int allocationLength = ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        PrState s = store.current();
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

    private void attempt(ScsiTask task, ItNexus nexus, PrNexusId me, PrOutRequest request, int transferLength,
                         int attempt) {
        PrState current = store.current();
        PrResult result = PrLogic.apply(current, me, nexus.relativeTargetPort(), request,
                store.persistsThroughPowerLoss());
        if (result.next() == null) {
            task.complete(result.status(), null, result.sense(), transferLength);
            return;
        }
        store.compareAndSet(current, result.next()).whenComplete((stored, error) -> {
            if (error != null) {
                task.complete(ScsiStatus.BUSY, null, null, transferLength);
            } else if (stored) {
                for (PrUnitAttention ua : result.unitAttentions()) {
                    post(ua);
                }
                task.complete(result.status(), null, result.sense(), transferLength);
            } else if (attempt < MAX_ATTEMPTS) {
                attempt(task, nexus, me, request, transferLength, attempt + 1);
            } else {
                task.complete(ScsiStatus.BUSY, null, null, transferLength);
            }
        });
    }

    /** Establishes the unit attention on every nexus of this gateway the registration covers. */
    private void post(PrUnitAttention ua) {
        for (Map.Entry<ItNexus, PrNexusId> e : nexuses.entrySet()) {
            if (ua.registration().matches(e.getValue())) {
                unitAttentions.post(e.getKey(), ua.asc(), ua.ascq());
            }
        }
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
        if (targetPort == null || tid.isid() == null) {
            return null;
        }
        return new PrNexusId(tid.initiatorPortName(), targetPort);
    }

    @Override
    public void reserve(ScsiTask task) {
        if (thirdPartyUnsupported(task)) {
            return;
        }
        if (!store.current().registrations().isEmpty()) {
            task.complete(ScsiStatus.RESERVATION_CONFLICT, null, null, -1);
            return;
        }
        ItNexus me = task.nexus();
        id(me);
        while (true) {
            ItNexus holder = spc2Holder.get();
            if (me.equals(holder) || (holder == null && spc2Holder.compareAndSet(null, me))) {
                task.complete(ScsiStatus.GOOD, null, null, -1);
                return;
            }
            if (holder != null) {
                task.complete(ScsiStatus.RESERVATION_CONFLICT, null, null, -1);
                return;
            }
        }
    }

    @Override
    public void release(ScsiTask task) {
        if (thirdPartyUnsupported(task)) {
            return;
        }
        if (!store.current().registrations().isEmpty()) {
            task.complete(ScsiStatus.RESERVATION_CONFLICT, null, null, -1);
            return;
        }
        // a RELEASE from a nexus not holding the reservation is GOOD and changes nothing (SPC-2 7.17)
        spc2Holder.compareAndSet(task.nexus(), null);
        task.complete(ScsiStatus.GOOD, null, null, -1);
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
    public void nexusLost(ItNexus nexus) {
        spc2Holder.compareAndSet(nexus, null);
        nexuses.remove(nexus);
    }

    @Override
    public void reset() {
        spc2Holder.set(null);
    }

    /** The nexus holding the SPC-2 reservation, or null. */
    public ItNexus spc2Holder() {
        return spc2Holder.get();
    }

    /** The current persistent-reservation state. */
    public PrState state() {
        return store.current();
    }
}
