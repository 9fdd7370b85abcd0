package io.rbdgw.config.zk;

import io.rbdgw.config.secret.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ZooKeeper identity gateways and the admin API share: digest authentication ({@code user:password}, no
 * SASL/JAAS needed) and an ACL that gives that identity everything and nobody else anything. Every znode the
 * project's clients create gets that ACL through {@link #aclProvider()}; {@link #secureTree} closes a tree that was
 * created before (by a version without ACLs).
 */
public final class ZkCredentials {
    private static final Logger log = LoggerFactory.getLogger(ZkCredentials.class);

    private final String user;
    private final String password;
    private final List<ACL> acl;

    public ZkCredentials(String user, String password) {
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("the ZooKeeper user must be non-empty and contain no ':'");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("the ZooKeeper password for user '" + user + "' is empty");
        }
        this.user = user;
        this.password = password;
        try {
            String digest = DigestAuthenticationProvider.generateDigest(user + ":" + password);
            // not List.of: ZooKeeper asks the list whether it contains null, which List.of answers with an NPE
            this.acl = Collections.unmodifiableList(
                    new ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA1 is not available", e);
        }
    }

    /** Reads {@code user:password} (first line) from a file only its owner may read; refuses any other file. */
    public static ZkCredentials fromFile(Path file) throws IOException {
        String text = PrivateFiles.read(file, "ZooKeeper auth file").strip();
        String line = text.lines().findFirst().orElse("").strip();
        int colon = line.indexOf(':');
        if (colon <= 0 || colon == line.length() - 1) {
            throw new IllegalArgumentException("ZooKeeper auth file " + file + " must hold one line user:password");
        }
        return new ZkCredentials(line.substring(0, colon), line.substring(colon + 1));
    }

    /** The credentials in {@code file}, generated there (0600, random password) if it does not exist. */
    public static ZkCredentials generateIfAbsent(Path file, String user) throws IOException {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        if (PrivateFiles.createNew(
                file, user + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n")) {
            log.info("generated ZooKeeper credentials in {}", file.toAbsolutePath());
        }
        return fromFile(file);
    }

    public String user() {
        return user;
    }

    /** The ACL of every znode: this identity may do everything, nobody else anything. */
    public List<ACL> acl() {
        return acl;
    }

    public ACLProvider aclProvider() {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return acl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return acl;
            }
        };
    }

    /** Makes the client authenticate with these credentials and create every znode with {@link #acl()}. */
    public CuratorFrameworkFactory.Builder applyTo(CuratorFrameworkFactory.Builder builder) {
        return builder.authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8))
                .aclProvider(aclProvider());
    }

    /**
     * Sets {@link #acl()} on {@code root} and every znode below it whose ACL differs (a tree written before ACLs
     * existed, or znodes made by a client without credentials); the client must be connected and authenticated.
     *
     * @return how many znodes were changed
     * @throws KeeperException.NoAuthException a znode already belongs to other credentials
     */
    public int secureTree(CuratorFramework client, String root) throws Exception {
        int changed = 0;
        Deque<String> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            String path = todo.pop();
            Stat stat = new Stat();
            List<ACL> current;
            try {
                current = client.getACL().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException gone) {
                continue;
            }
            if (!current.equals(acl)) {
                try {
                    client.setACL().withACL(acl).forPath(path);
                    changed++;
                } catch (KeeperException.NoNodeException gone) {
                    continue;
                }
            }
            try {
                for (String child : client.getChildren().forPath(path)) {
                    todo.push(path.equals("/") ? "/" + child : path + "/" + child);
                }
            } catch (KeeperException.NoNodeException gone) {
                // deleted meanwhile (an ephemeral member, a latch node)
            }
        }
        if (changed > 0) {
            log.warn(
                    "closed {} znode(s) under {} that were open to every ZooKeeper client: they now belong to "
                            + "ZooKeeper user '{}' only",
                    changed,
                    root,
                    user);
        }
        return changed;
    }

    /**
     * {@link #secureTree} once the client is first connected, on a thread of its own (a gateway starts without
     * waiting for ZooKeeper). A failure is logged with what to do.
     */
    public void secureTreeWhenConnected(CuratorFramework client, String root) {
        Thread t = new Thread(
                () -> {
                    try {
                        client.blockUntilConnected();
                        secureTree(client, root);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (KeeperException.NoAuthException e) {
                        log.error(
                                "cannot set the ACL of {}: it belongs to other ZooKeeper credentials than user '{}' "
                                        + "(check the auth file on every gateway and the admin API)",
                                e.getPath(),
                                user);
                    } catch (Exception e) {
                        log.error(
                                "cannot set the ACLs under {}: {}; they are applied again on the next start",
                                root,
                                e.toString());
                    }
                },
                "zk-acl-upgrade");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String toString() {
        return "ZkCredentials[user=" + user + ", password=***]";
    }
}
