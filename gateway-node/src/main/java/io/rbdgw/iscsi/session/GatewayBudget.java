package io.rbdgw.iscsi.session;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway-wide counters behind {@link PortalLimits}, shared by every connection of one server: write data
 * held (reserved per write command, released when its task ends) and connections still logging in. Lock-free:
 * one atomic add per write command.
 */
public final class GatewayBudget {

    private final PortalLimits limits;
    private final AtomicLong writeBytes = new AtomicLong();
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

    /** Write data held by all connections now (reserved for commands not yet completed). */
    public long heldWriteBytes() {
        return writeBytes.get();
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
