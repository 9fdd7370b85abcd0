package io.rbdgw.iscsi.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.R2t;
import io.rbdgw.iscsi.pdu.RejectReason;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.scsi.CommandSpec;
import io.rbdgw.scsi.CommandTable;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LunStats;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.SenseData;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCSI commands on a connection: a task per command, its data-out (immediate data, unsolicited Data-Out,
 * R2T-solicited bursts, within the connection's and the gateway's write buffer), the hand-off to the SCSI
 * engine, and its answer (Data-In slices with the status folded into the last, or a SCSI Response).
 */
final class ScsiCommands {

    private static final Logger log = LoggerFactory.getLogger(ScsiCommands.class);

    /** Pieces a write's data-out is kept in before it is consolidated (IOV_MAX: one rbd_aio_writev). */
    private static final int MAX_DATA_OUT_PIECES = 1024;

    private static final int RESERVED_TAG = IscsiConnection.RESERVED_TAG;

    private final IscsiConnection conn;
    private final TaskTable tasks;
    private final ConnectionSettings settings;
    /** Whether the event loops poll for completions: tasks in the device are then counted for their loop. */
    private final boolean polling;

    ScsiCommands(IscsiConnection conn, ConnectionSettings settings) {
        this.conn = conn;
        this.tasks = conn.tasks();
        this.settings = settings;
        this.polling = !settings.pollInFlight().isZero();
    }

    // what a task asks of its connection, from any thread for runOnEventLoop

    ItNexus nexus() {
        return conn.nexus();
    }

    ByteBufAllocator alloc() {
        return conn.alloc();
    }

    void runOnEventLoop(Runnable r) {
        conn.runOnEventLoop(r);
    }

    // ---------------------------------------------------------------- the command

    void onScsiCommand(ScsiCommand c) {
        if (!conn.acceptCmdSN(c.immediate(), c.cmdSN())) {
            return;
        }
        if (tasks.contains(c.itt())) {
            conn.reject(RejectReason.TASK_IN_PROGRESS, null, false);
            return;
        }
        if (c.immediate() && tasks.size() > conn.commandWindow()) {
            // Immediate commands bypass CmdSN, not the queue: RFC 7143 4.2.2.1 only requires one immediate
            // non-task-management request per connection to be taken beyond the window (hence the + 1).
            // Refused with TASK SET FULL, the SCSI answer for a full task set (SAM-5 5.3): the initiator
            // retries and lowers its queue depth.
            taskSetFull(c);
            return;
        }
        var params = conn.session().params();
        IscsiTask t = obtainTask();
        t.itt = c.itt();
        t.rawLun = c.lun();
        t.lun = SamLun.decode(c.lun());
        t.cmdSN = c.cmdSN();
        t.immediate = c.immediate();
        t.read = c.read();
        t.write = c.write();
        t.expectedLength = c.expectedDataTransferLength();
        t.cdb = c.cdb();
        tasks.put(t);

        ByteBuf imm = c.data();
        int immLen = imm.readableBytes();
        if (immLen > 0
                && (!c.write()
                        || !params.immediateData()
                        || immLen > params.firstBurstLength()
                        || immLen > c.expectedDataTransferLength())) {
            tasks.removeAndRecycle(t);
            conn.protocolError("immediate data not allowed or too long (" + immLen + " bytes)");
            return;
        }
        if (c.write() && !takesDataOut(c)) {
            // W on a command that takes no data (a READ flagged as a write): nothing is solicited or kept,
            // immediate data goes with its PDU and unsolicited Data-Out is dropped; the command runs as what
            // its CDB says. libiscsi's conformance suite (iSCSIResiduals.Read10Invalid) expects GOOD here, as
            // LIO answers, so it is not refused; what it must not do is make the target buffer data for nothing.
            t.write = false;
            t.discardDataOut = true;
            execute(t);
            return;
        }
        if (!t.write || t.expectedLength == 0) {
            execute(t);
            return;
        }
        if (t.expectedLength < 0 || t.expectedLength > settings.maxWriteBytes()) {
            // Too large to buffer: refused at once, nothing solicited; unsolicited data that follows
            // finds no task and is dropped.
            finishWithoutExecuting(t, SenseData.invalidField(true, transferLengthByte(t.cdb), -1));
            return;
        }
        if (!tasks.reserveWrite(t)) {
            // Over the connection's or the gateway's write buffer: nothing is solicited, immediate data is
            // dropped with the PDU and unsolicited Data-Out finds no task. Retryable for the initiator.
            tasks.removeAndRecycle(t);
            taskSetFull(c);
            return;
        }
        if (immLen == t.expectedLength) {
            // The whole write came as immediate data: hand its buffer to the device as it is.
            t.dataOut = imm.retainedSlice();
            t.received = immLen;
            execute(t);
            return;
        }
        // The data-out is kept as the PDUs delivered it, without a copy: a composite of their data,
        // which the device writes as it lies (BlockDevice.writev). Past MAX_DATA_OUT_PIECES the
        // composite consolidates itself into one buffer.
        CompositeByteBuf pieces = conn.alloc().compositeDirectBuffer(MAX_DATA_OUT_PIECES);
        if (immLen > 0) {
            pieces.addFlattenedComponents(true, imm.retainedSlice());
        }
        t.dataOut = pieces;
        t.received = immLen;
        t.unsolicitedEnd = Math.min(params.firstBurstLength(), t.expectedLength);
        t.unsolicitedOpen = !params.initialR2T() && !c.finalFlag() && immLen < t.unsolicitedEnd;
        if (!t.unsolicitedOpen) {
            t.nextR2tOffset = t.received;
            sendR2ts(t);
        }
    }

