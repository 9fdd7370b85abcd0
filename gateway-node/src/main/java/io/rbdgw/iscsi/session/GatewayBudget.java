package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.pdu.ReadPinBudget;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway-wide counters behind {@link PortalLimits}, shared by every connection of one server: write data
 * held (reserved per write command, released when its task ends), socket reads kept alive by data slices, and
 * connections still logging in. Lock-free: one atomic add per write command, one per read a slice pins.
 *
 * <p>Direct memory held for writes is then at most the write buffer (data, whether copied or sliced) plus the
 * pinned reads, which {@link #pinnedReadLimit()} caps at half the write buffer: with the default write buffer of
 * half the JVM's direct memory, three quarters of it.
 */
public final class GatewayBudget implements ReadPinBudget {

    private final PortalLimits limits;
    private final AtomicLong writeBytes = new AtomicLong();
    private final AtomicLong pinnedReadBytes = new AtomicLong();
    private final AtomicInteger loggingIn = new AtomicInteger();

    public GatewayBudget(PortalLimits limits) {
        this.limits = limits;
    }

    /** Reserves {@code bytes} of the gateway's write buffer; false (nothing reserved) when it would overflow. */
    boolean reserveWrite(long bytes) {
        if (writeBytes.addAndGet(bytes) > limits.writeBuffer()) {
            writeBytes.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    void releaseWrite(long bytes) {
        writeBytes.addAndGet(-bytes);
    }

    /** Write data all connections may hold ({@code --max-write-buffer}). */
    public long writeBufferLimit() {
        return limits.writeBuffer();
    }

    /** Write data held by all connections now (reserved for commands not yet completed). */
    public long heldWriteBytes() {
        return writeBytes.get();
    }

    /** Socket-read bytes all connections' data slices may keep alive: half the write buffer. */
    public long pinnedReadLimit() {
        return Math.max(1, limits.writeBuffer() / 2);
    }

    @Override
    public boolean tryPin(long bytes) {
        if (pinnedReadBytes.addAndGet(bytes) > pinnedReadLimit()) {
            pinnedReadBytes.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    @Override
    public void unpin(long bytes) {
        pinnedReadBytes.addAndGet(-bytes);
    }

    /** Socket-read bytes kept alive by data slices of all connections now. */
    public long pinnedReadBytes() {
        return pinnedReadBytes.get();
    }

    /** A connection starts its login; false (not counted) when too many are logging in already. */
    boolean loginStarted() {
        if (loggingIn.incrementAndGet() > limits.maxLoginConnections()) {
            loggingIn.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A connection counted by {@link #loginStarted} left the login phase (logged in or closed). */
    void loginEnded() {
        loggingIn.decrementAndGet();
    }

    /** Connections in the login phase now. */
    public int loggingIn() {
        return loggingIn.get();
    }
}
