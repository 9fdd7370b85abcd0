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
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The desired configuration in ZooKeeper (layout: {@link ZkLayout}).
 *
 * <p>Every change is one ZooKeeper multi-op transaction that also sets {@code config/epoch} conditioned on its data
 * version: the epoch <em>is</em> that version. A change is computed against a snapshot at epoch E and commits only
 * if the epoch znode is still at E, so concurrent admins cannot interleave: one wins, the others get a
 * {@link ConfigConflictException} and nothing of theirs is written. Because every writer bumps the epoch, a reader
 * that sees the same epoch before and after reading the tree has read exactly that epoch's state.
 *
 * <p>Each commit also stores its {@link ChangeRecord} at {@code config/changes/<epoch>} (the last
 * {@link #KEEP_CHANGES}), so a reader that has epoch E's snapshot reads only what changed since
 * ({@link #readSince}); writes start from the newest snapshot this store knows and read just that delta.
 *
 * <p>The store does not own the Curator client; {@link #close()} only makes further calls fail.
 */
public final class ConfigStore implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);
    private static final int MAX_READ_ATTEMPTS = 50;
    private static final int MAX_DELTA_ATTEMPTS = 5;
    /** Change records kept: a reader further behind reads everything. */
    static final int KEEP_CHANGES = 64;
    /** Old records one commit deletes at most (after an upgrade, or a burst of writers of an older version). */
    private static final int MAX_PRUNED_PER_COMMIT = 64;
    /**
     * A commit naming more than this (absolute paths, in characters; some 200 znodes) is recorded in the bounded form
     * instead (subtrees named instead of leaves until it fits this many characters of relative paths): the records
     * kept then hold at most about 1 MiB. Readers of the previous version read a bounded record as "everything".
     */
    static final long MAX_RECORD_CHARS = 16 * 1024;

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();
    private final ConfigDocs configDocs;
    /** The newest snapshot this store read or committed: where writes and {@link #readSince} start from. */
    private final AtomicReference<ClusterConfig> latest = new AtomicReference<>();

    private final AtomicLong fullReads = new AtomicLong();
    private final AtomicLong deltaReads = new AtomicLong();
    private final AtomicLong znodesRead = new AtomicLong();
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
        this.configDocs = new ConfigDocs(layout);
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
                ops.add(client.transactionOp().create().forPath(layout.changes()));
                configDocs.of(ClusterConfig.EMPTY).forEach((path, value) -> ops.add(createOp(path, bytes(value))));
                try {
                    client.transaction().forOperations(ops);
                } catch (KeeperException.NodeExistsException raced) {
                    // initialized concurrently by someone else: fine
                }
            }
            byte[] schema = client.getData().forPath(layout.schema());
            docs.version(layout.schema(), schema);
            if (client.checkExists().forPath(layout.changes()) == null) {
                // a tree initialized by a version without change records: they start with the next commit
                try {
                    client.create().forPath(layout.changes());
                } catch (KeeperException.NodeExistsException raced) {
                    // another gateway did it
                }
            }
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

    /**
     * A consistent snapshot: the whole configuration of one epoch, never part of a change. Reads every znode; see
     * {@link #readSince} for a reader that keeps its last snapshot.
     */
    public ClusterConfig read() {
        checkOpen();
        for (int attempt = 1; ; attempt++) {
            try {
                ClusterConfig c = readOnce();
                if (c != null) {
                    fullReads.incrementAndGet();
                    offer(c);
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
        znodesRead.addAndGet(3 + lists.size() + wanted.size());

        List<Object> values = new ArrayList<>(wanted.size());
        for (Map.Entry<String, Class<?>> w : wanted.entrySet()) {
            values.add(docs.read(w.getKey(), data.get(w.getKey()).data(), w.getValue())
                    .value());
        }

        Stat after = client.checkExists().forPath(layout.epoch());
        if (after == null || after.getVersion() != before.getVersion()) {
            return null;
        }
        try {
            return ConfigDocs.build(before.getVersion(), schema, values);
        } catch (IllegalArgumentException e) {
            throw new ConfigStoreException(
                    "the stored configuration at epoch " + before.getVersion() + " is inconsistent: " + e.getMessage(),
                    e);
        }
    }

    /**
     * The configuration at the current epoch, read incrementally from {@code base} (a snapshot this store or
     * another returned): only the change records of the epochs after it and the znodes they name are read, in a
     * few pipelined round trips, and applied to {@code base}. Consistent as {@link #read()} is (the epoch is the
     * same before and after). Reads everything instead when it cannot: no base, a record missing (pruned, or a
     * commit by a version that writes none), a commit too large to list, or a result that does not validate.
     *
     * @return {@code base} itself if the epoch did not move
     */
    public ClusterConfig readSince(ClusterConfig base) {
        checkOpen();
        if (base == null) {
            return read();
        }
        for (int attempt = 1; attempt <= MAX_DELTA_ATTEMPTS; attempt++) {
            try {
                ClusterConfig c = deltaOnce(base);
                if (c != null) {
                    offer(c);
                    return c;
                }
            } catch (KeeperException.NoNodeException e) {
                // a znode named by a record is gone again: a later change committed mid-read; retry
                if (Objects.equals(e.getPath(), layout.epoch())) {
                    throw notInitialized();
                }
            } catch (DeltaGap gap) {
                log.debug("reading the whole configuration after epoch {}: {}", base.epoch(), gap.getMessage());
                return read();
            } catch (ConfigStoreException e) {
                throw e;
            } catch (Exception e) {
                throw failure("read the configuration changes after epoch " + base.epoch(), e);
            }
            Thread.onSpinWait();
        }
        return read(); // kept changing: the full read retries longer
    }

    /** Why a delta read cannot be made; the whole configuration is read instead. */
    private static final class DeltaGap extends Exception {
        DeltaGap(String why) {
            super(why, null, false, false);
        }
    }

    private ClusterConfig deltaOnce(ClusterConfig base) throws Exception {
        Stat before = new Stat();
        client.getData().storingStatIn(before).forPath(layout.epoch());
        long from = base.epoch();
        long to = before.getVersion();
        if (to == from) {
            znodesRead.incrementAndGet();
            return base;
        }
        if (to < from || to - from > KEEP_CHANGES) {
            throw new DeltaGap("epoch " + to + " is not within " + KEEP_CHANGES + " after " + from);
        }
        List<String> wanted = new ArrayList<>();
        wanted.add(layout.schema());
        for (long e = from + 1; e <= to; e++) {
            wanted.add(layout.change(e));
        }
        Map<String, PipelinedReads.Node> records = PipelinedReads.data(client, wanted, true);
        if (!records.containsKey(layout.schema())) {
            throw notInitialized();
        }
        SchemaVersion schema =
                docs.version(layout.schema(), records.get(layout.schema()).data());
        // what the commits touched: each named znode now holds its value at epoch `to` or is gone (deleted), and
        // each subtree of a bounded record is replaced by what it holds now; the epoch check below makes it one epoch
        Set<String> named = new LinkedHashSet<>();
        Set<String> roots = new TreeSet<>();
        for (long e = from + 1; e <= to; e++) {
            PipelinedReads.Node n = records.get(layout.change(e));
            if (n == null) {
                throw new DeltaGap("no change record of epoch " + e);
            }
            ChangeRecord r;
            try {
                r = docs.read(layout.change(e), n.data(), ChangeRecord.class).value();
            } catch (ConfigStoreException unreadable) {
                // a record written around the store: the documents themselves may be fine, so read them all
                // rather than retry a delta that can never succeed
                throw new DeltaGap(unreadable.getMessage());
            }
            if (r.boundedForm()) {
                named.addAll(known(e, r.paths()));
                roots.addAll(known(e, r.under()));
            } else if (r.all()) {
                throw new DeltaGap("the commit of epoch " + e + " is too large to list");
            } else {
                named.addAll(known(e, r.deleted()));
                named.addAll(known(e, r.created()));
                named.addAll(known(e, r.changed()));
            }
        }
        Map<String, Object> values = configDocs.of(base);
        Set<String> outer = new HashSet<>();
        for (String root : roots) { // sorted: a subtree inside another comes after it
            if (!insideAny(root, outer)) {
                outer.add(root);
            }
        }
        values.keySet().removeIf(k -> insideAny(k, outer));
        List<String> read = new ArrayList<>();
        for (String path : named) {
            if (!insideAny(path, outer)) {
                values.remove(path);
                if (configDocs.typeOf(path) != null) {
                    read.add(path);
                }
            }
        }
        Map<String, PipelinedReads.Node> data = PipelinedReads.data(client, read, true);
        long subtreeReads = readSubtrees(outer, data);
        znodesRead.addAndGet(2 + records.size() + read.size() + subtreeReads);
        Stat after = client.checkExists().forPath(layout.epoch());
        if (after == null || after.getVersion() != to) {
            return null;
        }
        data.forEach((path, node) -> {
            Class<?> type = configDocs.typeOf(path);
            if (type != null) {
                values.put(path, docs.read(path, node.data(), type).value());
            }
        });
        try {
            ClusterConfig c = ConfigDocs.build(to, schema, values.values());
            deltaReads.incrementAndGet();
            return c;
        } catch (IllegalArgumentException e) {
            // records that do not add up (a bug, or znodes written around the store): never serve them
            log.warn(
                    "the changes from epoch {} to {} do not add up ({}); reading the whole configuration",
                    from,
                    to,
                    e.getMessage());
            throw new DeltaGap(e.getMessage());
        }
    }

    /**
     * Reads every config znode in the subtrees at {@code roots} as stored now, level by level (a few pipelined round
     * trips), into {@code data}; a subtree that is gone adds nothing.
     *
     * @return the znodes read (data and children lists)
     */
    private long readSubtrees(Set<String> roots, Map<String, PipelinedReads.Node> data) throws Exception {
        long count = 0;
        List<String> level = new ArrayList<>(roots);
        while (!level.isEmpty()) {
            List<String> documents = new ArrayList<>();
            List<String> parents = new ArrayList<>();
            for (String path : level) {
                if (configDocs.typeOf(path) != null) {
                    documents.add(path);
                }
                if (configDocs.mayHaveChildren(path)) {
                    parents.add(path);
                }
            }
            data.putAll(PipelinedReads.data(client, documents, true));
            Map<String, List<String>> children = PipelinedReads.children(client, parents, true);
            count += documents.size() + parents.size();
            level = new ArrayList<>();
            for (String parent : parents) {
                for (String child : children.getOrDefault(parent, List.of())) {
                    level.add(parent + "/" + child);
                }
            }
        }
        return count;
    }

    /**
     * The absolute paths of a record's relative ones, each a configuration document or container. A record that
     * names anything else (written around the store: {@code ..}, an empty segment, a path outside the layout)
     * is a gap, so that the reader reads everything instead of listing or reading where the record points.
     */
    private List<String> known(long epoch, List<String> relative) throws DeltaGap {
        List<String> out = new ArrayList<>(relative.size());
        for (String p : relative) {
            String path = configDocs.absolute(p);
            boolean plain = !p.isEmpty()
                    && Arrays.stream(p.split("/", -1)).noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."));
            if (!plain || (configDocs.typeOf(path) == null && !configDocs.mayHaveChildren(path))) {
                throw new DeltaGap("the change record of epoch " + epoch + " names an unknown path " + p);
            }
            out.add(path);
        }
        return out;
    }

    /** Whether {@code path} is one of {@code roots} or inside one. */
    private static boolean insideAny(String path, Set<String> roots) {
        if (roots.isEmpty()) {
            return false;
        }
        for (int end = path.length(); end > 0; end = path.lastIndexOf('/', end - 1)) {
            if (roots.contains(path.substring(0, end))) {
                return true;
            }
        }
        return false;
    }

    /** Remembers {@code c} as the newest snapshot known, unless a newer one is. */
    private void offer(ClusterConfig c) {
        latest.accumulateAndGet(c, (old, next) -> old == null || next.epoch() >= old.epoch() ? next : old);
    }

    /** The configuration at the current epoch, read incrementally from the newest snapshot this store knows. */
    private ClusterConfig current() {
        return readSince(latest.get());
    }

    /**
     * How much this store read so far: whole reads, incremental reads ({@link #readSince} without a fall back),
     * and znodes read by both.
     */
    public record ReadStats(long fullReads, long deltaReads, long znodesRead) {}

    public ReadStats readStats() {
        return new ReadStats(fullReads.get(), deltaReads.get(), znodesRead.get());
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
        ClusterConfig current = current();
        if (current.epoch() != expectedEpoch) {
            throw new ConfigConflictException(expectedEpoch, current.epoch());
        }
        return applyTo(current, changes);
    }

    private long applyTo(ClusterConfig current, List<? extends ConfigChange> changes) {
        ClusterConfig next = sealSecrets(current, ConfigChange.applyAll(current, changes));
        return commit(current, next);
    }

    /**
     * Writes {@code next} over {@code current} (read at its epoch) in one transaction conditioned on that epoch,
     * with the change record of the new epoch (and the pruning of the oldest).
     */
    private long commit(ClusterConfig current, ClusterConfig next) {
        long expectedEpoch = current.epoch();
        Map<String, Object> from = configDocs.of(current);
        Map<String, Object> to = configDocs.of(next);
        Comparator<String> depth =
                Comparator.comparingLong(p -> p.chars().filter(ch -> ch == '/').count());
        List<String> deleted = from.keySet().stream()
                .filter(p -> !to.containsKey(p))
                .sorted(depth.reversed())
                .toList();
        List<String> created = to.keySet().stream()
                .filter(p -> !from.containsKey(p))
                .sorted(depth)
                .toList();
        List<String> changed = new ArrayList<>();
        to.forEach((p, value) -> {
            Object old = from.get(p);
            if (old != null && !old.equals(value)) {
                changed.add(p);
            }
        });
        if (deleted.isEmpty() && created.isEmpty() && changed.isEmpty()) {
            return expectedEpoch;
        }
        long nextEpoch = expectedEpoch + 1;
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(op(() -> client.transactionOp()
                .setData()
                .withVersion((int) expectedEpoch)
                .forPath(layout.epoch(), epochDoc(nextEpoch))));
        deleted.forEach(p -> ops.add(op(() -> client.transactionOp().delete().forPath(p))));
        created.forEach(p -> ops.add(createOp(p, bytes(to.get(p)))));
        changed.forEach(p -> ops.add(op(() -> client.transactionOp().setData().forPath(p, bytes(to.get(p))))));
        ops.addAll(recordOps(nextEpoch, created, changed, deleted, to.keySet()));
        try {
            client.transaction().forOperations(ops);
        } catch (KeeperException.BadVersionException e) {
            throw new ConfigConflictException(expectedEpoch, epoch());
        } catch (Exception e) {
            throw failure("commit the change at epoch " + expectedEpoch, e);
        }
        try {
            // what is stored now: the next writer (or reader) of this store starts from it
            offer(ConfigDocs.build(nextEpoch, current.schema(), to.values()));
        } catch (IllegalArgumentException e) {
            latest.set(null); // cannot happen (next was valid); read it back next time
        }
        return nextEpoch;
    }

    /**
     * The operations that store the change record of {@code epoch} and delete the records older than the last
     * {@link #KEEP_CHANGES} (read now: the transaction is conditioned on the epoch, so they are still these).
     */
    private List<CuratorOp> recordOps(
            long epoch, List<String> created, List<String> changed, List<String> deleted, Collection<String> stored)
            throws ConfigStoreException {
        List<CuratorOp> ops = new ArrayList<>();
        List<String> existing;
        try {
            existing = client.getChildren().forPath(layout.changes());
        } catch (KeeperException.NoNodeException e) {
            existing = List.of();
            ops.add(op(() -> client.transactionOp().create().forPath(layout.changes())));
        } catch (Exception e) {
            throw failure("list " + layout.changes(), e);
        }
        int pruned = 0;
        for (String name : existing) {
            long e;
            try {
                e = Long.parseLong(name);
            } catch (NumberFormatException notARecord) {
                continue;
            }
            if (e <= epoch - KEEP_CHANGES && pruned++ < MAX_PRUNED_PER_COMMIT) {
                String path = layout.changes() + "/" + name;
                ops.add(op(() -> client.transactionOp().delete().forPath(path)));
            }
        }
        long chars = 0;
        for (List<String> l : List.of(created, changed, deleted)) {
            for (String p : l) {
                chars += p.length();
            }
        }
        ChangeRecord record;
        if (chars <= MAX_RECORD_CHARS) {
            // the form every version reads incrementally
            record = ChangeRecord.listed(
                    epoch,
                    created.stream().map(configDocs::relative).toList(),
                    changed.stream().map(configDocs::relative).toList(),
                    deleted.stream().map(configDocs::relative).toList());
        } else {
            // a bulk commit: name subtrees instead of leaves where that costs readers least
            List<String> touched = new ArrayList<>(created.size() + changed.size() + deleted.size());
            for (List<String> l : List.of(created, changed, deleted)) {
                l.forEach(p -> touched.add(configDocs.relative(p)));
            }
            record = BoundedRecords.of(
                    epoch, touched, stored.stream().map(configDocs::relative).toList(), MAX_RECORD_CHARS);
        }
        byte[] data = docs.write(record);
        ops.add(op(() -> client.transactionOp().create().forPath(layout.change(epoch), data)));
        return ops;
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
            ClusterConfig snapshot = current(); // read once: the commit is conditioned on its epoch
            try {
                return applyTo(snapshot, changes.apply(snapshot));
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

    /** The stored bytes of a config znode's value (containers are empty). */
    private byte[] bytes(Object value) {
        return value == ConfigDocs.CONTAINER ? new byte[0] : docs.write(value);
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
