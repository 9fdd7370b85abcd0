package io.rbdgw.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rbdgw.config.alua.AluaCoordinator;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.FailoverEvent;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.iscsi.login.LoginStatus;
import io.rbdgw.iscsi.session.CompletionPolling;
import io.rbdgw.iscsi.session.GatewayBudget;
import io.rbdgw.iscsi.session.IscsiStats;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.node.Reconciler;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.curator.framework.state.ConnectionState;

/**
 * A gateway's metrics: one Prometheus registry (every meter tagged {@code gateway=<name>}), fed by the data path
 * (per-LUN {@link LunMeters}), the iSCSI portals ({@link #iscsiStats}), the reconciler ({@link #reconcilerObserver}:
 * LUNs exported, ALUA states applied), the ALUA coordinator ({@link #failoverListener}) and the ZooKeeper connection.
 * See docs/metrics.md for what each meter means to an operator.
 */
public final class GatewayMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, LunMeters> luns = new ConcurrentHashMap<>();
    private final Map<String, Gauge> aluaStates = new ConcurrentHashMap<>();
    private final Map<String, Meter> owners = new HashMap<>(); // reconciler thread
    private final Map<String, String> ownerNames = new HashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger zkConnected = new AtomicInteger();
    private final Counter aluaTransitions;
    private final Timer aluaApply;
    private final Timer failoverDuration;
    private final Timer fencingDuration;
    private final OperationLatency operations;

    public GatewayMetrics(String gateway) {
        registry.config().commonTags("gateway", gateway);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        operations = new OperationLatency(registry);
        Gauge.builder("rbdgw.iscsi.connections", connections, AtomicInteger::get)
                .description("open TCP connections to this gateway's portals")
                .register(registry);
        Gauge.builder("rbdgw.zookeeper.connected", zkConnected, AtomicInteger::get)
                .description("1 while the ZooKeeper connection is up, 0 while suspended or lost")
                .register(registry);
        aluaTransitions = Counter.builder("rbdgw.alua.transitions")
                .description("LUN ALUA state changes applied on this gateway (each sends 2A/06 to the hosts)")
                .register(registry);
        aluaApply = Timer.builder("rbdgw.alua.apply")
                .description("from an ownership change arriving from ZooKeeper to its states being reported")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        failoverDuration = Timer.builder("rbdgw.failover.duration")
                .description("coordinator: from a gateway's loss being seen to its disks' new ownership written, "
                        + "fencing included")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        fencingDuration = Timer.builder("rbdgw.failover.fencing")
                .description("coordinator: from a gateway's loss being seen to its fencing completed")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * The configuration epoch applied last (fully or degraded) and the newest one seen, -1 before the first: an
     * alert compares them ({@code RbdgwConfigNotApplied}).
     */
    public void bindConfigEpochs(LongSupplier applied, LongSupplier latest) {
        Gauge.builder("rbdgw.config.applied.epoch", applied::getAsLong)
                .description("configuration epoch this gateway applied last (-1: none yet)")
                .register(registry);
        Gauge.builder("rbdgw.config.latest.epoch", latest::getAsLong)
                .description("newest configuration epoch this gateway has seen (-1: none yet)")
                .register(registry);
    }

    /**
     * {@code rbdgw_build_info{version}}, always 1: the build this gateway runs, so a dashboard or a rolling upgrade
     * sees which gateways run which version.
     */
    public void buildInfo(String version) {
        Gauge.builder("rbdgw.build.info", () -> 1)
                .tag("version", version)
                .description("always 1; the version label is the build this gateway runs")
                .register(registry);
    }

    /** iSCSI sessions (normal and discovery) as a gauge. */
    public void bindSessions(SessionRegistry sessions) {
        Gauge.builder("rbdgw.iscsi.sessions", sessions, SessionRegistry::size)
                .description("iSCSI sessions logged in to this gateway")
                .register(registry);
    }

    /**
     * The gateway's write budget: write data held and its limit, and the socket reads data slices keep alive and
     * their limit (half the write buffer).
     */
    public void bindWriteBudget(GatewayBudget budget) {
        Gauge.builder("rbdgw.write.buffer.bytes", budget, GatewayBudget::heldWriteBytes)
                .description("write data all connections hold until their disks complete it")
                .register(registry);
        Gauge.builder("rbdgw.write.buffer.limit.bytes", budget, GatewayBudget::writeBufferLimit)
                .description("the most write data all connections may hold (--max-write-buffer)")
                .register(registry);
        Gauge.builder("rbdgw.pinned.read.bytes", budget, GatewayBudget::pinnedReadBytes)
                .description("socket read buffers kept alive by write data that lies in them")
                .register(registry);
        Gauge.builder("rbdgw.pinned.read.limit.bytes", budget, GatewayBudget::pinnedReadLimit)
                .description("the most socket read buffers write data may keep alive; past it, data is copied out")
                .register(registry);
    }

    /** The gateway's copy buffer budget: bytes held, the limit, the most held, copies waiting, copies refused. */
    public void bindCopyBuffers(CopyBuffers buffers) {
        Gauge.builder("rbdgw.copy.buffer.bytes", buffers, CopyBuffers::inUse)
                .description("chunk buffer bytes EXTENDED COPY / WRITE USING TOKEN commands hold now")
                .register(registry);
        Gauge.builder("rbdgw.copy.buffer.limit.bytes", buffers, CopyBuffers::budget)
                .description("the most chunk buffer bytes all copies may hold (--max-copy-buffer)")
                .register(registry);
        Gauge.builder("rbdgw.copy.buffer.peak.bytes", buffers, CopyBuffers::peak)
                .description("the most chunk buffer bytes copies held at once since the gateway started")
                .register(registry);
        Gauge.builder("rbdgw.copy.waiting", buffers, CopyBuffers::waitingCopies)
                .description("copy commands that hold no chunk buffer and wait for one")
                .register(registry);
        FunctionCounter.builder("rbdgw.copy.refused", buffers, CopyBuffers::refused)
                .description("copy commands refused with 05/55/03 because too many waited for a buffer")
                .register(registry);
    }

    /**
     * What polling for device completions ({@code --poll-in-flight-us}) costs and catches: the time the event
     * loops spent polling (CPU), and the polls that something ended against those that ran out and slept.
     */
    public void bindCompletionPolling(CompletionPolling polling) {
        FunctionCounter.builder("rbdgw.iscsi.poll.seconds", polling, p -> p.polledNanos() / 1e9)
                .description("time the event loops spent polling for device completions instead of sleeping (CPU)")
                .register(registry);
        FunctionCounter.builder("rbdgw.iscsi.polls", polling, CompletionPolling::pollsWoken)
                .tag("result", "woken")
                .description("polls for device completions, by how they ended: woken (a completion or other "
                        + "work arrived while polling) or expired (the bound ran out, the loop slept)")
                .register(registry);
        FunctionCounter.builder("rbdgw.iscsi.polls", polling, CompletionPolling::pollsExpired)
                .tag("result", "expired")
                .description("polls for device completions, by how they ended: woken (a completion or other "
                        + "work arrived while polling) or expired (the bound ran out, the loop slept)")
                .register(registry);
    }

    /** Whether this gateway currently coordinates ALUA. */
    public void bindCoordinator(BooleanSupplier leader) {
        Gauge.builder("rbdgw.alua.coordinator", () -> leader.getAsBoolean() ? 1 : 0)
                .description("1 on the gateway that currently coordinates ALUA ownership")
                .register(registry);
    }

    /** ZooKeeper connection state changes. */
    public void zookeeperState(ConnectionState state) {
        zkConnected.set(state.isConnected() ? 1 : 0);
        Counter.builder("rbdgw.zookeeper.state.changes")
                .tag("state", state.name().toLowerCase(Locale.ROOT))
                .description("ZooKeeper connection state changes by new state")
                .register(registry)
                .increment();
    }

    public IscsiStats iscsiStats() {
        return new IscsiStats() {
            @Override
            public void loginFailed(int statusClass, int statusDetail) {
                Counter.builder("rbdgw.iscsi.login.failures")
                        .tag("reason", loginReason(statusClass, statusDetail))
                        .description("logins refused, by status")
                        .register(registry)
                        .increment();
            }

            @Override
            public void pduRejected(int reason) {
                Counter.builder("rbdgw.iscsi.pdu.rejects")
                        .tag("reason", String.format("0x%02x", reason))
                        .description("Reject PDUs sent, by reason code (RFC 7143 11.17.1)")
                        .register(registry)
                        .increment();
            }

            @Override
            public void connections(int delta) {
                connections.addAndGet(delta);
            }
        };
    }

    static String loginReason(int statusClass, int statusDetail) {
        LoginStatus s = new LoginStatus(statusClass, statusDetail);
        for (Field f : LoginStatus.class.getFields()) {
            try {
                if (f.getType() == LoginStatus.class && s.equals(f.get(null))) {
                    return f.getName().toLowerCase(Locale.ROOT);
                }
            } catch (IllegalAccessException e) {
                break;
            }
        }
        return String.format("0x%02x%02x", statusClass, statusDetail);
    }

    public Reconciler.Observer reconcilerObserver() {
        return new Reconciler.Observer() {
            @Override
            public void lunAdded(String target, int lun, String disk, LogicalUnit lu, ClusterTargetPortGroups alua) {
                String key = target + "/" + lun;
                LunMeters old = luns.put(key, new LunMeters(registry, operations, target, lun, disk));
                if (old != null) {
                    old.close();
                }
                lu.stats(luns.get(key));
                Gauge g = Gauge.builder("rbdgw.lun.alua.state", alua, ClusterTargetPortGroups::localState)
                        .tags("target", target, "lun", Integer.toString(lun), "disk", disk)
                        .description(
                                "this gateway's ALUA state for the LUN: 0 active/optimized, 1 active/non-optimized, "
                                        + "2 standby, 3 unavailable, 15 transitioning")
                        .strongReference(true)
                        .register(registry);
                Gauge was = aluaStates.put(key, g);
                if (was != null && was != g) {
                    registry.remove(was);
                }
            }

            @Override
            public void lunRemoved(String target, int lun, String disk, LogicalUnit lu) {
                String key = target + "/" + lun;
                LunMeters m = luns.remove(key);
                if (m != null) {
                    m.close();
                }
                Gauge g = aluaStates.remove(key);
                if (g != null) {
                    registry.remove(g);
                }
            }

            @Override
            public void aluaApplied(AluaSnapshot snapshot, int transitions, long nanos) {
                if (transitions > 0) {
                    aluaTransitions.increment(transitions);
                    aluaApply.record(nanos, TimeUnit.NANOSECONDS);
                }
                if (snapshot != null) {
                    owners(snapshot.owners());
                }
            }
        };
    }

    /** {@code rbdgw_lun_owner{disk,owner} 1} per disk; re-registered when the owner changes. */
    private void owners(Map<String, LunOwnership> current) {
        for (var it = owners.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            LunOwnership o = current.get(e.getKey());
            if (o == null || !o.owner().equals(ownerNames.get(e.getKey()))) {
                registry.remove(e.getValue());
                ownerNames.remove(e.getKey());
                it.remove();
            }
        }
        current.forEach((disk, o) -> {
            if (!owners.containsKey(disk)) {
                owners.put(
                        disk,
                        Gauge.builder("rbdgw.lun.owner", () -> 1)
                                .tags("disk", disk, "owner", o.owner())
                                .description(
                                        "the gateway that owns the disk (Active/Optimized), as this gateway sees it")
                                .register(registry));
                ownerNames.put(disk, o.owner());
            }
        });
    }

    /** Counts the coordinator's ownership moves by reason and times failovers (only the coordinator records). */
    public AluaCoordinator.Listener failoverListener() {
        return (List<FailoverEvent> events) -> {
            for (FailoverEvent e : events) {
                Counter.builder("rbdgw.failover.moves")
                        .tag("reason", e.reason().name().toLowerCase(Locale.ROOT))
                        .description("LUN ownership moves written by this gateway as coordinator, by reason")
                        .register(registry)
                        .increment();
                if (e.durationMillis() != null) {
                    failoverDuration.record(Duration.ofMillis(e.durationMillis()));
                }
                if (e.lostSeenAtMillis() != null && e.fencedAtMillis() != null) {
                    fencingDuration.record(Duration.ofMillis(e.fencedAtMillis() - e.lostSeenAtMillis()));
                }
            }
        };
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
