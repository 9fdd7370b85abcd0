package io.rbdgw.iscsi.session;

import io.netty.util.internal.PlatformDependent;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import io.rbdgw.scsi.xcopy.CopyLimits;

/**
 * What one gateway gives initiators at most, so that no initiator can take memory, sessions or status
 * space from the others.
 *
 * @param maxSessions              sessions (normal and discovery) on the gateway
 * @param maxSessionsPerTarget     normal sessions to one target
 * @param maxSessionsPerInitiator  sessions of one initiator name (all targets)
 * @param maxLoginConnections      connections still in the login phase (not yet authenticated); more are
 *                                 closed at once. The login timeout bounds how long each may stay.
 * @param writeBufferPerConnection bytes of write data one connection may hold before the device completes
 *                                 (reserved per write command at its expected length)
 * @param writeBuffer              the same for the whole gateway
 * @param copyBuffer               bytes of chunk buffers all server-side copies (EXTENDED COPY, WRITE USING
 *                                 TOKEN) of the gateway hold at most; copies beyond wait for a buffer
 * @param maxWaitingCopies         copy commands that may wait for a copy buffer; more get 05/55/03
 */
public record PortalLimits(
        int maxSessions,
        int maxSessionsPerTarget,
        int maxSessionsPerInitiator,
        int maxLoginConnections,
        long writeBufferPerConnection,
        long writeBuffer,
        long copyBuffer,
        int maxWaitingCopies) {

    public static final int DEFAULT_MAX_SESSIONS = 4096;
    public static final int DEFAULT_MAX_SESSIONS_PER_TARGET = 1024;
    public static final int DEFAULT_MAX_SESSIONS_PER_INITIATOR = 64;
    public static final int DEFAULT_MAX_LOGIN_CONNECTIONS = 256;
    public static final long DEFAULT_WRITE_BUFFER_PER_CONNECTION = 128L << 20;
    public static final long DEFAULT_COPY_BUFFER = CopyBuffers.DEFAULT_BYTES;
    public static final int DEFAULT_MAX_WAITING_COPIES = CopyBuffers.DEFAULT_MAX_WAITING_COPIES;

    public PortalLimits {
        if (maxSessions < 1 || maxSessionsPerTarget < 1 || maxSessionsPerInitiator < 1 || maxLoginConnections < 1) {
            throw new IllegalArgumentException("session and connection limits must be at least 1");
        }
        if (writeBufferPerConnection < 1 || writeBuffer < 1) {
            throw new IllegalArgumentException("write buffer limits must be positive");
        }
        if (copyBuffer < CopyLimits.CHUNK_BYTES) {
            throw new IllegalArgumentException(
                    "the copy buffer must hold at least one copy chunk (" + (CopyLimits.CHUNK_BYTES >> 20) + "M)");
        }
        if (maxWaitingCopies < 0) {
            throw new IllegalArgumentException(
                    "--max-waiting-copies cannot be negative: " + maxWaitingCopies + " (0 refuses rather than waits)");
        }
    }

    /** The session and write limits given, the default copy limits. */
    public PortalLimits(
            int maxSessions,
            int maxSessionsPerTarget,
            int maxSessionsPerInitiator,
            int maxLoginConnections,
            long writeBufferPerConnection,
            long writeBuffer) {
        this(
                maxSessions,
                maxSessionsPerTarget,
                maxSessionsPerInitiator,
                maxLoginConnections,
                writeBufferPerConnection,
                writeBuffer,
                DEFAULT_COPY_BUFFER,
                DEFAULT_MAX_WAITING_COPIES);
    }

    /**
     * The defaults: 4096 sessions, 1024 per target, 64 per initiator, 256 connections logging in, 128 MiB of
     * write data per connection, {@link #defaultWriteBuffer()} for the gateway, 64 MiB of copy buffers and 256
     * copies waiting for them.
     */
    public static PortalLimits defaults() {
        return new PortalLimits(
                DEFAULT_MAX_SESSIONS,
                DEFAULT_MAX_SESSIONS_PER_TARGET,
                DEFAULT_MAX_SESSIONS_PER_INITIATOR,
                DEFAULT_MAX_LOGIN_CONNECTIONS,
                DEFAULT_WRITE_BUFFER_PER_CONNECTION,
                defaultWriteBuffer());
    }

    /**
     * Half of the direct memory the JVM allows (-XX:MaxDirectMemorySize, by default the heap's -Xmx): the other
     * half stays for reads, copies and Netty's caches.
     */
    public static long defaultWriteBuffer() {
        return Math.max(16L << 20, PlatformDependent.maxDirectMemory() / 2);
    }
}
