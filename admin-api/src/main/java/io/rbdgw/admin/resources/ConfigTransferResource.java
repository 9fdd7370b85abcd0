package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.ConfigExport;
import io.rbdgw.admin.api.ImportResult;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.admin.core.ConfigTransfer;
import io.rbdgw.admin.core.DiskImages;
import io.rbdgw.admin.core.LiveSessionGuard;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.store.ConfigStoreException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The whole configuration as one document: export, and import as one atomic change (see {@link ConfigTransfer}). */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class ConfigTransferResource {
    private static final Logger log = LoggerFactory.getLogger(ConfigTransferResource.class);
    /** Transactions this large may fail on ZooKeeper's request size limit; their failure says so. */
    static final int LARGE = 1000;

    private final ConfigService config;
    private final ConfigTransfer transfer;
    private final LiveSessionGuard guard;
    private final String version;

    public ConfigTransferResource(ConfigService config, DiskImages images, String version) {
        this.config = config;
        this.transfer = new ConfigTransfer(config.store().secrets(), images);
        this.guard = new LiveSessionGuard(config.store());
        this.version = version;
    }

    /**
     * The whole configuration. CHAP secrets are left out unless {@code withSecrets=true}; then they come as stored:
     * encrypted when the API has a secret key file, plaintext only on a cluster that stores them so.
     */
    @GET
    @Path("config/export")
    public Response export(
            @QueryParam("withSecrets") @DefaultValue("false") boolean withSecrets, @Context SecurityContext who) {
        ClusterConfig c = config.read();
        ConfigExport doc = transfer.export(c, withSecrets, version);
        Response.ResponseBuilder r = Response.ok(doc).tag(Http.tag(c.epoch()));
        if (withSecrets) {
            // who took the secrets (never the secrets themselves), and no cache keeps them
            log.info(
                    "configuration exported with CHAP secrets ({}) at epoch {} by {}",
                    doc.secrets(),
                    c.epoch(),
                    who.getUserPrincipal() == null
                            ? "unknown"
                            : who.getUserPrincipal().getName());
            r.header("Cache-Control", "no-store");
        }
        return r.build();
    }

    /**
     * Makes the configuration what {@code doc} says, in one transaction. With {@code dryRun=true} nothing is written
     * and the answer says what would change (and whether it would be refused). Refused with 409 when logged-in hosts
     * would lose LUNs, unless {@code force=true}.
     */
    @POST
    @Path("config/import")
    public Response importConfig(
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @QueryParam("force") @DefaultValue("false") boolean force,
            @HeaderParam("If-Match") String ifMatch,
            ConfigExport doc) {
        OptionalLong expected = Http.ifMatch(ifMatch);
        if (dryRun) {
            ClusterConfig c = config.read();
            if (expected.isPresent() && expected.getAsLong() != c.epoch()) {
                throw ApiException.preconditionFailed("the configuration is at epoch " + c.epoch() + ", not "
                        + expected.getAsLong() + " (If-Match): re-read and retry");
            }
            ClusterConfig wanted = transfer.wanted(c, doc);
            List<ConfigChange> changes = ConfigTransfer.changes(c, wanted);
            String refusal = null;
            if (!force) {
                try {
                    guard.check(c, changes);
                } catch (LiveSessionGuard.LunsInUseException e) {
                    refusal = e.getMessage();
                }
            }
            ConfigTransfer.Diff d = transfer.diff(c, wanted);
            return Http.ok(c.epoch(), new ImportResult(true, c.epoch(), d.added(), d.removed(), d.changed(), refusal));
        }
        ConfigTransfer.Diff[] diff = new ConfigTransfer.Diff[1];
        int[] writes = new int[1];
        long epoch;
        try {
            epoch = config.change(expected, force, c -> {
                ClusterConfig wanted = transfer.wanted(c, doc);
                diff[0] = transfer.diff(c, wanted);
                List<ConfigChange> changes = ConfigTransfer.changes(c, wanted);
                writes[0] = changes.size();
                return changes;
            });
        } catch (ConfigStoreException e) {
            if (writes[0] < LARGE) {
                throw e;
            }
            // ZooKeeper drops the connection of a request above its limit instead of answering it
            throw ApiException.unavailable("the import is one ZooKeeper transaction of " + writes[0] + " changes and it"
                    + " failed (" + e.getMessage()
                    + "); above ZooKeeper's request limit (jute.maxbuffer, 1 MiB by default,"
                    + " about 3000 objects) the connection is dropped: raise jute.maxbuffer on the ZooKeeper servers and"
                    + " every client, or import in parts");
        }
        return Http.ok(
                epoch, new ImportResult(false, epoch, diff[0].added(), diff[0].removed(), diff[0].changed(), null));
    }
}
