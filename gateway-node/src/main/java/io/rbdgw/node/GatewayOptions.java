package io.rbdgw.node;

import java.nio.file.Path;
import java.time.Duration;

import io.rbdgw.iscsi.session.ConnectionSettings;
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

    /** The metrics address, or null for none. */
    java.net.InetSocketAddress metricsAddress() {
        if (metricsListen == null || metricsListen.equalsIgnoreCase("off") || metricsListen.equalsIgnoreCase("none")) {
            return null;
        }
        return HostPort.parse(metricsListen, 9287);
    }

    ConnectionSettings connectionSettings() {
        return ConnectionSettings.defaults().withNopIn(Duration.ofSeconds(nopInterval), Duration.ofSeconds(nopTimeout));
    }
}