    /**
     * Whether the command's CDB may take data-out (an unsupported one may: the SCSI engine answers it and the
     * write budget bounds what it is sent). A table lookup, no allocation.
     */
    private static boolean takesDataOut(ScsiCommand c) {
        CommandSpec spec = CommandTable.SBC.lookup(c.cdb());
        return spec == null || spec.direction() == CommandSpec.DATA_OUT;
    }

    /** TASK SET FULL for a command that got no task. */
    private void taskSetFull(ScsiCommand c) {
        conn.send(new ScsiResponse(
                false,
                false,
                false,
                false,
                0,
                ScsiStatus.TASK_SET_FULL,
                c.itt(),
                0,
                conn.nextStatSN(),
                conn.expCmdSN(),
                conn.maxCmdSN(),
                0,
                0,
                0,
                Unpooled.EMPTY_BUFFER));
    }

    /** Offset of the transfer-length byte in a write CDB, for the sense field pointer. */
    private static int transferLengthByte(byte[] cdb) {
        int op = cdb[0] & 0xff;
        return switch (op >>> 5) {
            case 0 -> 4;
            case 1, 2 -> 7;
            case 4 -> 10;
            case 5 -> 6;
            default -> 0;
        };
    }

    private IscsiTask obtainTask() {
        IscsiTask t = tasks.pollFree();
        if (t == null) {
            t = new IscsiTask(this, Math.max(1, conn.session().params().maxOutstandingR2T()));
        }
        t.reset();
        return t;
    }

    // ---------------------------------------------------------------- data-out

    private void sendR2ts(IscsiTask t) {
        var params = conn.session().params();
        while (t.nextR2tOffset < t.expectedLength && t.outstandingR2ts < params.maxOutstandingR2T()) {
            IscsiTask.R2tSlot slot = t.freeR2tSlot();
            if (slot == null) {
                break;
            }
            int len = Math.min(params.maxBurstLength(), t.expectedLength - t.nextR2tOffset);
            slot.active = true;
            slot.ttt = conn.nextTag();
            slot.offset = t.nextR2tOffset;
            slot.length = len;
            slot.received = 0;
            slot.nextDataSN = 0;
            t.outstandingR2ts++;
            t.nextR2tOffset += len;
            // R2T does not advance StatSN.
            conn.send(new R2t(
                    t.rawLun,
                    t.itt,
                    slot.ttt,
                    conn.statSN(),
                    conn.expCmdSN(),
                    conn.maxCmdSN(),
                    t.r2tSN++,
                    slot.offset,
                    len));
        }
    }

