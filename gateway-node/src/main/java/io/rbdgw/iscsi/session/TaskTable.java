package io.rbdgw.iscsi.session;

import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The SCSI commands of one connection that have a task: by ITT, with a pool of recycled task objects,
 * and the write-buffer bytes they hold (this connection's share and the gateway's, see
 * {@link GatewayBudget}). Its size is what the command window subtracts. Event loop only.
 */
final class TaskTable {

    private final IntObjectHashMap<IscsiTask> tasks = new IntObjectHashMap<>();
    private final ArrayDeque<IscsiTask> free = new ArrayDeque<>();
    private final GatewayBudget budget;
    private final long writeBufferPerConnection;
    /** Write-buffer bytes reserved by this connection's tasks. */
    private long heldWriteBytes;
    /** Recycled tasks kept: the command window (more could never be in use at once). */
    private int poolLimit;
    /** Runs after a write's data-out was released: the socket reads it lay in may be free now. */
    private final Runnable writeDataReleased;

    TaskTable(GatewayBudget budget, long writeBufferPerConnection, int poolLimit, Runnable writeDataReleased) {
        this.budget = budget;
        this.writeBufferPerConnection = writeBufferPerConnection;
        this.poolLimit = poolLimit;
        this.writeDataReleased = writeDataReleased;
    }

    void poolLimit(int limit) {
        this.poolLimit = limit;
    }

    int size() {
        return tasks.size();
    }

    IscsiTask get(int itt) {
        return tasks.get(itt);
    }

    boolean contains(int itt) {
        return tasks.containsKey(itt);
    }

    void put(IscsiTask t) {
        tasks.put(t.itt, t);
    }

    /** The tasks now, for a walk that may free some of them. */
    List<IscsiTask> snapshot() {
        return new ArrayList<>(tasks.values());
    }

    boolean anyExecuting() {
        for (IscsiTask t : tasks.values()) {
            if (t.executing) {
                return true;
            }
        }
        return false;
    }

    /** A recycled task, or null when the pool is empty. */
    IscsiTask pollFree() {
        return free.pollFirst();
    }

    /** Removes {@code t} from the table (if it is still the task of its ITT) and recycles it. */
    void free(IscsiTask t) {
        if (tasks.get(t.itt) == t) {
            tasks.remove(t.itt);
        }
        recycle(t);
    }

    /** Removes the task of {@code t}'s ITT and recycles {@code t}. */
    void removeAndRecycle(IscsiTask t) {
        tasks.remove(t.itt);
        recycle(t);
    }

    private void recycle(IscsiTask t) {
        boolean wrote = t.reservedWrite != 0;
        releaseWrite(t);
        t.reset();
        if (wrote) {
            writeDataReleased.run();
        }
        if (free.size() < poolLimit) {
            free.addFirst(t);
        }
    }

    /**
     * Reserves the task's whole expected length in this connection's and the gateway's write buffer: what
     * the data-out of the write will hold until the device completes. Arithmetic and one atomic add.
     */
    boolean reserveWrite(IscsiTask t) {
        int len = t.expectedLength;
        if (heldWriteBytes + len > writeBufferPerConnection || !budget.reserveWrite(len)) {
            return false;
        }
        heldWriteBytes += len;
        t.reservedWrite = len;
        return true;
    }

    private void releaseWrite(IscsiTask t) {
        int len = t.reservedWrite;
        if (len != 0) {
            t.reservedWrite = 0;
            heldWriteBytes -= len;
            budget.releaseWrite(len);
        }
    }

    /**
     * Aborts {@code t} for task management: a task in the backend is left to finish there and counted in
     * {@code w}; one still collecting data is freed now.
     */
    void abort(IscsiTask t, TmfWait w) {
        t.aborted = true;
        if (t.executing) {
            t.addAbortWaiter(w);
            w.pending++;
        } else {
            free(t); // still collecting data: nothing in the backend
        }
    }

    /** The connection is gone: tasks in the backend are recycled when they complete, the rest now. */
    void abortAll() {
        for (IscsiTask t : snapshot()) {
            t.aborted = true;
            if (!t.executing) {
                free(t);
            }
        }
    }
}
