package io.rbdgw.admin;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.databind.DeserializationFeature;
import io.dropwizard.core.setup.Environment;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.auth.AdminContextFilter;
import io.rbdgw.admin.auth.AuthFeature;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.auth.RemoteAddressFilter;
import io.rbdgw.admin.auth.WireLogGuard;
import io.rbdgw.admin.core.AuditLog;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.admin.core.DiskImages;
import io.rbdgw.admin.core.Jobs;
import io.rbdgw.admin.health.CephHealthCheck;
import io.rbdgw.admin.health.ZooKeeperHealthCheck;
import io.rbdgw.admin.resources.AluaResource;
import io.rbdgw.admin.resources.AuditResource;
import io.rbdgw.admin.resources.AuditTrail;
import io.rbdgw.admin.resources.ClientsResource;
import io.rbdgw.admin.resources.ClusterResource;
import io.rbdgw.admin.resources.ConfigTransferResource;
import io.rbdgw.admin.resources.DisksResource;
import io.rbdgw.admin.resources.ErrorMappers;
import io.rbdgw.admin.resources.GatewaysResource;
import io.rbdgw.admin.resources.HostGroupsResource;
import io.rbdgw.admin.resources.JobsResource;
import io.rbdgw.admin.resources.OpenApiDocument;
import io.rbdgw.admin.resources.OpenApiResource;
import io.rbdgw.admin.resources.RequestBodyLimit;
import io.rbdgw.admin.resources.SecretsResource;
import io.rbdgw.admin.resources.SysinfoResource;
import io.rbdgw.admin.resources.TargetsResource;
import io.rbdgw.config.store.ConfigStore;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

/** Wires the API's resources, filters, error mappers and health checks into a Dropwizard environment. */
public final class AdminApi {
    /** Every resource class, in the order the OpenAPI document and the /api index list them. */
    public static final List<Class<?>> RESOURCES = List.of(
            ClusterResource.class,
            ConfigTransferResource.class,
            TargetsResource.class,
            ClientsResource.class,
            HostGroupsResource.class,
            DisksResource.class,
            GatewaysResource.class,
            AluaResource.class,
            SecretsResource.class,
            AuditResource.class,
            SysinfoResource.class,
            JobsResource.class,
            OpenApiResource.class);

    private AdminApi() {}

    public static String version() {
        String v = AdminApi.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Registers everything.
     *
     * @param healthPool the pool the Ceph health check lists (only if Ceph is configured)
     */
    public static void register(
            Environment env,
            ConfigStore store,
            CephAccess ceph,
            Path dataDir,
            PasswordHash password,
            String healthPool) {
        register(env, store, ceph, dataDir, password, healthPool, true);
    }

    /**
     * @param tasks whether Dropwizard's admin tasks (gc, log-level) are served (authenticated); the embedded
     *     server has none
     */
    public static void register(
            Environment env,
            ConfigStore store,
            CephAccess ceph,
            Path dataDir,
            PasswordHash password,
            String healthPool,
            boolean tasks) {
        WireLogGuard.install();
        AdminAuthenticator authenticator = new AdminAuthenticator(password);
        // the admin context (metrics, threads, tasks) behind the same credentials, except health and ping
        env.admin()
                .addFilter("rbdgw-authentication", new AdminContextFilter(authenticator, tasks))
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        ConfigService config = new ConfigService(store);
        ClusterState cluster = new ClusterState(store);
        DiskImages images = new DiskImages(ceph, dataDir);
        env.servlets()
                .addFilter("rbdgw-remote-address", new RemoteAddressFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        // authentication is bound per resource method by its @RolesAllowed/@PermitAll; unannotated is denied
        env.jersey().register(new AuthFeature(authenticator));
        // a misspelt or misplaced field must be an error, not silently dropped (it once removed a client's CHAP)
        env.getObjectMapper()
                .enable(
                        DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                        DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                        DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        // a null inside a list ("disks": [null]) is refused when read, not met later as a NullPointerException
        // (maps keep nulls: {"parameters": {"KEY": null}} removes an override)
        env.getObjectMapper().configOverride(List.class).setSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL));
        env.jersey().register(new RequestBodyLimit());
        for (Object m : ErrorMappers.all()) {
            env.jersey().register(m);
        }
        env.jersey().register(new ClusterResource(config, cluster, OpenApiDocument.endpoints(RESOURCES)));
        env.jersey().register(new ConfigTransferResource(config, images, version()));
        env.jersey().register(new TargetsResource(config));
        env.jersey().register(new ClientsResource(config));
        env.jersey().register(new HostGroupsResource(config));
        Jobs jobs = new Jobs(store.client(), store.layout());
        env.lifecycle().manage(jobs);
        env.jersey().register(new DisksResource(config, images, jobs));
        env.jersey().register(new JobsResource(jobs));
        env.jersey().register(new GatewaysResource(config, cluster));
        env.jersey().register(new AluaResource(config, cluster));
        env.jersey().register(new SecretsResource(config));
        env.jersey().register(new SysinfoResource(config, cluster, version()));
        AuditLog audit = new AuditLog(store.client(), store.layout().root(), AuditLog.DEFAULT_CAPACITY);
        env.jersey().register(new AuditTrail(audit));
        env.jersey().register(new AuditResource(audit, config));
        env.jersey().register(new OpenApiResource(OpenApiDocument.build(RESOURCES, version())));
        env.healthChecks().register("zookeeper", new ZooKeeperHealthCheck(store));
        if (ceph.configured()) {
            env.healthChecks().register("ceph", new CephHealthCheck(ceph, healthPool));
        }
    }
}
