package io.rbdgw.node;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.secret.Secrets;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.SessionSettings;
import io.rbdgw.iscsi.session.TargetEntry;
import io.rbdgw.scsi.ScsiTarget;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the login phase of a configuration snapshot needs: the CHAP secrets decrypted once per pass (so logins
 * pay nothing for encryption), the ACL and CHAP settings of each target, and the session settings in force.
 * Used on the reconciler's thread only.
 */
final class TargetLogins {

    // under the reconciler's name: the one logger an operator follows for configuration passes
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private static final SecureRandom UNKNOWABLE = new SecureRandom();

    private final String gatewayName;
    private volatile SecretBox secrets;
    private volatile ConnectionSettings portal = ConnectionSettings.defaults();
    /** Stored secrets that could not be decrypted, already logged. */
    private final Set<String> secretFailuresLogged = new HashSet<>();
    /** The previous pass's decrypted secrets and the key they were decrypted with. */
    private Map<String, String> lastOpened = Map.of();

    private SecretBox lastOpenedWith;

    TargetLogins(String gatewayName) {
        this.gatewayName = gatewayName;
    }

    void secrets(SecretBox box) {
        this.secrets = box;
    }

    void portal(ConnectionSettings settings) {
        this.portal = settings;
    }

    /** What the login settings depend on besides the configuration (the secret key, the portal's settings). */
    Object inputs() {
        return List.of(secrets == null ? "no key" : secrets, portal);
    }

    /** The session settings of the cluster (targets without overrides): the snapshot's, else the portal's. */
    SessionSettings clusterSession(ClusterConfig c) {
        return SessionSettings.resolve(s -> c.settings().values().get(s.key()), portal);
    }

    /**
     * Decrypts every encrypted CHAP secret of {@code c} once, here. A secret that cannot be decrypted is left out
     * (and logged once): {@link #secret} then fails its logins.
     */
    Map<String, String> openSecrets(ClusterConfig c) {
        Map<String, String> opened = new HashMap<>();
        SecretBox box = secrets;
        // a stored value always decrypts to the same secret: only values new since the last pass cost a decryption
        Map<String, String> previous = box == lastOpenedWith ? lastOpened : Map.of();
        Set<String> failed = new HashSet<>();
        Secrets.forEach(c, stored -> {
            if (!SecretBox.isSealed(stored) || opened.containsKey(stored) || failed.contains(stored)) {
                return;
            }
            String known = previous.get(stored);
            if (known != null) {
                opened.put(stored, known);
                return;
            }
            try {
                if (box == null) {
                    throw new IllegalStateException("the configuration holds encrypted CHAP secrets (key '"
                            + SecretBox.keyId(stored) + "') but this gateway has no --secret-key-file");
                }
                opened.put(stored, box.open(stored));
            } catch (RuntimeException e) {
                failed.add(stored);
                if (secretFailuresLogged.add(stored)) {
                    log.error(
                            "gateway {}: cannot decrypt a CHAP secret: {}; logins that need it fail with "
                                    + "authentication failure until the key is added to the secret key file and the gateway "
                                    + "restarted",
                            gatewayName,
                            e.getMessage());
                }
            }
        });
        secretFailuresLogged.retainAll(failed);
        lastOpened = Map.copyOf(opened);
        lastOpenedWith = box;
        return lastOpened;
    }

    /** The registry entry of {@code target}: its login settings (ACL, CHAP per initiator) and its SCSI side. */
    TargetEntry entry(ClusterConfig c, Target target, int tag, ScsiTarget scsi, Map<String, String> opened) {
        String iqn = target.iqn();
        // settings in force for this target: its override, else the cluster-wide value, else the fallback
        SessionSettings session = SessionSettings.resolve(
                s -> {
                    String v = target.parameters().get(s.key());
                    return v != null ? v : c.settings().values().get(s.key());
                },
                portal);
        LoginTarget base = loginTarget(c, target, tag, target.auth(), opened, session);
        return new TargetEntry(
                base,
                scsi,
                initiator -> loginTarget(
                        c, target, tag, c.authenticationFor(iqn, initiator).orElse(target.auth()), opened, session),
                session);
    }

    private static LoginTarget loginTarget(
            ClusterConfig c,
            Target target,
            int tag,
            Authentication auth,
            Map<String, String> opened,
            SessionSettings session) {
        String iqn = target.iqn();
        return new LoginTarget(
                iqn,
                target.alias(),
                tag,
                secret(auth.chap(), opened),
                secret(auth.mutualChap(), opened),
                initiator -> c.isAllowed(iqn, initiator),
                session.parameters());
    }

    /**
     * The secret a login checks. One that could not be decrypted becomes a random secret nobody knows, so the
     * login fails with authentication failure: never a login without the CHAP the configuration asks for.
     */
    static ChapSecret secret(ChapCredentials creds, Map<String, String> opened) {
        if (creds == null) {
            return null;
        }
        String stored = creds.secret();
        if (!SecretBox.isSealed(stored)) {
            return new ChapSecret(creds.user(), stored); // plaintext from a tree written before encryption
        }
        String plain = opened.get(stored);
        if (plain == null) {
            byte[] unknowable = new byte[32];
            UNKNOWABLE.nextBytes(unknowable);
            plain = HexFormat.of().formatHex(unknowable);
        }
        return new ChapSecret(creds.user(), plain);
    }
}
