package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.SysinfoView;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.SchemaVersion;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.curator.CuratorZookeeperClient;

/** {@code GET /api/sysinfo}: versions, ZooKeeper, epoch, gateways and counts in one answer (for support and scripts). */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/sysinfo")
@Produces(MediaType.APPLICATION_JSON)
public final class SysinfoResource {
    private final ConfigService config;
    private final ClusterState cluster;
    private final String version;

    public SysinfoResource(ConfigService config, ClusterState cluster, String version) {
        this.config = config;
        this.cluster = cluster;
        this.version = version;
    }

    @GET
    public Response get() {
        CuratorZookeeperClient zk = config.store().client().getZookeeperClient();
        SysinfoView.ZooKeeper zookeeper = new SysinfoView.ZooKeeper(
                zk.getCurrentConnectionString(), config.store().layout().root(), zk.isConnected());
        if (!zookeeper.connected()) {
            // reading would wait for the connection; say what is known now
            return Response.ok(new SysinfoView(version, null, zookeeper, null, List.of(), null))
                    .build();
        }
        ClusterConfig c = config.read();
        Map<String, MemberState> states = cluster.gateways();
        TreeSet<String> names = new TreeSet<>(states.keySet());
        c.gateways().forEach(g -> names.add(g.name()));
        List<SysinfoView.Gateway> gateways = new ArrayList<>();
        for (String name : names) {
            Optional<Gateway> declared = c.gateway(name);
            Optional<MemberState> state = Optional.ofNullable(states.get(name));
            Optional<GatewayStatus> status = state.flatMap(MemberState::status);
            gateways.add(new SysinfoView.Gateway(
                    name,
                    declared.isPresent(),
                    state.map(MemberState::alive).orElse(false),
                    status.map(s -> s.health().name()).orElse(null),
                    status.map(GatewayStatus::appliedEpoch).orElse(null),
                    state.map(s -> s.applied(c.epoch())).orElse(false),
                    state.flatMap(MemberState::member).map(MemberInfo::version).orElse(null),
                    state.flatMap(MemberState::member)
                            .map(m -> m.portals().stream().map(Object::toString).toList())
                            .orElse(List.of()),
                    state.flatMap(MemberState::member)
                            .filter(m -> m.startedAtMillis() > 0)
                            .map(m -> Math.max(0, (System.currentTimeMillis() - m.startedAtMillis()) / 1000))
                            .orElse(null),
                    state.flatMap(MemberState::member)
                            .map(m -> m.radosAddress() != null)
                            .orElse(null)));
        }
        SchemaVersion schema = c.schema();
        SysinfoView.Counts counts = new SysinfoView.Counts(
                c.targets().size(),
                c.disks().size(),
                c.luns().size(),
                c.clients().size(),
                c.hostGroups().size(),
                c.gateways().size());
        return Http.ok(
                c.epoch(),
                new SysinfoView(
                        version, schema.major() + "." + schema.minor(), zookeeper, c.epoch(), gateways, counts));
    }
}
