package io.rbdgw.node;

import java.nio.file.Path;
import java.time.Duration;

import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.PortalLimits;
import picocli.CommandLine.Option;

/** Options every gateway command takes: the Ceph connection and the portal's transport settings. */
final class GatewayOptions {

    @Option(names = "--ceph-conf", paramLabel = "FILE", description = "ceph.conf of the cluster holding RBD disks.")
    Path cephConf;

    @Option(names = "--ceph-id", defaultValue = "admin", paramLabel = "NAME",
            description = "Ceph client name without 'client.' (default: ${DEFAULT-VALUE}); its keyring is found through ceph.conf.")
    String cephId;

    @Option(names = "--nop-interval", defaultValue = "5", description = "Seconds of silence before a NOP-In ping (default: ${DEFAULT-VALUE}).")
    int nopInterval;

    @Option(names = "--nop-timeout", defaultValue = "5", description = "Seconds an initiator has to answer a ping (default: ${DEFAULT-VALUE}).")
    int nopTimeout;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9287",
            description = "Where GET /metrics (Prometheus text format) is served; 'off' for nowhere "
                    + "(default: ${DEFAULT-VALUE}; use 0.0.0.0:9287 or a management address for a remote Prometheus).")
    String metricsListen;

    @Option(names = "--io-threads", defaultValue = "2", description = "Event-loop threads (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    // ---- what initiators may take from the gateway (see PortalLimits) --------------------------------------

    @Option(names = "--max-sessions", defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS,
            description = "iSCSI sessions on this gateway, discovery ones included; more logins get 03/02 Out of resources (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(names = "--max-sessions-per-target", defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS_PER_TARGET,
            description = "Sessions to one target; more get 03/02 Out of resources (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerTarget;

    @Option(names = "--max-sessions-per-initiator", defaultValue = "" + PortalLimits.DEFAULT_MAX_SESSIONS_PER_INITIATOR,
            description = "Sessions of one initiator name, all targets; more get 02/06 Too many connections (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerInitiator;

    @Option(names = "--max-login-connections", defaultValue = "" + PortalLimits.DEFAULT_MAX_LOGIN_CONNECTIONS,
            description = "Connections still logging in; more are closed at once (default: ${DEFAULT-VALUE}).")
    int maxLoginConnections;

    @Option(names = "--max-write-buffer-per-connection", paramLabel = "SIZE", defaultValue = "128M",
            description = "Write data one connection may hold until the disk completes it; writes beyond get TASK SET FULL (default: ${DEFAULT-VALUE}).")
    String maxWriteBufferPerConnection;

    @Option(names = "--max-write-buffer", paramLabel = "SIZE",
            description = "Write data the whole gateway may hold (default: half the JVM's direct memory, -XX:MaxDirectMemorySize or -Xmx).")
    String maxWriteBuffer;

    @Option(names = "--allow-target-reset",
            description = "Let initiators TARGET WARM/COLD RESET (on the LUNs they see; a cold reset also drops every session of the target). Refused by default.")
    boolean allowTargetReset;

    PortalLimits limits() {
        return new PortalLimits(maxSessions, maxSessionsPerTarget, maxSessionsPerInitiator, maxLoginConnections,
                Sizes.parse(maxWriteBufferPerConnection),
                maxWriteBuffer == null ? PortalLimits.defaultWriteBuffer() : Sizes.parse(maxWriteBuffer));
    }

    /** The metrics address, or null for none. */
    java.net.InetSocketAddress metricsAddress() {
        if (metricsListen == null || metricsListen.equalsIgnoreCase("off") || metricsListen.equalsIgnoreCase("none")) {
            return null;
        }
        return HostPort.parse(metricsListen, 9287);
    }

    ConnectionSettings connectionSettings() {
        return ConnectionSettings.defaults().withNopIn(Duration.ofSeconds(nopInterval), Duration.ofSeconds(nopTimeout))
                .withLimits(limits()).withTargetReset(allowTargetReset);
    }
}
