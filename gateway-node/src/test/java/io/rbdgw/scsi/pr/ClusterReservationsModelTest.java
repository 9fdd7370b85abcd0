package io.rbdgw.scsi.pr;

import static org.awaitility.Awaitility.await;

import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.node.pr.ClusterReservations;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.NexusUnitAttentions;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.pr.SpcReservationModel.FullStatus;
import io.rbdgw.scsi.pr.SpcReservationModel.Nexus;
import io.rbdgw.scsi.pr.SpcReservationModel.Outcome;
import io.rbdgw.scsi.pr.SpcReservationModel.Reg;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of reservation commands from several I_T nexuses, spread over two gateways that share one
 * disk's reservations through a real ZooKeeper ({@link ClusterReservations}, as in {@link ClusterReservationsTest}),
 * checked after every command against {@link SpcReservationModel}, a single-node model written from SPC-4: the
 * command's status and sense; READ KEYS, READ RESERVATION and READ FULL STATUS through both gateways; whether a
 * READ and a WRITE from every I_T nexus conflict, asked of both gateways; and the unit attentions each I_T nexus
 * has pending on its gateway.
 *
 * <p>The seed is printed; {@code -Dpr.model.seed=S -Dpr.model.sequences=1} replays one sequence (a failure names
 * its seed). {@code -Dpr.model.sequences} and {@code -Dpr.model.steps} change the amount.
 */
class ClusterReservationsModelTest {

    static final String TARGET = "iqn.2003-01.io.rbdgw:model";
    /** The initiator ports: two hosts, the first with a second port (another ISID), as Windows MPIO logs in. */
    static final String[] NAMES = {
        "iqn.1991-05.com.microsoft:node1", "iqn.1991-05.com.microsoft:node2", "iqn.1991-05.com.microsoft:node1"
    };

    static final long[] ISIDS = {0x400001370000L, 0x400001370000L, 0x400001370001L};
    /** Relative target port identifier (= target portal group tag) of gateway A and of gateway B. */
    static final int PORT_A = 1;

    static final int PORT_B = 2;
    /** A few keys, so that several I_T nexuses often share one (PREEMPT removes them all). */
    static final long[] KEYS = {0x11, 0x22, 0x33, 0xabcdef0123456789L};

    static final byte[] READ10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static final byte[] WRITE10 = {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0};

    static final int SEQUENCES = Integer.getInteger("pr.model.sequences", 100);
    static final int STEPS = Integer.getInteger("pr.model.steps", 20);

    TestingServer zk;
    ZkLayout layout;
    final List<AutoCloseable> closeables = new ArrayList<>();
    final List<String> fenced = new CopyOnWriteArrayList<>();
    /** How often each command ended how (printed: shows what the sequences exercised). */
    final Map<String, Integer> outcomes = new TreeMap<>();

    Gw a;
    Gw b;

    /** One gateway: its ZooKeeper client and cluster reservations. */
    final class Gw {
        final int port;
        final ClusterReservations cluster;

        Gw(String name, int port) {
            this.port = port;
            CuratorFramework client = CuratorFrameworkFactory.builder()
                    .connectString(zk.getConnectString())
                    .sessionTimeoutMs(10000)
                    .connectionTimeoutMs(5000)
                    .retryPolicy(new RetryNTimes(20, 100))
                    .build();
            client.start();
            closeables.add(client);
            // a generous bound: the machine is shared, and a fenced gateway would be a failure here anyway
            cluster = new ClusterReservations(client, layout, name, Duration.ofSeconds(5), fenced::add);
            closeables.add(cluster);
            cluster.start();
        }
    }

    /** One gateway's logical unit of the sequence's disk, and a probe over the same store for other ports. */
    record Lu(Gw gw, LogicalUnit unit, LocalReservations probe) {

        /** The engine's admission of a command from {@code n}: this unit for its own I_T nexuses. */
        int admission(ItNexus n, byte[] cdb) {
            Reservations r = n.relativeTargetPort() == gw.port ? unit.reservations() : probe;
            return r.admission(n, cdb);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        zk = ZkConfig.loopbackServer();
        layout = new ZkLayout("/rbdgw-pr-model");
        a = new Gw("gw-a", PORT_A);
        b = new Gw("gw-b", PORT_B);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
    }

