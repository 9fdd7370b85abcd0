package io.rbdgw.config.store;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.SchemaVersion;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.secret.Secrets;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The desired configuration in ZooKeeper (layout: {@link ZkLayout}).
 *
 * <p>Every change is one ZooKeeper multi-op transaction that also sets {@code config/epoch} conditioned on its data
 * version: the epoch <em>is</em> that version. A change is computed against a snapshot at epoch E and commits only
 * if the epoch znode is still at E, so concurrent admins cannot interleave: one wins, the others get a
 * {@link ConfigConflictException} and nothing of theirs is written. Because every writer bumps the epoch, a reader
 * that sees the same epoch before and after reading the tree has read exactly that epoch's state.
 *
 * <p>The store does not own the Curator client; {@link #close()} only makes further calls fail.
 */
public final class ConfigStore implements Closeable {
    private static final int MAX_READ_ATTEMPTS = 50;

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final SecretBox secrets;
    private final String plaintextRefusal;
    private volatile boolean closed;

    /** A store that writes CHAP secrets as they are given (plaintext, unless already encrypted). */
    public ConfigStore(CuratorFramework client, String root) {
        this(client, root, null);
    }

    /**
     * @param secrets encrypts every CHAP secret before it is written (null: secrets are stored as given)
     */
    public ConfigStore(CuratorFramework client, String root, SecretBox secrets) {
        this(client, root, secrets, null);
    }

    /**
     * @param secrets encrypts every CHAP secret before it is written (null: see {@code plaintextRefusal})
     * @param plaintextRefusal without {@code secrets}: null stores secrets as given; otherwise a change that would
     *     write a new plaintext secret is refused with {@link IllegalArgumentException} and this message (secrets a
     *     tree already holds in plaintext may stay)
     */
    public ConfigStore(CuratorFramework client, String root, SecretBox secrets, String plaintextRefusal) {
        this.client = Objects.requireNonNull(client, "client");
        this.layout = new ZkLayout(root);
        this.secrets = secrets;
        this.plaintextRefusal = plaintextRefusal;
    }

    /** The key that encrypts secrets on write, or null. */
    public SecretBox secrets() {
        return secrets;
    }

    public ZkLayout layout() {
        return layout;
    }

    public CuratorFramework client() {
        return client;
    }

    /**
     * Creates the empty configuration (epoch 0) unless it exists; safe to call from every gateway at once. Refuses a
     * layout written by a newer major schema.
     */
    public void initialize() {
        checkOpen();
        try {
            if (client.checkExists().forPath(layout.epoch()) == null) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(layout.root());
                } catch (KeeperException.NodeExistsException ignored) {
                    // another gateway or a previous run
                }
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(client.transactionOp().create().forPath(layout.schema(), docs.write(null)));
                ops.add(client.transactionOp().create().forPath(layout.config()));
                ops.add(client.transactionOp().create().forPath(layout.epoch(), epochDoc(0)));
                tree(ClusterConfig.EMPTY).forEach((path, data) -> ops.add(createOp(path, data)));
                try {
                    client.transaction().forOperations(ops);
                } catch (KeeperException.NodeExistsException raced) {
                    // initialized concurrently by someone else: fine
                }
            }
            byte[] schema = client.getData().forPath(layout.schema());
            docs.version(layout.schema(), schema);
        } catch (ConfigStoreException e) {
            throw e;
        } catch (Exception e) {
            throw failure("initialize " + layout.root(), e);
        }
    }

    /** The current epoch (a cheap single read). */
    public long epoch() {
        checkOpen();
        try {
            Stat stat = client.checkExists().forPath(layout.epoch());
            if (stat == null) {
                throw notInitialized();
            }
            return stat.getVersion();
        } catch (ConfigStoreException e) {
            throw e;
        } catch (Exception e) {
            throw failure("read " + layout.epoch(), e);
        }
    }

    /** A consistent snapshot: the whole configuration of one epoch, never part of a change. */
    public ClusterConfig read() {
        checkOpen();
        for (int attempt = 1; ; attempt++) {
            try {
                ClusterConfig c = readOnce();
                if (c != null) {
                    return c;
                }
            } catch (KeeperException.NoNodeException e) {
                // a node vanished under us: a change committed mid-read, so the epoch moved; retry
                if (Objects.equals(e.getPath(), layout.epoch())) {
                    throw notInitialized();
                }
            } catch (ConfigStoreException e) {
                throw e;
            } catch (Exception e) {
                throw failure("read the configuration", e);
            }
            if (attempt >= MAX_READ_ATTEMPTS) {
                throw new ConfigStoreException(
                        "the configuration kept changing while being read; gave up after " + attempt + " attempts");
            }
            Thread.onSpinWait();
        }
    }

    private ClusterConfig readOnce() throws Exception {
        Stat before = new Stat();
        client.getData().storingStatIn(before).forPath(layout.epoch());
        SchemaVersion schema = docs.version(layout.schema(), client.getData().forPath(layout.schema()));

        // pipelined (the lists of each target, then every document) instead of one round trip per znode: with
        // thousands of LUNs the sequential reads took seconds, on every gateway for every change
        List<String> iqns = client.getChildren().forPath(layout.targets());
        List<String> lists = new ArrayList<>();
        for (String iqn : iqns) {
            lists.add(layout.luns(iqn));
            lists.add(layout.clients(iqn));
            lists.add(layout.hostGroups(iqn));
        }
        lists.add(layout.disks());
        lists.add(layout.gateways());
        Map<String, List<String>> children = PipelinedReads.children(client, lists, false);

        Map<String, Class<?>> wanted = new LinkedHashMap<>();
        for (String iqn : iqns) {
            wanted.put(layout.target(iqn), Target.class);
            children.get(layout.luns(iqn)).forEach(n -> wanted.put(layout.luns(iqn) + "/" + n, Lun.class));
            children.get(layout.clients(iqn)).forEach(c -> wanted.put(layout.clients(iqn) + "/" + c, Client.class));
            children.get(layout.hostGroups(iqn))
                    .forEach(g -> wanted.put(layout.hostGroups(iqn) + "/" + g, HostGroup.class));
        }
        children.get(layout.disks()).forEach(d -> wanted.put(layout.disks() + "/" + d, Disk.class));
        children.get(layout.gateways()).forEach(g -> wanted.put(layout.gateways() + "/" + g, Gateway.class));
        wanted.put(layout.discovery(), Authentication.class);
        wanted.put(layout.settings(), Settings.class);
        Map<String, PipelinedReads.Node> data = PipelinedReads.data(client, new ArrayList<>(wanted.keySet()), false);

        List<Target> targets = new ArrayList<>();
        List<Lun> luns = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        List<HostGroup> groups = new ArrayList<>();
        List<Disk> disks = new ArrayList<>();
        List<Gateway> gateways = new ArrayList<>();
        Authentication discovery = null;
        Settings settings = null;
        for (Map.Entry<String, Class<?>> w : wanted.entrySet()) {
            Object v = docs.read(w.getKey(), data.get(w.getKey()).data(), w.getValue())
                    .value();
            if (v instanceof Target t) {
                targets.add(t);
            } else if (v instanceof Lun l) {
                luns.add(l);
            } else if (v instanceof Client c) {
                clients.add(c);
            } else if (v instanceof HostGroup g) {
                groups.add(g);
            } else if (v instanceof Disk d) {
                disks.add(d);
            } else if (v instanceof Gateway g) {
                gateways.add(g);
            } else if (v instanceof Authentication a) {
                discovery = a;
            } else {
                settings = (Settings) v;
            }
        }

        Stat after = client.checkExists().forPath(layout.epoch());
        if (after == null || after.getVersion() != before.getVersion()) {
            return null;
        }
        try {
            return new ClusterConfig(
                    before.getVersion(), schema, targets, disks, gateways, luns, clients, groups, discovery, settings);
        } catch (IllegalArgumentException e) {
            throw new ConfigStoreException(
                    "the stored configuration at epoch " + before.getVersion() + " is inconsistent: " + e.getMessage(),
                    e);
        }
    }

    /** {@link #apply(long, List)} for a few changes. */
    public long apply(long expectedEpoch, ConfigChange... changes) {
        return apply(expectedEpoch, List.of(changes));
    }

    /**
     * Applies {@code changes} in order, as one transaction, to the configuration of epoch {@code expectedEpoch}.
     *
     * @return the new epoch (or {@code expectedEpoch} if the changes changed nothing)
     * @throws ConfigConflictException the configuration is no longer at {@code expectedEpoch}
     * @throws IllegalArgumentException the result would be invalid or inconsistent (nothing is written)
     * @throws java.util.NoSuchElementException a change deletes something that does not exist
     */
    public long apply(long expectedEpoch, List<? extends ConfigChange> changes) {
        ClusterConfig current = read();
        if (current.epoch() != expectedEpoch) {
            throw new ConfigConflictException(expectedEpoch, current.epoch());
        }
        ClusterConfig next = sealSecrets(current, ConfigChange.applyAll(current, changes));
        return commit(current, next);
    }

    /** Writes {@code next} over {@code current} (read at its epoch) in one transaction conditioned on that epoch. */
    private long commit(ClusterConfig current, ClusterConfig next) {
        long expectedEpoch = current.epoch();
        List<CuratorOp> ops = diff(tree(current), tree(next));
        if (ops.isEmpty()) {
            return expectedEpoch;
        }
        long nextEpoch = expectedEpoch + 1;
        ops.add(
                0,
                op(() -> client.transactionOp()
                        .setData()
                        .withVersion((int) expectedEpoch)
                        .forPath(layout.epoch(), epochDoc(nextEpoch))));
        try {
            client.transaction().forOperations(ops);
            return nextEpoch;
        } catch (KeeperException.BadVersionException e) {
            throw new ConfigConflictException(expectedEpoch, epoch());
        } catch (Exception e) {
            throw failure("commit the change at epoch " + expectedEpoch, e);
        }
    }

    /**
     * Computes changes from the latest snapshot and applies them, recomputing on a conflict up to
     * {@code maxAttempts} times: for callers without a user to show the conflict to (e.g. the coordinator, or
     * an API call that says "add this disk" rather than "change epoch E").
     *
     * @return the epoch the changes were committed at
     */
    public long update(Function<ClusterConfig, List<? extends ConfigChange>> changes, int maxAttempts) {
        for (int attempt = 1; ; attempt++) {
            ClusterConfig snapshot = read();
            try {
                return apply(snapshot.epoch(), changes.apply(snapshot));
            } catch (ConfigConflictException e) {
                if (attempt >= maxAttempts) {
                    throw e;
                }
            }
        }
    }

    /**
     * Encrypts the plaintext CHAP secrets of {@code next}. A secret that {@code current} already holds encrypted
     * with the newest key keeps that stored value, so re-writing an unchanged secret changes nothing.
     */
    private ClusterConfig sealSecrets(ClusterConfig current, ClusterConfig next) {
        if (secrets == null) {
            if (plaintextRefusal != null) {
                Set<String> stored = new HashSet<>();
                Secrets.forEach(current, stored::add);
                Secrets.forEach(next, value -> {
                    if (!SecretBox.isSealed(value) && !stored.contains(value)) {
                        throw new IllegalArgumentException(plaintextRefusal);
                    }
                });
            }
            return next;
        }
        Map<String, String> sealedByPlaintext = new HashMap<>();
        boolean[] loaded = {false};
        return Secrets.map(next, value -> {
            if (SecretBox.isSealed(value)) {
                return value;
            }
            if (!loaded[0]) {
                loaded[0] = true;
                Secrets.forEach(current, stored -> {
                    if (secrets.isCurrent(stored)) {
                        try {
                            sealedByPlaintext.putIfAbsent(secrets.open(stored), stored);
                        } catch (IllegalArgumentException unreadable) {
                            // not reusable; a fresh value is sealed instead
                        }
                    }
                });
            }
            return sealedByPlaintext.computeIfAbsent(value, secrets::seal);
        });
    }

    /**
     * Re-encrypts every CHAP secret (and encrypts plaintext ones) with the newest key of the store's key file, in
     * one transaction; retried on a concurrent change.
     *
     * @return how many secrets were re-encrypted (0: all were current; nothing written)
     * @throws IllegalStateException the store has no key
     * @throws SecretBox.UnknownKeyException a secret is encrypted with a key the key file lacks (nothing written)
     */
    public int rotateSecrets() {
        if (secrets == null) {
            throw new IllegalStateException("no secret key file is configured: nothing to encrypt with");
        }
        for (int attempt = 1; ; attempt++) {
            ClusterConfig current = read();
            int[] count = {0};
            ClusterConfig next = Secrets.map(current, value -> {
                if (secrets.isCurrent(value)) {
                    return value;
                }
                count[0]++;
                return secrets.seal(secrets.open(value));
            });
            if (count[0] == 0) {
                return 0;
            }
            try {
                commit(current, next);
                return count[0];
            } catch (ConfigConflictException e) {
                if (attempt >= 8) {
                    throw e;
                }
            }
        }
    }

    private byte[] epochDoc(long epoch) {
        return docs.writeFields(Map.of("epoch", epoch));
    }

    /** Every config znode below {@code config/} except the epoch, with its content; parents before children. */
    Map<String, byte[]> tree(ClusterConfig c) {
        Map<String, byte[]> t = new LinkedHashMap<>();
        byte[] none = new byte[0];
        t.put(layout.targets(), none);
        for (Target target : c.targets()) {
            String iqn = target.iqn();
            t.put(layout.target(iqn), docs.write(target));
            t.put(layout.luns(iqn), none);
            t.put(layout.clients(iqn), none);
            t.put(layout.hostGroups(iqn), none);
        }
        c.luns().forEach(l -> t.put(layout.lun(l.target(), l.number()), docs.write(l)));
        c.clients().forEach(x -> t.put(layout.client(x.target(), x.initiator()), docs.write(x)));
        c.hostGroups().forEach(g -> t.put(layout.hostGroup(g.target(), g.name()), docs.write(g)));
        t.put(layout.disks(), none);
        c.disks().forEach(d -> t.put(layout.disk(d.id()), docs.write(d)));
        t.put(layout.gateways(), none);
        c.gateways().forEach(g -> t.put(layout.gateway(g.name()), docs.write(g)));
        t.put(layout.discovery(), docs.write(c.discoveryAuth()));
        t.put(layout.settings(), docs.write(c.settings()));
        return t;
    }

    /** The operations that turn tree {@code from} into tree {@code to}: deletes deepest first, creates shallowest first. */
    private List<CuratorOp> diff(Map<String, byte[]> from, Map<String, byte[]> to) {
        Comparator<String> depth =
                Comparator.comparingLong(p -> p.chars().filter(ch -> ch == '/').count());
        List<CuratorOp> ops = new ArrayList<>();
        from.keySet().stream()
                .filter(p -> !to.containsKey(p))
                .sorted(depth.reversed())
                .forEach(p -> ops.add(op(() -> client.transactionOp().delete().forPath(p))));
        to.keySet().stream()
                .filter(p -> !from.containsKey(p))
                .sorted(depth)
                .forEach(p -> ops.add(createOp(p, to.get(p))));
        to.forEach((p, data) -> {
            byte[] old = from.get(p);
            if (old != null && !Arrays.equals(old, data)) {
                ops.add(op(() -> client.transactionOp().setData().forPath(p, data)));
            }
        });
        return ops;
    }

    private CuratorOp createOp(String path, byte[] data) {
        return op(() -> client.transactionOp().create().forPath(path, data));
    }

    private interface OpFactory {
        CuratorOp make() throws Exception;
    }

    private static CuratorOp op(OpFactory f) {
        try {
            return f.make();
        } catch (Exception e) {
            throw new ConfigStoreException("cannot build a transaction operation", e);
        }
    }

    private ConfigStoreException notInitialized() {
        return new ConfigStoreException("no configuration under " + layout.root() + ": call initialize() first");
    }

    private static ConfigStoreException failure(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new ConfigStoreException("cannot " + what + ": " + e, e);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("config store is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
