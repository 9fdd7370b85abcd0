package io.rbdgw.iscsi.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LunStats;
import io.rbdgw.scsi.ScsiTask;
import java.util.ArrayList;
import java.util.List;

/**
 * One SCSI command in flight on a connection: its data-out assembly state (immediate data,
 * unsolicited Data-Out, R2T sequences) and, once the engine answers, its outcome. Objects are
 * recycled per connection, so a steady stream of commands allocates no task objects.
 *
 * <p>All fields are touched on the connection's event loop only, except {@link #complete}, which the
 * engine may call from a device thread: it stores the outcome and hops to the event loop (the task
 * itself is the Runnable, so the hop allocates nothing).
 */
final class IscsiTask implements ScsiTask, Runnable {

    static final int NO_TTT = 0xffffffff;

    private final ScsiCommands commands;

    // command
    int itt;
    long rawLun;
    long lun;
    int cmdSN;
    boolean immediate;
    boolean read;
    boolean write;
    int expectedLength;
    byte[] cdb;

    // data-out assembly
    ByteBuf dataOut;
    int received; // bytes of data-out received so far (contiguous with DataPDUInOrder)
    int unsolicitedEnd; // data-out offset where unsolicited data ends
    boolean unsolicitedOpen; // unsolicited Data-Out PDUs may still arrive
    int unsolicitedDataSN; // next DataSN expected in the unsolicited sequence
    int nextR2tOffset; // first offset not yet solicited
    int r2tSN; // next R2TSN
    final R2tSlot[] r2ts; // outstanding R2Ts
    int outstandingR2ts;
    boolean executing; // handed to the SCSI engine
    int reservedWrite; // write-buffer bytes reserved for this task (released when it is recycled)
    boolean discardDataOut; // W was set on a command that takes no data: its Data-Out is dropped
    CompletionPolling.LoopPoller poller; // the loop that counts this task in flight until it completes

    // outcome (written by complete(), read on the event loop)
    int status;
    ByteBuf dataIn;
    byte[] sense;
    int transferLength;

    // metrics: the unit's stats and when it got the command (null when it reached no unit)
    LunStats stats;
    long startNanos;

    // task management; aborted is volatile for aborted(), which a write parked for the write token and a copy
    // running on device threads read elsewhere
    volatile boolean aborted;
    TmfWait abortWaiter;
    /** Further functions waiting for this aborted task (a PREEMPT AND ABORT after an ABORT TASK), else null. */
    List<TmfWait> moreAbortWaiters;

    IscsiTask(ScsiCommands commands, int maxOutstandingR2t) {
        this.commands = commands;
        this.r2ts = new R2tSlot[maxOutstandingR2t];
        for (int i = 0; i < r2ts.length; i++) {
            r2ts[i] = new R2tSlot();
        }
    }

    /** Per outstanding R2T: the solicited range and the progress of its Data-Out sequence. */
    static final class R2tSlot {
        boolean active;
        int ttt;
        int offset;
        int length;
        int received;
        int nextDataSN;
    }

    void reset() {
        if (dataOut != null) {
            dataOut.release();
            dataOut = null;
        }
        if (dataIn != null) {
            dataIn.release();
            dataIn = null;
        }
        cdb = null;
        sense = null;
        received = 0;
        unsolicitedEnd = 0;
        unsolicitedOpen = false;
        unsolicitedDataSN = 0;
        nextR2tOffset = 0;
        r2tSN = 0;
        outstandingR2ts = 0;
        for (R2tSlot s : r2ts) {
            s.active = false;
        }
        executing = false;
        discardDataOut = false;
        stats = null;
        if (aborted) {
            aborted = false; // a volatile store only when it was set: the common path stays fence-free
        }
        abortWaiter = null;
        moreAbortWaiters = null;
        status = 0;
        transferLength = -1;
    }

    /** {@code w} waits for this task to leave the backend too. */
    void addAbortWaiter(TmfWait w) {
        if (abortWaiter == null) {
            abortWaiter = w;
        } else {
            if (moreAbortWaiters == null) {
                moreAbortWaiters = new ArrayList<>(2);
            }
            moreAbortWaiters.add(w);
        }
    }

    R2tSlot findR2t(int ttt) {
        for (R2tSlot s : r2ts) {
            if (s.active && s.ttt == ttt) {
                return s;
            }
        }
        return null;
    }

    R2tSlot freeR2tSlot() {
        for (R2tSlot s : r2ts) {
            if (!s.active) {
                return s;
            }
        }
        return null;
    }

    // ScsiTask

    @Override
    public byte[] cdb() {
        return cdb;
    }

    @Override
    public ItNexus nexus() {
        return commands.nexus();
    }

    @Override
    public long lun() {
        return lun;
    }

    @Override
    public int expectedTransferLength() {
        return expectedLength;
    }

    @Override
    public ByteBuf dataOut() {
        return dataOut;
    }

    @Override
    public ByteBufAllocator alloc() {
        return commands.alloc();
    }

    @Override
    public void complete(int status, ByteBuf dataIn, byte[] sense, int transferLength) {
        this.status = status;
        this.dataIn = dataIn;
        this.sense = sense;
        this.transferLength = transferLength;
        commands.runOnEventLoop(this);
    }

    @Override
    public void executingOn(LogicalUnit lu) {
        stats = lu.stats();
        startNanos = System.nanoTime();
    }

    @Override
    public boolean aborted() {
        return aborted;
    }

    @Override
    public void run() {
        commands.taskCompleted(this);
    }
}