    static ItNexus itNexus(Nexus n) {
        return new ItNexus(NAMES[n.initiator()], ISIDS[n.initiator()], TARGET, n.targetPort(), n.targetPort());
    }

    static String portName(int initiator) {
        return NAMES[initiator] + ",i,0x" + String.format("%012x", ISIDS[initiator]);
    }

    @Test
    void randomSequencesThroughTwoGatewaysAgreeWithTheReferenceModel() throws Exception {
        long seed = Long.getLong("pr.model.seed", new Random().nextLong());
        System.out.printf(
                "ClusterReservationsModelTest: seed %d, %d sequences of %d steps (replay one: -Dpr.model.seed=<its seed>"
                        + " -Dpr.model.sequences=1)%n",
                seed, SEQUENCES, STEPS);
        long start = System.nanoTime();
        int commands = 0;
        for (int i = 0; i < SEQUENCES; i++) {
            commands += runSequence(seed + i, i);
        }
        System.out.printf(
                "ClusterReservationsModelTest: %d commands checked in %d ms%n",
                commands, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        outcomes.forEach((k, v) -> System.out.printf("  %6d %s%n", v, k));
        if (!fenced.isEmpty()) {
            throw new AssertionError("gateways were fenced (a late acknowledgement): " + fenced);
        }
    }

    private int runSequence(long seqSeed, int index) throws Exception {
        Random rnd = new Random(seqSeed);
        List<String> ports = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            ports.add(portName(i));
        }
        SpcReservationModel model = new SpcReservationModel(ports, 2);
        String disk = "rbd/model-" + index + "-" + Long.toHexString(seqSeed);
        Lu luA = open(a, disk);
        Lu luB = open(b, disk);
        List<String> trace = new ArrayList<>();
        Check check = new Check(seqSeed, trace);
        for (Nexus n : model.nexuses()) {
            lu(luA, luB, n).unit().nexusCreated(itNexus(n));
            model.nexusReplaced(n); // the new nexus's 29/00
        }
        compareAll(model, luA, luB, check);
        check.capabilities(luA, luB);
        int commands = 0;
        for (int step = 0; step < STEPS; step++) {
            Op op = Op.next(rnd, model);
            trace.add(op.toString());
            Outcome expected = op.applyTo(model);
            Outcome actual = op.runOn(lu(luA, luB, op.nexus()));
            check.equal("outcome of " + op, expected, actual);
            outcomes.merge(op.kind() + " " + expected, 1, Integer::sum);
            if (op.kind() == Kind.LOGOUT) {
                awaitSpc2Released(luA, luB, model);
            }
            compareAll(model, luA, luB, check);
            commands++;
        }
        return commands;
    }

    private static Lu lu(Lu luA, Lu luB, Nexus n) {
        return n.targetPort() == PORT_A ? luA : luB;
    }

    private Lu open(Gw gw, String disk) throws Exception {
        ReservationStore store = gw.cluster.open(disk, gw.port);
        // the probe first: the logical unit's reservations, built last, receive the other gateway's unit attentions
        LocalReservations probe = new LocalReservations(new NexusUnitAttentions(), store);
        LogicalUnit unit = new LogicalUnit(
                0, new MemoryBlockDevice(1 << 20, 512, "memory:" + disk), ua -> new LocalReservations(ua, store));
        return new Lu(gw, unit, probe);
    }

    /** An SPC-2 release on nexus loss is not waited for by anyone: wait until both gateways applied it. */
    private static void awaitSpc2Released(Lu luA, Lu luB, SpcReservationModel model) {
        if (model.spc2Holder() != null) {
            return;
        }
        for (Lu lu : List.of(luA, luB)) {
            LocalReservations r = (LocalReservations) lu.unit().reservations();
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> r.state().spc2Holder() == null);
        }
    }

