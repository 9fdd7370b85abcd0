package io.rbdgw.node;

import io.rbdgw.iscsi.session.CompletionPolling;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.PortalLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every gateway command takes: the Ceph connection and the portal's transport settings. */
final class GatewayOptions {

    @Option(names = "--ceph-conf", paramLabel = "FILE", description = "ceph.conf of the cluster holding RBD disks.")
    Path cephConf;

    @Option(
            names = "--ceph-id",
            defaultValue = "admin",
            paramLabel = "NAME",
            description =
                    "Ceph client name without 'client.' (default: ${DEFAULT-VALUE}); its keyring is found through ceph.conf.")
    String cephId;

    // The cluster settings nopinInterval/nopinTimeout win: these only apply where the cluster sets neither
    // cluster-wide nor on the target (the API then shows the setting as not overridden).
    @Option(
            names = "--nop-interval",
            paramLabel = "S",
            description =
                    "Seconds of silence before a NOP-In ping, 0 for none, where the cluster sets no nopinInterval (default: the setting's default, 5).")
    Integer nopInterval;

    @Option(
            names = "--nop-timeout",
            paramLabel = "S",
            description =
                    "Seconds an initiator has to answer a ping, where the cluster sets no nopinTimeout (default: the setting's default, 5).")
    Integer nopTimeout;

    @Option(
            names = "--metrics-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:9287",
            description = "Where GET /metrics (Prometheus text format) is served; 'off' for nowhere "
                    + "(default: ${DEFAULT-VALUE}; use 0.0.0.0:9287 or a management address for a remote Prometheus).")
    String metricsListen;

    @Option(names = "--io-threads", defaultValue = "2", description = "Event-loop threads (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(
            names = "--poll-in-flight-us",
            paramLabel = "US",
            defaultValue = "0",
            description =
                    "Microseconds an event loop with one to four disk operations in flight polls for their completion before "
                            + "it sleeps: lower latency at queue depth 1 on RBD for up to a core of CPU per loop while I/O is "
                            + "outstanding; 0 for none, at most 2000 (default: ${DEFAULT-VALUE}).")
    int pollInFlightMicros;

    // ---- what initiators may take from the gateway (see PortalLimits) --------------------------------------

    @Option(
            names = "--max-sessions",
            defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS,
            description =
                    "iSCSI sessions on this gateway, discovery ones included; more logins get 03/02 Out of resources (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(
            names = "--max-sessions-per-target",
            defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS_PER_TARGET,
            description = "Sessions to one target; more get 03/02 Out of resources (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerTarget;

    @Option(
            names = "--max-sessions-per-initiator",
            defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS_PER_INITIATOR,
            description =
                    "Sessions of one initiator name, all targets; more get 02/06 Too many connections (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerInitiator;

    @Option(
            names = "--max-login-connections",
            defaultValue = "" + PortalLimits.DEFAULT_MAX_LOGIN_CONNECTIONS,
            description = "Connections still logging in; more are closed at once (default: ${DEFAULT-VALUE}).")
    int maxLoginConnections;

    @Option(
            names = "--max-write-buffer-per-connection",
            paramLabel = "SIZE",
            defaultValue = "128M",
            description =
                    "Write data one connection may hold until the disk completes it; writes beyond get TASK SET FULL (default: ${DEFAULT-VALUE}).")
    String maxWriteBufferPerConnection;

    @Option(
            names = "--max-write-buffer",
            paramLabel = "SIZE",
            description =
                    "Write data the whole gateway may hold (default: half the JVM's direct memory, -XX:MaxDirectMemorySize or -Xmx).")
    String maxWriteBuffer;

    @Option(
            names = "--max-copy-buffer",
            paramLabel = "SIZE",
            defaultValue = "64M",
            description =
                    "Chunk buffers all EXTENDED COPY / ODX copies of this gateway hold at once; copies beyond wait "
                            + "for one (default: ${DEFAULT-VALUE}, at least 1M).")
    String maxCopyBuffer;

    @Option(
            names = "--max-waiting-copies",
            defaultValue = "" + PortalLimits.DEFAULT_MAX_WAITING_COPIES,
            description = "Copy commands that may wait for a copy buffer; more get 05/55/03 INSUFFICIENT RESOURCES "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxWaitingCopies;

    @Option(
            names = "--allow-target-reset",
            description =
                    "Let initiators TARGET WARM/COLD RESET (on the LUNs they see; a cold reset also drops every session of the target). Refused by default.")
    boolean allowTargetReset;

    PortalLimits limits() {
        return new PortalLimits(
                maxSessions,
                maxSessionsPerTarget,
                maxSessionsPerInitiator,
                maxLoginConnections,
                Sizes.parse(maxWriteBufferPerConnection),
                maxWriteBuffer == null ? PortalLimits.defaultWriteBuffer() : Sizes.parse(maxWriteBuffer),
                Sizes.parse(maxCopyBuffer),
                maxWaitingCopies);
    }

    /** The metrics address, or null for none. */
    InetSocketAddress metricsAddress() {
        if (metricsListen == null || metricsListen.equalsIgnoreCase("off") || metricsListen.equalsIgnoreCase("none")) {
            return null;
        }
        return HostPort.parse(metricsListen, 9287);
    }

    ConnectionSettings connectionSettings() {
        ConnectionSettings d = ConnectionSettings.defaults();
        return d.withNopIn(
                        nopInterval == null ? d.nopInInterval() : seconds("--nop-interval", nopInterval, 0),
                        nopTimeout == null ? d.nopInTimeout() : seconds("--nop-timeout", nopTimeout, 1))
                .withLimits(limits())
                .withTargetReset(allowTargetReset)
                .withPollInFlight(pollInFlight());
    }

    Duration pollInFlight() {
        long max = CompletionPolling.MAX_BOUND.toNanos() / 1000;
        if (pollInFlightMicros < 0 || pollInFlightMicros > max) {
            throw new IllegalArgumentException(
                    "--poll-in-flight-us " + pollInFlightMicros + " is out of range 0-" + max);
        }
        return Duration.ofNanos(pollInFlightMicros * 1000L);
    }

    /** The same range as the cluster settings nopinInterval/nopinTimeout. */
    private static Duration seconds(String option, int value, int min) {
        if (value < min || value > 3600) {
            throw new IllegalArgumentException(option + " " + value + " is out of range " + min + "-3600");
        }
        return Duration.ofSeconds(value);
    }
}
