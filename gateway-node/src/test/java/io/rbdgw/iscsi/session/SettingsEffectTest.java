package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.NopIn;
import io.rbdgw.iscsi.pdu.NopOut;
import io.rbdgw.iscsi.pdu.R2t;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.node.Reconciler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link Setting} takes effect on the next login: set in a real ZooKeeper through the {@link ConfigStore},
 * applied by a real {@link Reconciler} to a real portal on loopback, observed with the raw {@link TestInitiator}
 * in the login response or in the session's behaviour. A setting added to the enum without a way to observe it
 * here fails {@link #observe}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SettingsEffectTest {

    static final String T = "iqn.2026-12.io.rbdgw:settings";
    static final String INITIATOR = "iqn.2026-12.test:settings";
    static final int NO_TAG = 0xffffffff;
    /** Bytes read to observe the Data-In segment size. */
    static final int READ_BYTES = 65536;

    /** Two values per setting, both unlike the default: one set cluster-wide, one set on the target. */
    static final Map<Setting, String[]> VALUES = new EnumMap<>(Setting.class);

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
        VALUES.put(Setting.MAX_RECV_DATA_SEGMENT_LENGTH, new String[] {"16384", "32768"});
        VALUES.put(Setting.MAX_XMIT_DATA_SEGMENT_LENGTH, new String[] {"4096", "8192"});
        VALUES.put(Setting.MAX_BURST_LENGTH, new String[] {"131072", "65536"});
        VALUES.put(Setting.FIRST_BURST_LENGTH, new String[] {"65536", "32768"});
        VALUES.put(Setting.MAX_OUTSTANDING_R2T, new String[] {"4", "2"});
        VALUES.put(Setting.DEFAULT_TIME2WAIT, new String[] {"7", "9"});
        VALUES.put(Setting.DEFAULT_TIME2RETAIN, new String[] {"20", "30"});
        // not settable through the API (see Setting#settable); what an older configuration may hold
        VALUES.put(Setting.ERROR_RECOVERY_LEVEL, new String[] {"2", "1"});
        VALUES.put(Setting.IMMEDIATE_DATA, new String[] {"No", "Yes"});
        VALUES.put(Setting.INITIAL_R2T, new String[] {"Yes", "No"});
        VALUES.put(Setting.HEADER_DIGEST, new String[] {"None", "CRC32C"});
        VALUES.put(Setting.DATA_DIGEST, new String[] {"None", "CRC32C"});
        VALUES.put(Setting.CMDSN_DEPTH, new String[] {"8", "16"});
        VALUES.put(Setting.NOPIN_INTERVAL, new String[] {"1", "2"});
        VALUES.put(Setting.NOPIN_TIMEOUT, new String[] {"1", "2"});
    }

    enum Level {
        CLUSTER,
        TARGET
    }

    TestingServer zk;
    CuratorFramework client;
    ConfigStore store;
    ConfigWatcher watcher;
    Reconciler reconciler;
    IscsiServer server;
    InetSocketAddress address;
    final List<TestInitiator> clients = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        zk = ZkConfig.loopbackServer();
        client = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .sessionTimeoutMs(30000)
                .connectionTimeoutMs(2000)
                .retryPolicy(new RetryNTimes(20, 100))
                .build();
        client.start();
        store = new ConfigStore(client, "/rbdgw");
        store.initialize();
        TargetRegistry targets = new TargetRegistry();
        SessionRegistry sessions = new SessionRegistry();
        reconciler = new Reconciler(
                "gw-a",
                targets,
                sessions,
                disk -> new MemoryBlockDevice(disk.size(), 512, "memory:" + disk.id()),
                (epoch, health, detail) -> {},
                Duration.ofMillis(200));
        ConnectionSettings portal = ConnectionSettings.defaults();
        reconciler.portal(portal);
        reconciler.start();
        watcher = new ConfigWatcher(store);
        watcher.addListener(reconciler);
        watcher.start();
        server = new IscsiServer(targets, sessions, portal, 2);
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        change(List.of(
                new ConfigChange.PutDisk(Disk.rbd("rbd", "a", 8 << 20)),
                plainTarget(),
                new ConfigChange.PutLun(new Lun(T, 0, "rbd/a"))));
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
        watcher.close();
        reconciler.close();
        client.close();
        zk.close();
    }

    /** Every test starts from nothing overridden. */
    @BeforeEach
    void reset() throws Exception {
        change(List.of(new ConfigChange.PutSettings(Settings.DEFAULTS), plainTarget()));
    }

    @AfterEach
    void disconnect() {
        clients.forEach(TestInitiator::close);
        clients.clear();
    }

    static ConfigChange plainTarget() {
        return new ConfigChange.PutTarget(new Target(T, null, false, Authentication.NONE, null));
    }

    void change(List<ConfigChange> changes) throws Exception {
        long epoch = store.update(c -> changes, 5);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
    }

    void setCluster(Setting s, String value) throws Exception {
        long epoch = store.update(
                c -> List.of(new ConfigChange.PutSettings(c.settings().with(s, value))), 5);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
    }

    void setTarget(Setting s, String value) throws Exception {
        long epoch = store.update(
                c -> {
                    TreeMap<String, String> params =
                            new TreeMap<>(c.target(T).orElseThrow().parameters());
                    if (value == null) {
                        params.remove(s.key());
                    } else {
                        params.put(s.key(), value);
                    }
                    return List.of(new ConfigChange.PutTarget(new Target(T, null, false, Authentication.NONE, params)));
                },
                5);
        reconciler.awaitApplied(epoch, Duration.ofSeconds(10));
    }

    // ---------------------------------------------------------------- the tests

    /** Nothing overridden: the gateway does what the enum (and so the admin API) says is the default. */
    @ParameterizedTest
    @EnumSource(Setting.class)
    void theDefaultIsWhatTheGatewayDoes(Setting s) throws Exception {
        if (s == Setting.NOPIN_TIMEOUT) {
            setCluster(Setting.NOPIN_INTERVAL, "1"); // the first ping sooner: only the timeout is measured
        }
        check(s, s.defaultValue());
    }

    static Stream<Arguments> settingsAndLevels() {
        return Stream.of(Setting.values())
                .flatMap(s -> Stream.of(Arguments.of(s, Level.CLUSTER), Arguments.of(s, Level.TARGET)));
    }

    /** A cluster-wide value applies to the next login; a target's override beats it. */
    @ParameterizedTest(name = "{0} set {1}")
    @MethodSource("settingsAndLevels")
    void aValueSetTakesEffectOnTheNextLogin(Setting s, Level level) throws Exception {
        String[] values = VALUES.get(s);
        assertThat(values).as("values to test " + s + " with").isNotNull();
        if (s == Setting.NOPIN_TIMEOUT) {
            setCluster(Setting.NOPIN_INTERVAL, "1");
        }
        setCluster(s, values[0]);
        String value = values[0];
        if (level == Level.TARGET) {
            setTarget(s, values[1]);
            value = values[1];
        }
        check(s, value);
        if (level == Level.TARGET) {
            // the override removed: back to the cluster-wide value
            setTarget(s, null);
            check(s, values[0]);
        }
    }

    @Test
    void errorRecoveryLevelsAboveZeroAreRefusedAsNotImplemented() {
        assertThat(Setting.ERROR_RECOVERY_LEVEL.settable("0")).isEqualTo("0");
        assertThatThrownBy(() -> Setting.ERROR_RECOVERY_LEVEL.settable("1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not implemented");
    }

    @Test
    void zeroNopinIntervalMeansNoPings() throws Exception {
        setCluster(Setting.NOPIN_INTERVAL, "1");
        setCluster(Setting.NOPIN_TIMEOUT, "1");
        setTarget(Setting.NOPIN_INTERVAL, "0");
        TestInitiator c = login(standardOffer());
        c.answerPings = false;
        // pinged after 1 s (the cluster-wide interval), the connection would be gone within 3 s
        Object o = c.poll(3000);
        assertThat(o).as("a ping").isNull();
        assertThat(c.isClosed()).isFalse();
        assertThat(window(c)).isEqualTo(128);
    }

    /** A session keeps what it negotiated and its window; the change applies to the next login. */
    @Test
    void aLiveSessionKeepsItsValuesAfterAChange() throws Exception {
        Map<String, String> offer = r2tOffer();
        TestInitiator before = login(offer);
        clearPowerOnUa(before);
        setCluster(Setting.MAX_BURST_LENGTH, "65536");
        setCluster(Setting.CMDSN_DEPTH, "8");
        TestInitiator after = new TestInitiator(address).isid(0x23d000000002L); // a second session, not a reinstatement
        clients.add(after);
        after.login(offer);
        clearPowerOnUa(after);

        assertThat(window(before)).isEqualTo(128);
        assertThat(firstR2tLength(before, 262144)).isEqualTo(262144); // 1 MiB bursts, as negotiated
        assertThat(window(after)).isEqualTo(8);
        assertThat(firstR2tLength(after, 262144)).isEqualTo(65536);
    }

    // ---------------------------------------------------------------- observing a setting

    /** What the initiator offers: the most it can, so that the target's side decides. */
    static Map<String, String> standardOffer() {
        Map<String, String> k = TestInitiator.normalKeys(INITIATOR, T);
        k.put("HeaderDigest", "CRC32C,None");
        k.put("DataDigest", "CRC32C,None");
        k.put("InitialR2T", "No");
        k.put("ImmediateData", "Yes");
        k.put("MaxRecvDataSegmentLength", "262144");
        k.put("MaxBurstLength", "16777215");
        k.put("FirstBurstLength", "16777215");
        k.put("MaxOutstandingR2T", "65535");
        k.put("DefaultTime2Wait", "0");
        k.put("DefaultTime2Retain", "3600");
        k.put("ErrorRecoveryLevel", "2");
        return k;
    }

    /** Every write solicited with R2Ts, one at a time. */
    static Map<String, String> r2tOffer() {
        Map<String, String> k = standardOffer();
        k.put("InitialR2T", "Yes");
        k.put("ImmediateData", "No");
        k.put("MaxOutstandingR2T", "1");
        return k;
    }

    /** What the gateway shows of the setting {@code s} given the value in force. */
    static String expected(Setting s, String value) {
        switch (s) {
            case ERROR_RECOVERY_LEVEL:
                return "0"; // level 0 is all there is
            case MAX_XMIT_DATA_SEGMENT_LENGTH:
                return Integer.toString(Math.min(Integer.parseInt(value), READ_BYTES)); // the read is no bigger
            case HEADER_DIGEST:
            case DATA_DIGEST:
                return value.split(",")[0]; // the initiator prefers CRC32C
            default:
                return value;
        }
    }

    /** Checks that a fresh login shows {@code value} of {@code s} in force. */
    void check(Setting s, String value) throws Exception {
        if (s == Setting.NOPIN_INTERVAL || s == Setting.NOPIN_TIMEOUT) {
            // a delay: the gateway checks for pings due every half of the shorter of the two periods
            long ms = Long.parseLong(observe(s));
            long v = Long.parseLong(value) * 1000;
            assertThat(ms)
                    .as(s.key() + " " + value + " s measured as " + ms + " ms")
                    .isBetween(v - 100, v + v / 2 + 700);
        } else {
            assertThat(observe(s)).as(s.key()).isEqualTo(expected(s, value));
        }
    }

    /**
     * Logs in afresh and observes what {@code s} decides: a key in the login response, or behaviour (the
     * delays in milliseconds).
     */
    String observe(Setting s) throws Exception {
        switch (s) {
            case MAX_RECV_DATA_SEGMENT_LENGTH:
            case MAX_BURST_LENGTH:
            case FIRST_BURST_LENGTH:
            case MAX_OUTSTANDING_R2T:
            case DEFAULT_TIME2WAIT:
            case DEFAULT_TIME2RETAIN:
            case ERROR_RECOVERY_LEVEL:
            case IMMEDIATE_DATA:
            case INITIAL_R2T:
            case HEADER_DIGEST:
            case DATA_DIGEST: {
                TestInitiator c = new TestInitiator(address);
                clients.add(c);
                String answer = c.login(standardOffer()).get(s.key());
                if (s == Setting.MAX_BURST_LENGTH) {
                    // and the target solicits in bursts of that size
                    TestInitiator w = login(r2tOffer());
                    clearPowerOnUa(w);
                    assertThat(firstR2tLength(w, 2 << 20)).isEqualTo(Integer.parseInt(answer));
                }
                return answer;
            }
            case MAX_XMIT_DATA_SEGMENT_LENGTH: {
                TestInitiator c = login(standardOffer());
                clearPowerOnUa(c);
                return Integer.toString(largestDataIn(c));
            }
            case CMDSN_DEPTH:
                return Integer.toString(window(login(standardOffer())));
            case NOPIN_INTERVAL: {
                TestInitiator c = login(standardOffer());
                c.answerPings = false;
                long start = System.nanoTime();
                NopIn ping = c.expect(NopIn.class, 10_000);
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertThat(ping.itt()).isEqualTo(NO_TAG);
                ping.release();
                return Long.toString(ms);
            }
            case NOPIN_TIMEOUT: {
                TestInitiator c = login(standardOffer());
                c.answerPings = false;
                c.expect(NopIn.class, 10_000).release();
                long start = System.nanoTime();
                await().atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(20))
                        .until(c::isClosed);
                return Long.toString((System.nanoTime() - start) / 1_000_000);
            }
            default:
                return fail("no test observes the effect of setting " + s.key() + ": add one to SettingsEffectTest");
        }
    }

    TestInitiator login(Map<String, String> offer) throws Exception {
        TestInitiator c = new TestInitiator(address);
        clients.add(c);
        c.login(offer);
        return c;
    }

    static void clearPowerOnUa(TestInitiator c) throws Exception {
        IscsiSessionTest.clearPowerOnUa(c);
    }

    /** MaxCmdSN - ExpCmdSN + 1 in the answer to an immediate NOP-Out, nothing else outstanding. */
    static int window(TestInitiator c) throws Exception {
        c.send(new NopOut(true, 0, c.itt++, NO_TAG, c.cmdSN, c.expStatSN, Unpooled.EMPTY_BUFFER));
        NopIn r = c.expect(NopIn.class, 5000);
        try {
            c.expStatSN = r.statSN() + 1;
            return r.maxCmdSN() - r.expCmdSN() + 1;
        } finally {
            r.release();
        }
    }

    /** The largest Data-In segment of a READ(10) of {@link #READ_BYTES}. */
    static int largestDataIn(TestInitiator c) throws Exception {
        c.send(c.command(IscsiSessionTest.rw10(0x28, 0, READ_BYTES / 512), true, false, READ_BYTES, null, true));
        int largest = 0;
        int got = 0;
        while (true) {
            DataIn d = c.expect(DataIn.class, 5000);
            try {
                largest = Math.max(largest, d.data().readableBytes());
                got += d.data().readableBytes();
                if (d.finalFlag()) {
                    assertThat(d.status()).isZero();
                    assertThat(got).isEqualTo(READ_BYTES);
                    c.expStatSN = d.statSN() + 1;
                    return largest;
                }
            } finally {
                d.release();
            }
        }
    }

    /**
     * Writes {@code length} bytes, every byte solicited (the session negotiated InitialR2T=Yes, ImmediateData=No,
     * MaxOutstandingR2T=1), and returns the length the first R2T asks for. Every R2T asks for at most that.
     */
    static int firstR2tLength(TestInitiator c, int length) throws Exception {
        ScsiCommand cmd = c.command(IscsiSessionTest.rw10(0x2A, 0, length / 512), false, true, length, null, true);
        c.send(cmd);
        int first = -1;
        int solicited = 0;
        while (solicited < length) {
            R2t r = c.expect(R2t.class, 5000);
            if (first < 0) {
                first = r.desiredDataTransferLength();
            }
            assertThat(r.desiredDataTransferLength()).isLessThanOrEqualTo(first);
            assertThat(r.bufferOffset()).isEqualTo(solicited);
            solicited += r.desiredDataTransferLength();
            int dataSN = 0;
            int end = r.bufferOffset() + r.desiredDataTransferLength();
            for (int p = r.bufferOffset(); p < end; p += 16384) {
                int n = Math.min(16384, end - p);
                c.send(new DataOut(
                        p + n == end,
                        0,
                        cmd.itt(),
                        r.ttt(),
                        c.expStatSN,
                        dataSN++,
                        p,
                        Unpooled.wrappedBuffer(new byte[n])));
            }
        }
        ScsiResponse resp = c.expect(ScsiResponse.class, 5000);
        try {
            assertThat(resp.status()).isZero();
            c.expStatSN = resp.statSN() + 1;
        } finally {
            resp.release();
        }
        return first;
    }
}