    private void compareAll(SpcReservationModel model, Lu luA, Lu luB, Check check) throws Exception {
        for (Lu lu : List.of(luA, luB)) {
            String via = lu.gw() == a ? " through gateway A" : " through gateway B";
            ItNexus reader = itNexus(new Nexus(0, lu.gw().port));
            ByteBuffer keys = prIn(lu, reader, PrInData.READ_KEYS);
            check.equal("READ KEYS generation" + via, model.generation(), keys.getInt());
            List<Long> actualKeys = new ArrayList<>();
            for (int n = keys.getInt() / 8; n > 0; n--) {
                actualKeys.add(keys.getLong());
            }
            check.equal("READ KEYS" + via, sorted(model.readKeys()), sorted(actualKeys));

            ByteBuffer res = prIn(lu, reader, PrInData.READ_RESERVATION);
            check.equal("READ RESERVATION generation" + via, model.generation(), res.getInt());
            long[] expected = model.readReservation();
            int len = res.getInt();
            String actualRes = len == 0 ? "none" : String.format("key %x type %d", res.getLong(), res.get(21) & 0xff);
            check.equal(
                    "READ RESERVATION" + via,
                    expected == null ? "none" : String.format("key %x type %d", expected[0], expected[1]),
                    actualRes);

            ByteBuffer full = prIn(lu, reader, PrInData.READ_FULL_STATUS);
            check.equal("READ FULL STATUS generation" + via, model.generation(), full.getInt());
            int end = 8 + full.getInt();
            List<FullStatus> actual = new ArrayList<>();
            while (full.position() < end) {
                int at = full.position();
                long key = full.getLong(at);
                int flags = full.get(at + 12) & 0xff;
                int type = full.get(at + 13) & 0x0f;
                int relPort = full.getShort(at + 18) & 0xffff;
                int tidLen = full.getInt(at + 20);
                int nameLen = full.getShort(at + 24 + 2) & 0xffff;
                byte[] name = new byte[nameLen];
                full.get(at + 28, name);
                String port = new String(name, StandardCharsets.UTF_8).replace("\0", "");
                actual.add(new FullStatus(key, (flags & 0x02) != 0, (flags & 0x01) != 0, type, relPort, port));
                full.position(at + 24 + tidLen);
            }
            check.equal("READ FULL STATUS" + via, sortedStatus(model.readFullStatus()), sortedStatus(actual));

            for (Nexus n : model.nexuses()) {
                ItNexus it = itNexus(n);
                check.equal(
                        "READ from " + n + " asked of gateway " + (lu.gw() == a ? "A" : "B"),
                        model.access(n, false),
                        lu.admission(it, READ10));
                check.equal(
                        "WRITE from " + n + " asked of gateway " + (lu.gw() == a ? "A" : "B"),
                        model.access(n, true),
                        lu.admission(it, WRITE10));
            }
        }
        for (Nexus n : model.nexuses()) {
            NexusUnitAttentions queues = lu(luA, luB, n).unit().unitAttentionQueues();
            List<Integer> actual = new ArrayList<>();
            for (int code = queues.poll(itNexus(n)); code >= 0; code = queues.poll(itNexus(n))) {
                actual.add(code);
            }
            check.equal("unit attentions of " + n, sorted(model.drainUnitAttentions(n)), sorted(actual));
        }
    }

    static ByteBuffer prIn(Lu lu, ItNexus n, int sa) throws Exception {
        RecordingTask t =
                new RecordingTask(n, new byte[] {0x5E, (byte) sa, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0}, null);
        lu.unit().reservations().persistentReserveIn(t);
        if (t.await() != ScsiStatus.GOOD) {
            throw new AssertionError("PERSISTENT RESERVE IN " + sa + " ended with status " + t.status);
        }
        return ByteBuffer.wrap(t.dataIn);
    }

    static <T extends Comparable<T>> List<T> sorted(List<T> l) {
        List<T> out = new ArrayList<>(l);
        out.sort(Comparator.naturalOrder());
        return out;
    }

