package io.rbdgw.block.rbd;

import com.ceph.rados.IoCTX;
import com.ceph.rados.Rados;
import com.ceph.rados.exceptions.RadosException;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RADOS client connection (one cephx identity, one client address) and its per-pool I/O
 * contexts. Devices and {@link RbdImages} borrow the I/O contexts; close them before the cluster.
 *
 * <p>Settings forced before connect, for correctness rather than speed:
 * <ul>
 *   <li>{@code rbd_cache = false}: an acknowledged write is in RADOS (no volatile client cache, so
 *       WCE=0 is honest) and no gateway serves data another gateway has overwritten.</li>
 *   <li>{@code client_mount_timeout}, {@code rados_mon_op_timeout}: a dead or unreachable cluster
 *       fails {@link #connect} and monitor commands with -ETIMEDOUT instead of hanging.</li>
 *   <li>{@code rados_osd_op_timeout}: an OSD op that gets no answer fails (TRANSIENT) instead of
 *       holding a SCSI command forever.</li>
 *   <li>{@code rbd_blocklist_on_break_lock = false}: should an image still have exclusive-lock, librbd
 *       breaking a peer gateway's lock does not blocklist it behind the ALUA coordinator's back.</li>
 * </ul>
 *
 * <p>Settings for the data path (see docs/rbd.md, "librbd settings"), set before the host's overrides:
 * <ul>
 *   <li>{@code rbd_non_blocking_aio = false}: {@code rbd_aio_*} runs librbd's dispatch on the calling
 *       thread (the connection's event loop) instead of posting every request to librbd's single
 *       {@code io_context_pool} thread. That saves a thread hand-off and wake-up per I/O (about 40% of
 *       the gateway's CPU per 4K read). The path is asynchronous throughout (refresh, exclusive lock,
 *       QoS and write blocking queue the request and return) except the Objecter's in-flight throttle,
 *       which would block the caller, hence:</li>
 *   <li>{@code objecter_inflight_ops = 0}, {@code objecter_inflight_op_bytes = 0}: no Objecter
 *       throttle. The gateway bounds what is in flight itself (command windows, {@code
 *       rbdgw.rbd.maxInflight}), and the data of every request is already in the gateway's buffers.</li>
 *   <li>{@code librados_thread_count = 1}: one {@code io_context_pool} thread runs librbd's completions
 *       instead of two. With two, consecutive completions alternate between them and each thread
 *       sleeps and is woken (a futex) almost once per completion; one thread takes back-to-back
 *       completions in one wake-up (docs/rbd.md has the measurement). A gateway serving far more than
 *       100K IOPS raises it with {@code -Drbdgw.ceph.librados_thread_count=N}.</li>
 * </ul>
 * {@code rbd_disable_zero_copy_writes} stays at its default (true, librbd copies write data): with
 * zero-copy writes, Pacific's librbd never completed a write issued after an exclusive-lock
 * hand-over, and {@code rbd_close} then hung (RbdClusterIT#explicitExclusiveLockFencesOtherWriters).
 *
 * <p>JVM system properties {@code rbdgw.ceph.OPTION=VALUE} set further librados/librbd options (or undo
 * the ones above); the correctness settings are applied last and cannot be overridden.
 */
public final class RbdCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RbdCluster.class);

    /** The data-path settings of the class comment, in the order they are set. */
    static final Map<String, String> DATA_PATH_SETTINGS = orderedMap(
            "objecter_inflight_ops", "0",
            "objecter_inflight_op_bytes", "0",
            "rbd_non_blocking_aio", "false",
            "librados_thread_count", "1");

    /** JVM system properties with this prefix set Ceph options. */
    static final String OVERRIDE_PREFIX = "rbdgw.ceph.";

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * How to connect.
     *
     * @param clientId       cephx id without {@code client.} (e.g. {@code iscsi})
     * @param confFile       ceph.conf (mon host, and the keyring unless {@code keyring} is given)
     * @param keyring        keyring file, or null to use the one the conf names
     * @param connectTimeout bound for connect and monitor commands
     * @param osdOpTimeout   bound for one OSD operation (0 = wait forever)
     */
    public record Options(
            String clientId, Path confFile, Path keyring, Duration connectTimeout, Duration osdOpTimeout) {

        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);
        public static final Duration DEFAULT_OSD_OP_TIMEOUT = Duration.ofSeconds(30);

        public Options {
            if (clientId == null || clientId.isEmpty() || clientId.startsWith("client.")) {
                throw new IllegalArgumentException("clientId must be a bare cephx id such as 'iscsi': " + clientId);
            }
            if (confFile == null) {
                throw new IllegalArgumentException("confFile is required");
            }
            if (connectTimeout == null || connectTimeout.toSeconds() < 1) {
                throw new IllegalArgumentException("connectTimeout must be at least 1 s");
            }
            if (osdOpTimeout == null || osdOpTimeout.isNegative()) {
                throw new IllegalArgumentException("osdOpTimeout must be >= 0");
            }
        }

        public static Options of(String clientId, Path confFile) {
            return new Options(clientId, confFile, null, DEFAULT_CONNECT_TIMEOUT, DEFAULT_OSD_OP_TIMEOUT);
        }

        public Options withKeyring(Path keyringFile) {
            return new Options(clientId, confFile, keyringFile, connectTimeout, osdOpTimeout);
        }

        public Options withTimeouts(Duration connect, Duration osdOp) {
            return new Options(clientId, confFile, keyring, connect, osdOp);
        }
    }

    /** rados-java keeps the {@code rados_t} protected; this is the only way to reach it. */
    private static final class RadosHandle extends Rados {
        RadosHandle(String id) {
            super(id);
        }

        long address() {
            return Pointer.nativeValue(clusterPtr);
        }
    }

    private final Options options;
    private final RadosHandle rados;
    private final long clusterAddress;
    private final Map<String, IoCTX> ioCtxs = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /**
     * Shared by every call on the native handle, exclusive for {@link #close}: rados_shutdown under a call in
     * progress is a use after free. It happened: a gateway replacing its fenced client shut it down while its
     * ALUA coordinator was inside rados_blocklist_add on it.
     */
    private final ReentrantReadWriteLock handle = new ReentrantReadWriteLock();

    private RbdCluster(Options options, RadosHandle rados) {
        this.options = options;
        this.rados = rados;
        this.clusterAddress = rados.address();
    }

    /** Connects, or fails with {@link CephException} (UNREACHABLE within about the connect timeout). */
    public static RbdCluster connect(Options options) throws CephException {
        if (!Files.isReadable(options.confFile())) {
            throw new CephException("cannot read ceph conf " + options.confFile(), -Errno.ENOENT);
        }
        RadosHandle rados = new RadosHandle(options.clientId());
        try {
            rados.confReadFile(options.confFile().toFile());
            if (options.keyring() != null) {
                rados.confSet("keyring", options.keyring().toString());
            }
            for (Map.Entry<String, String> e : DATA_PATH_SETTINGS.entrySet()) {
                rados.confSet(e.getKey(), e.getValue());
            }
            for (String key : System.getProperties().stringPropertyNames()) {
                if (key.startsWith(OVERRIDE_PREFIX) && key.length() > OVERRIDE_PREFIX.length()) {
                    String option = key.substring(OVERRIDE_PREFIX.length());
                    LOG.info("ceph option {} = {} (from -D{})", option, System.getProperty(key), key);
                    rados.confSet(option, System.getProperty(key));
                }
            }
            rados.confSet("rbd_cache", "false");
            // fencing is the coordinator's: librbd must not blocklist a peer whose lock it breaks
            rados.confSet("rbd_blocklist_on_break_lock", "false");
            String connect = Long.toString(options.connectTimeout().toSeconds());
            rados.confSet("client_mount_timeout", connect);
            rados.confSet("rados_mon_op_timeout", connect);
            rados.confSet(
                    "rados_osd_op_timeout", Long.toString(options.osdOpTimeout().toSeconds()));
            rados.connect();
        } catch (RadosException e) {
            rados.shutDown();
            throw new CephException(
                    "cannot connect to the Ceph cluster of " + options.confFile() + " as client." + options.clientId(),
                    e.getReturnValue(),
                    e);
        }
        RbdCluster cluster = new RbdCluster(options, rados);
        LOG.info(
                "connected to Ceph as client.{} ({}), address {}",
                options.clientId(),
                options.confFile(),
                cluster.clientAddress());
        return cluster;
    }

    public static RbdCluster connect(String clientId, Path confFile) throws CephException {
        return connect(Options.of(clientId, confFile));
    }

    public Options options() {
        return options;
    }

    /** The I/O context of {@code pool}, opened once and kept until {@link #close}. */
    public IoCTX ioCtx(String pool) throws CephException {
        Lock in = use();
        try {
            IoCTX ctx = ioCtxs.get(pool);
            if (ctx != null) {
                return ctx;
            }
            synchronized (ioCtxs) {
                ctx = ioCtxs.get(pool);
                if (ctx == null) {
                    try {
                        ctx = rados.ioCtxCreate(pool);
                    } catch (RadosException e) {
                        throw new CephException("cannot open pool " + pool, e.getReturnValue(), e);
                    }
                    ioCtxs.put(pool, ctx);
                }
                return ctx;
            }
        } finally {
            in.unlock();
        }
    }

    /** Image management in {@code pool}. */
    public RbdImages images(String pool) throws CephException {
        return new RbdImages(this, pool);
    }

    /** The value of a Ceph option as this connection uses it ({@code rados_conf_get}). */
    public String confGet(String option) throws CephException {
        Lock in = use();
        try {
            return rados.confGet(option);
        } catch (RadosException e) {
            throw new CephException("cannot read ceph option " + option, e.getReturnValue(), e);
        } finally {
            in.unlock();
        }
    }

    /**
     * This client's address as the OSDs see it ({@code 127.0.0.1:0/3141592653}): what another gateway
     * blocklists to fence this one.
     */
    public String clientAddress() throws CephException {
        Lock in = use();
        try {
            long[] out = new long[1];
            int rc = LibRados.rados_getaddrs(clusterAddress, out);
            if (rc < 0) {
                throw new CephException("rados_getaddrs", rc);
            }
            try {
                return new Pointer(out[0]).getString(0);
            } finally {
                LibRados.rados_buffer_free(out[0]);
            }
        } finally {
            in.unlock();
        }
    }

    /** The global id of this client ({@code client.4242} is 4242). */
    public long instanceId() throws CephException {
        Lock in = use();
        try {
            return LibRados.rados_get_instance_id(clusterAddress);
        } finally {
            in.unlock();
        }
    }

    /**
     * Fences a client: the OSDs reject its operations (-ESHUTDOWN) for {@code seconds}. Also works with
     * the address of this very client.
     *
     * <p>Returns when the monitors committed the OSD map with the entry and this client has that map.
     * An OSD that has not seen the map yet may still apply an operation of the fenced client for a
     * moment; it catches up, at the latest, when an operation of this (newer) client reaches it,
     * which is why the taking-over gateway's own writes are safe but a "fenced" client's write right
     * after this call can still succeed.
     */
    public void blocklist(String clientAddress, int seconds) throws CephException {
        if (seconds <= 0) {
            throw new IllegalArgumentException("blocklist expiry must be positive: " + seconds);
        }
        Lock in = use();
        try {
            int rc = LibRados.rados_blocklist_add(clusterAddress, clientAddress, seconds);
            if (rc < 0) {
                throw new CephException("blocklisting " + clientAddress, rc);
            }
            rc = LibRados.rados_wait_for_latest_osdmap(clusterAddress);
            if (rc < 0) {
                throw new CephException("waiting for the OSD map after blocklisting " + clientAddress, rc);
            }
        } finally {
            in.unlock();
        }
    }

    /**
     * Registers this client in Ceph's service map as daemon {@code daemon} of {@code service}, so that
     * {@code ceph -s} lists the gateways ("rbdgw: 2 daemons active") and {@code ceph service dump} shows
     * {@code metadata} (static) and the status set by {@link #updateServiceStatus}. Once per connection;
     * needs the manager ({@code mgr 'profile rbd'} caps suffice).
     */
    public void registerService(String service, String daemon, Map<String, String> metadata) throws CephException {
        byte[] encoded = encode(metadata);
        Lock in = use();
        try {
            int rc = LibRados.rados_service_register(clusterAddress, service, daemon, encoded);
            if (rc < 0) {
                throw new CephException("registering " + service + "." + daemon + " in the service map", rc);
            }
        } finally {
            in.unlock();
        }
    }

    /** Replaces the service-map status of this client (after {@link #registerService}). */
    public void updateServiceStatus(Map<String, String> status) throws CephException {
        byte[] encoded = encode(status);
        Lock in = use();
        try {
            int rc = LibRados.rados_service_update_status(clusterAddress, encoded);
            if (rc < 0) {
                throw new CephException("updating the service map status", rc);
            }
        } finally {
            in.unlock();
        }
    }

    /** librados' dictionary encoding: key NUL value NUL ..., then an empty key. */
    static byte[] encode(Map<String, String> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (e.getKey().isEmpty()
                    || e.getKey().indexOf('\0') >= 0
                    || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("service map keys must be non-empty, without NUL: " + e);
            }
            out.writeBytes(e.getKey().getBytes(StandardCharsets.UTF_8));
            out.write(0);
            out.writeBytes(e.getValue().getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        out.write(0);
        return out.toByteArray();
    }

    /** Enters a call on the handle (release the lock when done); fails once the connection is closed. */
    private Lock use() throws CephException {
        Lock in = handle.readLock();
        in.lock();
        if (closed) {
            in.unlock();
            throw new CephException("cluster connection closed", -Errno.ENOTCONN);
        }
        return in;
    }

    /**
     * Closes the I/O contexts and the connection; devices must be closed first. Waits for calls in progress on
     * other threads (each bounded by {@code rados_mon_op_timeout}); calls after it fail with ENOTCONN.
     */
    @Override
    public void close() {
        handle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (ioCtxs) {
                for (IoCTX ctx : ioCtxs.values()) {
                    rados.ioCtxDestroy(ctx);
                }
                ioCtxs.clear();
            }
            rados.shutDown();
        } finally {
            handle.writeLock().unlock();
        }
    }
}
