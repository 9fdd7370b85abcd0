package io.rbdgw.admin.resources;

import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * The encryption of the CHAP secrets kept in ZooKeeper. Rotation: put a new key first in the secret key file of the
 * admin API and of every gateway (keeping the old one after it), restart them, then rotate; the old key may be
 * removed once this answered.
 */
@Path("/api/secrets")
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Produces(MediaType.APPLICATION_JSON)
public final class SecretsResource {
    private final ConfigService config;

    public SecretsResource(ConfigService config) {
        this.config = config;
    }

    /** Re-encrypts every CHAP secret (and encrypts plaintext ones) with the newest key, in one transaction. */
    @POST
    @Path("/rotate")
    public Response rotate() {
        ConfigStore store = config.store();
        SecretBox box = store.secrets();
        if (box == null) {
            throw ApiException.conflict("the admin API has no secretKeyFile: there is no key to encrypt with");
        }
        int count;
        try {
            count = store.rotateSecrets();
        } catch (SecretBox.UnknownKeyException e) {
            throw ApiException.conflict(
                    e.getMessage() + ": keep that key in the file (after the newest) until the " + "rotation is done");
        }
        return Http.changed(store.epoch(), Map.of("reencrypted", count, "keyId", box.newestKeyId()));
    }
}