    static List<String> sortedStatus(List<FullStatus> l) {
        List<String> out = new ArrayList<>();
        for (FullStatus s : l) {
            out.add(s.toString());
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Compares one observation, failing with everything needed to replay the sequence. */
    record Check(long seed, List<String> trace) {
        void equal(String what, Object expected, Object actual) {
            if (!Objects.equals(expected, actual)) {
                throw new AssertionError(String.format(
                        "%s: model %s, engine %s%n  after %d commands of sequence seed %d"
                                + " (replay: -Dpr.model.seed=%d -Dpr.model.sequences=1):%n  %s",
                        what, expected, actual, trace.size(), seed, seed, String.join("\n  ", trace)));
            }
        }

        /** REPORT CAPABILITIES: CRH=0 (RESERVE/RELEASE conflict with any registration), as the model does. */
        void capabilities(Lu luA, Lu luB) throws Exception {
            for (Lu lu : List.of(luA, luB)) {
                ByteBuffer caps = prIn(lu, itNexus(new Nexus(0, lu.gw().port)), PrInData.REPORT_CAPABILITIES);
                equal("REPORT CAPABILITIES CRH", 0, caps.get(2) & 0x10);
            }
        }
    }

    enum Kind {
        REGISTER,
        REGISTER_AND_IGNORE_EXISTING_KEY,
        RESERVE,
        RELEASE,
        CLEAR,
        PREEMPT,
        PREEMPT_AND_ABORT,
        REGISTER_AND_MOVE,
        RESERVE6,
        RELEASE6,
        LOGOUT
    }

    /** One command (or a logout and login) from one I_T nexus. */
    record Op(
            Kind kind,
            Nexus nexus,
            long rk,
            long sark,
            int type,
            boolean allTgPt,
            boolean aptpl,
            Nexus dest,
            boolean unreg) {

        /** How often each command comes (relative weights). */
        private static final Kind[] MIX = mix(
                Kind.REGISTER, 20,
                Kind.REGISTER_AND_IGNORE_EXISTING_KEY, 10,
                Kind.RESERVE, 16,
                Kind.RELEASE, 10,
                Kind.CLEAR, 4,
                Kind.PREEMPT, 12,
                Kind.PREEMPT_AND_ABORT, 6,
                Kind.REGISTER_AND_MOVE, 8,
                Kind.RESERVE6, 2,
                Kind.RELEASE6, 4,
                Kind.LOGOUT, 4);

        private static Kind[] mix(Object... kindsAndWeights) {
            List<Kind> out = new ArrayList<>();
            for (int i = 0; i < kindsAndWeights.length; i += 2) {
                for (int w = (Integer) kindsAndWeights[i + 1]; w > 0; w--) {
                    out.add((Kind) kindsAndWeights[i]);
                }
            }
            return out.toArray(new Kind[0]);
        }

        /** A random command; keeps each initiator port registered either through ALL_TG_PT or per target port. */
        static Op next(Random r, SpcReservationModel m) {
            while (true) {
                Op op = candidate(r, m);
                if (op != null) {
                    return op;
                }
            }
        }

        private static Op candidate(Random r, SpcReservationModel m) {
            List<Nexus> all = m.nexuses();
            Kind kind = MIX[r.nextInt(MIX.length)];
            Nexus n = sender(r, m, kind, all);
            Reg mine = m.registration(n);
            int q = r.nextInt(100);
            long rk = q < 80 ? (mine == null ? 0 : mine.key()) : q < 90 ? 0 : KEYS[r.nextInt(KEYS.length)];
            long sark;
            int type = m.type() != 0 && r.nextInt(100) < 60
                    ? m.type()
                    : SpcReservationModel.TYPES[r.nextInt(SpcReservationModel.TYPES.length)];
            boolean aptpl = r.nextInt(100) < 20;
            boolean allTgPt = false;
            Nexus dest = null;
            boolean unreg = false;
            switch (kind) {
                case REGISTER, REGISTER_AND_IGNORE_EXISTING_KEY -> {
                    sark = r.nextInt(100) < 15 ? 0 : KEYS[r.nextInt(KEYS.length)];
                    Boolean mode = registrationMode(m, n.initiator());
                    allTgPt = mode != null ? mode : r.nextInt(100) < 30;
                }
                case RESERVE -> {
                    sark = 0;
                    if (mine != null && rk == mine.key() && r.nextInt(100) < 5) {
                        type = r.nextBoolean() ? 0x2 : 0x9; // not a type: CHECK CONDITION
                    }
                }
                case PREEMPT, PREEMPT_AND_ABORT -> {
                    int s = r.nextInt(100);
                    List<Reg> regs = new ArrayList<>(m.registrations().values());
                    sark = s < 15 || regs.isEmpty()
                            ? (s < 8 ? 0 : KEYS[r.nextInt(KEYS.length)])
                            : regs.get(r.nextInt(regs.size())).key();
                    // the sender's ALL_TG_PT registration losing only some of its I_T nexuses: not comparable
                    if (mine != null
                            && mine.allTgPt()
                            && (sark == mine.key() || (SpcReservationModel.allRegistrants(m.type()) && sark == 0))) {
                        return null;
                    }
                }
                case REGISTER_AND_MOVE -> {
                    sark = KEYS[r.nextInt(KEYS.length)];
                    dest = all.get(r.nextInt(all.size()));
                    Reg d = m.registration(dest);
                    if (d != null && d.allTgPt()) {
                        return null; // one I_T nexus of an ALL_TG_PT registration getting another key: not comparable
                    }
                    unreg = r.nextInt(100) < 40 && (mine == null || !mine.allTgPt());
                }
                default -> sark = 0;
            }
            return new Op(kind, n, rk, sark, type, allTgPt, aptpl, dest, unreg);
        }

        /**
         * Who sends it: mostly a registered I_T nexus for the service actions that need one (and the holder for
         * REGISTER AND MOVE, the SPC-2 holder for RELEASE(6)), so that not nearly everything conflicts.
         */
        private static Nexus sender(Random r, SpcReservationModel m, Kind kind, List<Nexus> all) {
            List<Nexus> preferred = new ArrayList<>();
            switch (kind) {
                case RESERVE, RELEASE, CLEAR, PREEMPT, PREEMPT_AND_ABORT ->
                    preferred.addAll(m.registrations().keySet());
                case REGISTER_AND_MOVE -> {
                    for (Nexus n : all) {
                        if (m.isHolder(n)) {
                            preferred.add(n);
                        }
                    }
                }
                case RELEASE6 -> {
                    if (m.spc2Holder() != null) {
                        preferred.add(m.spc2Holder());
                    }
                }
                default -> {}
            }
            preferred.sort(Comparator.comparing(Nexus::toString)); // the map's order is not the seed's
            return !preferred.isEmpty() && r.nextInt(100) < 75
                    ? preferred.get(r.nextInt(preferred.size()))
                    : all.get(r.nextInt(all.size()));
        }

        /** TRUE: the port is registered through ALL_TG_PT; FALSE: per target port; null: not registered. */
        private static Boolean registrationMode(SpcReservationModel m, int initiator) {
            for (var e : m.registrations().entrySet()) {
                if (e.getKey().initiator() == initiator) {
                    return e.getValue().allTgPt();
                }
            }
            return null;
        }

        Outcome applyTo(SpcReservationModel m) {
            return switch (kind) {
                case REGISTER -> m.register(nexus, rk, sark, allTgPt, false);
                case REGISTER_AND_IGNORE_EXISTING_KEY -> m.register(nexus, rk, sark, allTgPt, true);
                case RESERVE -> m.reserve(nexus, rk, type);
                case RELEASE -> m.releasePersistent(nexus, rk, type);
                case CLEAR -> m.clear(nexus, rk);
                case PREEMPT, PREEMPT_AND_ABORT -> m.preempt(nexus, rk, sark, type);
                case REGISTER_AND_MOVE -> m.registerAndMove(nexus, rk, sark, dest, unreg);
                case RESERVE6 -> m.reserve6(nexus);
                case RELEASE6 -> m.release6(nexus);
                case LOGOUT -> {
                    m.nexusReplaced(nexus);
                    yield Outcome.GOOD_STATUS;
                }
            };
        }

        /** Runs the command through the logical unit of the nexus's gateway, as a session hands it over. */
        Outcome runOn(Lu lu) throws Exception {
            ItNexus it = itNexus(nexus);
            RecordingTask t;
            switch (kind) {
                case RESERVE6 -> t = new RecordingTask(it, new byte[] {0x16, 0, 0, 0, 0, 0}, null);
                case RELEASE6 -> t = new RecordingTask(it, new byte[] {0x17, 0, 0, 0, 0, 0}, null);
                case LOGOUT -> {
                    lu.unit().nexusLost(it);
                    lu.unit().nexusCreated(it);
                    return Outcome.GOOD_STATUS;
                }
                default -> {
                    byte[] params = parameters();
                    byte[] cdb = {0x5F, (byte) serviceAction(), (byte) type, 0, 0, 0, 0, 0, (byte) params.length, 0};
                    t = new RecordingTask(it, cdb, params);
                }
            }
            lu.unit().execute(t);
            int status = t.await();
            if (status == ScsiStatus.CHECK_CONDITION) {
                byte[] s = t.sense;
                return new Outcome(status, s[2] & 0x0f, s[12] & 0xff, s[13] & 0xff);
            }
            return new Outcome(status, 0, 0, 0);
        }

        private int serviceAction() {
            return switch (kind) {
                case REGISTER -> 0;
                case RESERVE -> 1;
                case RELEASE -> 2;
                case CLEAR -> 3;
                case PREEMPT -> 4;
                case PREEMPT_AND_ABORT -> 5;
                case REGISTER_AND_IGNORE_EXISTING_KEY -> 6;
                case REGISTER_AND_MOVE -> 7;
                default -> throw new IllegalStateException(kind.toString());
            };
        }

        /** The parameter list (SPC-4 6.16.3, and 6.16.4 with an iSCSI TransportID of format 01b, 7.6.4.6). */
        private byte[] parameters() {
            if (kind != Kind.REGISTER_AND_MOVE) {
                return ByteBuffer.allocate(24)
                        .putLong(rk)
                        .putLong(sark)
                        .putInt(0)
                        .put((byte) ((allTgPt ? 0x04 : 0) | (aptpl ? 0x01 : 0)))
                        .array();
            }
            byte[] name = portName(dest.initiator()).getBytes(StandardCharsets.UTF_8);
            int padded = Math.max(20, (name.length + 1 + 3) / 4 * 4);
            ByteBuffer p = ByteBuffer.allocate(24 + 4 + padded)
                    .putLong(rk)
                    .putLong(sark)
                    .put((byte) 0)
                    .put((byte) ((unreg ? 0x02 : 0) | (aptpl ? 0x01 : 0)))
                    .putShort((short) dest.targetPort())
                    .putInt(4 + padded);
            p.put((byte) 0x45).put((byte) 0).putShort((short) padded).put(name);
            return p.array();
        }

        @Override
        public String toString() {
            String s = kind + " from " + nexus;
            return switch (kind) {
                case REGISTER, REGISTER_AND_IGNORE_EXISTING_KEY ->
                    String.format(
                            "%s rk=%x sark=%x%s%s", s, rk, sark, allTgPt ? " ALL_TG_PT" : "", aptpl ? " APTPL" : "");
                case RESERVE, RELEASE -> String.format("%s rk=%x type=%d", s, rk, type);
                case CLEAR -> String.format("%s rk=%x", s, rk);
                case PREEMPT, PREEMPT_AND_ABORT -> String.format("%s rk=%x sark=%x type=%d", s, rk, sark, type);
                case REGISTER_AND_MOVE ->
                    String.format("%s rk=%x sark=%x to %s%s", s, rk, sark, dest, unreg ? " UNREG" : "");
                default -> s;
            };
        }
    }
}