    void onDataOut(DataOut d) {
        IscsiTask t = tasks.get(d.itt());
        if (t == null) {
            // Data for a task that is gone (aborted, or failed early): dropped, as RFC 7143 allows.
            return;
        }
        if (t.discardDataOut) {
            return; // data for a command that takes none (see onScsiCommand)
        }
        if (!t.write || t.executing) {
            conn.protocolError(
                    "Data-Out for a task that is not receiving data (ITT 0x" + Integer.toHexString(d.itt()) + ")");
            return;
        }
        int len = d.data().readableBytes();
        int off = d.bufferOffset();
        if (d.ttt() == RESERVED_TAG) {
            if (!t.unsolicitedOpen) {
                conn.protocolError("unsolicited Data-Out not allowed here");
                return;
            }
            if (d.dataSN() != t.unsolicitedDataSN || off != t.received || off + len > t.unsolicitedEnd) {
                failDataSequence(
                        t,
                        "unsolicited Data-Out out of order or beyond FirstBurstLength (DataSN " + d.dataSN()
                                + ", offset " + off + ", length " + len + ")");
                return;
            }
            t.unsolicitedDataSN++;
            addDataOut(t, off, d.data());
            t.received = off + len;
            if (d.finalFlag() || t.received == t.unsolicitedEnd) {
                t.unsolicitedOpen = false;
                t.nextR2tOffset = t.received;
                if (t.aborted) {
                    return;
                }
                if (t.received == t.expectedLength) {
                    execute(t);
                } else {
                    sendR2ts(t);
                }
            }
            return;
        }
        IscsiTask.R2tSlot slot = t.findR2t(d.ttt());
        if (slot == null) {
            failDataSequence(t, "Data-Out with an unknown Target Transfer Tag 0x" + Integer.toHexString(d.ttt()));
            return;
        }
        if (d.dataSN() != slot.nextDataSN || off != slot.offset + slot.received || slot.received + len > slot.length) {
            failDataSequence(
                    t,
                    "solicited Data-Out out of order or beyond its R2T (DataSN " + d.dataSN() + ", offset " + off
                            + ", length " + len + ")");
            return;
        }
        slot.nextDataSN++;
        addDataOut(t, off, d.data());
        slot.received += len;
        t.received += len;
        if (slot.received == slot.length) {
            if (!d.finalFlag()) {
                failDataSequence(t, "R2T sequence complete without the F bit");
                return;
            }
            slot.active = false;
            t.outstandingR2ts--;
            if (t.aborted) {
                return;
            }
            if (t.outstandingR2ts == 0 && t.nextR2tOffset == t.expectedLength) {
                t.dataOut.writerIndex(t.expectedLength);
                execute(t);
            } else {
                sendR2ts(t);
            }
        } else if (d.finalFlag()) {
            failDataSequence(t, "F bit before the end of the R2T sequence");
        }
    }

    /**
     * Places a Data-Out's data at {@code offset} of the task's data-out. In offset order (always, with
     * DataPDUInOrder and DataSequenceInOrder, unless several R2Ts are outstanding and the initiator
     * answers them interleaved) it is appended without a copy; otherwise what has arrived is copied
     * into one buffer of the full length once, and the rest is copied into place.
     */
    private void addDataOut(IscsiTask t, int offset, ByteBuf data) {
        ByteBuf out = t.dataOut;
        if (out instanceof CompositeByteBuf pieces) {
            if (offset == pieces.writerIndex()) {
                pieces.addFlattenedComponents(true, data.retainedSlice());
                return;
            }
            out = conn.alloc().directBuffer(t.expectedLength, t.expectedLength);
            out.writeBytes(pieces, pieces.readerIndex(), pieces.readableBytes());
            pieces.release();
            t.dataOut = out;
        }
        out.setBytes(offset, data, data.readerIndex(), data.readableBytes());
        out.writerIndex(Math.max(out.writerIndex(), offset + data.readableBytes()));
    }

    /**
     * A Data-Out that breaks its sequence (DataSN, offset, burst length). At ErrorRecoveryLevel 0
     * there is no retransmission, but the stream itself is intact, so only the command fails: CHECK
     * CONDITION, ABORTED COMMAND / DATA PHASE ERROR; later Data-Out for it are dropped, since the
     * task is gone once its response is out.
     */
    private void failDataSequence(IscsiTask t, String why) {
        log.warn("{}: failing ITT 0x{}: {}", conn.remoteAddress(), Integer.toHexString(t.itt), why);
        for (IscsiTask.R2tSlot s : t.r2ts) {
            s.active = false;
        }
        t.outstandingR2ts = 0;
        t.unsolicitedOpen = false;
        t.nextR2tOffset = t.expectedLength;
        finishWithoutExecuting(t, SenseData.fixed(SenseData.ABORTED_COMMAND, 0x4B, 0x00));
    }

    // ---------------------------------------------------------------- execution and the answer

    private void execute(IscsiTask t) {
        t.executing = true;
        if (t.dataOut != null && t.dataOut.writerIndex() < t.received) {
            t.dataOut.writerIndex(t.received);
        }
        ScsiTarget scsi = conn.session().scsi();
        if (scsi == null) {
            t.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x25, 0), -1);
            return;
        }
        if (polling) {
            // In flight from here to taskCompleted; a command the engine answers inline nets out at once.
            CompletionPolling.LoopPoller poller = CompletionPolling.current();
            if (poller != null) {
                poller.started();
                t.poller = poller;
            }
        }
        try {
            scsi.execute(t);
        } catch (RuntimeException | Error e) {
            if (t.poller != null) { // never completes now: not in flight any more
                t.poller.finished();
                t.poller = null;
            }
            throw e;
        }
    }

    private void finishWithoutExecuting(IscsiTask t, byte[] sense) {
        t.executing = true;
        t.complete(ScsiStatus.CHECK_CONDITION, null, sense, -1);
    }

    /** The engine's answer, on the event loop. */
    void taskCompleted(IscsiTask t) {
        if (t.poller != null) {
            t.poller.finished();
            t.poller = null;
        }
        LunStats st = t.stats;
        if (st != null) {
            if (t.aborted) {
                st.aborted(t.cdb[0] & 0xff);
            } else {
                int moved = t.transferLength < 0 ? 0 : Math.min(t.transferLength, t.expectedLength);
                st.completed(t.cdb[0] & 0xff, t.status, t.sense, moved, System.nanoTime() - t.startNanos);
            }
        }
        if (t.aborted || conn.state() == IscsiConnection.State.CLOSED) {
            TmfWait w = t.abortWaiter;
            List<TmfWait> more = t.moreAbortWaiters;
            tasks.free(t);
            if (w != null) {
                w.taskGone();
            }
            if (more != null) {
                more.forEach(TmfWait::taskGone);
            }
            if (conn.state() != IscsiConnection.State.CLOSED) {
                conn.commandFinished(); // a logout may wait for this one, aborted or not
            }
            return;
        }
        // Data-in goes only to a command flagged R: without it none is sent, and the residual says so
        int edtl = t.dataIn != null && !t.read ? 0 : t.expectedLength;
        boolean good = t.status == ScsiStatus.GOOD && t.sense == null;
        int tl = t.transferLength;
        boolean overflow = false;
        boolean underflow = false;
        int residual = 0;
        if (tl >= 0 || good) {
            // Residuals are reported with any status when the command says what it wanted to move
            // (RFC 7143 11.4.5: a write cut short by the EDTL still reports its overflow).
            int actual = tl >= 0 ? tl : 0;
            if (actual > edtl) {
                overflow = true;
                residual = actual - edtl;
            } else if (actual < edtl) {
                underflow = true;
                residual = edtl - actual;
            }
        }
        ByteBuf in = t.dataIn;
        t.dataIn = null;
        int sent = 0;
        if (in != null) {
            int len = Math.min(in.readableBytes(), t.read ? edtl : 0);
            int mrdsl = conn.session().params().initiatorMaxRecvDataSegmentLength();
            int dataSN = 0;
            int base = in.readerIndex();
            while (sent < len) {
                int n = Math.min(mrdsl, len - sent);
                boolean last = sent + n == len;
                boolean withStatus = last && good;
                ByteBuf slice = in.retainedSlice(base + sent, n);
                DataIn pdu = new DataIn(
                        last,
                        false,
                        withStatus && overflow,
                        withStatus && underflow,
                        withStatus,
                        withStatus ? t.status : 0,
                        t.rawLun,
                        t.itt,
                        RESERVED_TAG,
                        withStatus ? conn.nextStatSN() : 0,
                        conn.expCmdSN(),
                        maxCmdSNAfter(t),
                        dataSN++,
                        sent,
                        withStatus ? residual : 0,
                        slice);
                sent += n;
                conn.write(pdu);
            }
            in.release();
        }
        if (!good || sent == 0) {
            ByteBuf senseBuf = Unpooled.EMPTY_BUFFER;
            if (t.sense != null) {
                senseBuf = conn.alloc().buffer(2 + t.sense.length);
                senseBuf.writeShort(t.sense.length);
                senseBuf.writeBytes(t.sense);
            }
            conn.write(new ScsiResponse(
                    false,
                    false,
                    overflow,
                    underflow,
                    0,
                    t.status,
                    t.itt,
                    0,
                    conn.nextStatSN(),
                    conn.expCmdSN(),
                    maxCmdSNAfter(t),
                    0,
                    0,
                    residual,
                    senseBuf));
        }
        tasks.free(t);
        conn.flushSoon();
        conn.commandFinished();
    }

    /** MaxCmdSN as it will be once {@code t} is freed: the response itself opens the window. */
    private int maxCmdSNAfter(IscsiTask t) {
        return conn.maxCmdSN() + (tasks.contains(t.itt) ? 1 : 0);
    }
}
