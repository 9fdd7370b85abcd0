package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.IscsiPdu;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import io.rbdgw.iscsi.pdu.LoginRequest;
import io.rbdgw.iscsi.pdu.LoginResponse;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal blocking iSCSI initiator for tests of the session layer: it speaks our own codec in the
 * client role and lets a test send exactly the PDUs it wants, including wrong ones.
 */
public final class TestInitiator implements AutoCloseable {

    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    final Channel channel;
    final IscsiPduDecoder decoder = new IscsiPduDecoder(false, 0xFFFFFF);
    final IscsiPduEncoder encoder = new IscsiPduEncoder();
    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    volatile boolean closed;
    /** Answer the target's NOP-In pings in the background (tests of the ping itself turn this off). */
    volatile boolean answerPings = true;

    int itt = 1;
    int cmdSN = 1;
    int expStatSN;
    long isid = 0x23d000000001L;
    int tsih;

    public TestInitiator(InetSocketAddress target) throws InterruptedException {
        channel = new Bootstrap()
                .group(GROUP)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(decoder, encoder, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (answerPings && msg instanceof io.rbdgw.iscsi.pdu.NopIn ping && ping.itt() == -1) {
                                    ctx.writeAndFlush(new io.rbdgw.iscsi.pdu.NopOut(
                                            true, 0, -1, ping.ttt(), cmdSN, expStatSN, Unpooled.EMPTY_BUFFER));
                                    ping.release();
                                    return;
                                }
                                received.add(msg);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                closed = true;
                            }
                        });
                    }
                })
                .connect(target)
                .sync()
                .channel();
    }

    static ByteBuf text(Map<String, String> keys) {
        StringBuilder sb = new StringBuilder();
        keys.forEach((k, v) -> sb.append(k).append('=').append(v).append('\0'));
        return Unpooled.copiedBuffer(sb.toString(), StandardCharsets.UTF_8);
    }

    static Map<String, String> parse(ByteBuf data) {
        Map<String, String> m = new LinkedHashMap<>();
        String s = data.toString(StandardCharsets.UTF_8);
        for (String kv : s.split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    /**
     * Sends a PDU; a closed connection is an unchecked {@link IllegalStateException}. (Netty's own rethrow of a
     * {@code ClosedChannelException} is a checked exception thrown unchecked, which a caller's
     * {@code catch (RuntimeException)} would miss.)
     */
    public void send(IscsiPdu pdu) {
        var f = channel.writeAndFlush(pdu).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IllegalStateException("send of " + pdu.getClass().getSimpleName() + " failed", f.cause());
        }
    }

    /** Next received PDU of the given type (fails on timeout or another type). Caller releases it. */
    public <T> T expect(Class<T> type, long timeoutMs) throws InterruptedException {
        Object o = received.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (o == null) {
            throw new AssertionError("no " + type.getSimpleName() + " within " + timeoutMs + " ms");
        }
        if (!type.isInstance(o)) {
            String d = o.toString();
            ReferenceCountUtil.release(o);
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + d);
        }
        return type.cast(o);
    }

    public Object poll(long timeoutMs) throws InterruptedException {
        return received.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Logs in straight into the operational stage and on to the full feature phase with the given
     * keys (InitiatorName, SessionType, TargetName and the operational keys). Returns the target's
     * answer keys merged over the login responses.
     */
    public Map<String, String> login(Map<String, String> keys) throws InterruptedException {
        Map<String, String> answer = new LinkedHashMap<>();
        send(new LoginRequest(true, false, 1, 3, 0, 0, isid, 0, itt++, 0, cmdSN, expStatSN, text(keys)));
        while (true) {
            LoginResponse r = expect(LoginResponse.class, 5000);
            try {
                if (r.statusClass() != 0) {
                    throw new AssertionError("login failed: " + r.statusClass() + "/" + r.statusDetail());
                }
                answer.putAll(parse(r.data()));
                expStatSN = r.statSN() + 1;
                if (r.transit() && r.nsg() == 3) {
                    tsih = r.tsih();
                    boolean hd = "CRC32C".equals(answer.get("HeaderDigest"));
                    boolean dd = "CRC32C".equals(answer.get("DataDigest"));
                    encoder.setHeaderDigest(hd);
                    encoder.setDataDigest(dd);
                    decoder.setHeaderDigest(hd);
                    decoder.setDataDigest(dd);
                    return answer;
                }
            } finally {
                r.release();
            }
            send(new LoginRequest(true, false, 1, 3, 0, 0, isid, 0, itt++, 0, cmdSN, expStatSN, Unpooled.EMPTY_BUFFER));
        }
    }

    /**
     * Logs in through the security stage with one-way CHAP (MD5) as {@code user}/{@code secret}, then on to the full
     * feature phase with {@code keys} (InitiatorName, SessionType, TargetName); returns the target's answer keys.
     */
    public Map<String, String> loginChap(Map<String, String> keys, String user, String secret)
            throws InterruptedException {
        Map<String, String> first = new LinkedHashMap<>(keys);
        first.put("AuthMethod", "CHAP");
        Map<String, String> answer = new LinkedHashMap<>(securityStep(false, first));
        answer.putAll(securityStep(false, Map.of("CHAP_A", "5")));
        int id = Integer.parseInt(answer.get("CHAP_I"));
        byte[] challenge =
                java.util.HexFormat.of().parseHex(answer.get("CHAP_C").substring(2));
        byte[] response;
        try {
            java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
            md5.update((byte) id);
            md5.update(secret.getBytes(StandardCharsets.UTF_8));
            md5.update(challenge);
            response = md5.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> proof = new LinkedHashMap<>();
        proof.put("CHAP_N", user);
        proof.put("CHAP_R", "0x" + java.util.HexFormat.of().formatHex(response));
        answer.putAll(securityStep(true, proof));
        Map<String, String> operational = new LinkedHashMap<>(keys);
        operational.keySet().removeAll(java.util.List.of("InitiatorName", "SessionType", "TargetName"));
        answer.putAll(login(operational));
        return answer;
    }

    /** One security-stage login request and its answer; {@code transit} asks for the operational stage. */
    private Map<String, String> securityStep(boolean transit, Map<String, String> keys) throws InterruptedException {
        send(new LoginRequest(transit, false, 0, 1, 0, 0, isid, 0, itt++, 0, cmdSN, expStatSN, text(keys)));
        LoginResponse r = expect(LoginResponse.class, 5000);
        try {
            if (r.statusClass() != 0) {
                throw new AssertionError("login failed: " + r.statusClass() + "/" + r.statusDetail());
            }
            expStatSN = r.statSN() + 1;
            return parse(r.data());
        } finally {
            r.release();
        }
    }

    public static Map<String, String> normalKeys(String initiator, String target) {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("InitiatorName", initiator);
        k.put("SessionType", "Normal");
        k.put("TargetName", target);
        return k;
    }

    /** A SCSI command with the next ITT and CmdSN (non-immediate). */
    public ScsiCommand command(
            byte[] cdb, boolean read, boolean write, int edtl, ByteBuf immediate, boolean finalFlag) {
        return command(0, cdb, read, write, edtl, immediate, finalFlag);
    }

    /** {@link #command(byte[], boolean, boolean, int, ByteBuf, boolean)} to LUN {@code lun} (peripheral addressing). */
    public ScsiCommand command(
            int lun, byte[] cdb, boolean read, boolean write, int edtl, ByteBuf immediate, boolean finalFlag) {
        byte[] full = java.util.Arrays.copyOf(cdb, Math.max(16, cdb.length));
        return new ScsiCommand(
                false,
                finalFlag,
                read,
                write,
                1,
                (long) lun << 48,
                itt++,
                edtl,
                cmdSN++,
                expStatSN,
                full,
                immediate == null ? Unpooled.EMPTY_BUFFER : immediate);
    }

    /** An immediate task management request with the next ITT (LUN in the 8-byte field's flat form). */
    public io.rbdgw.iscsi.pdu.TaskManagementRequest taskManagement(
            int function, long lunField, int referencedTaskTag, int refCmdSN) {
        return new io.rbdgw.iscsi.pdu.TaskManagementRequest(
                true, function, lunField, itt++, referencedTaskTag, cmdSN, expStatSN, refCmdSN, 0);
    }

    /** Uses another ISID for the next login (a second session of the same initiator to the same target). */
    public TestInitiator isid(long isid) {
        this.isid = isid;
        return this;
    }

    public long isid() {
        return isid;
    }

    /** The CmdSN the next command carries (what a NOP-Out answering a ping carries, without advancing it). */
    public int cmdSN() {
        return cmdSN;
    }

    public int expStatSN() {
        return expStatSN;
    }

    /** For tests that read responses themselves and keep ExpStatSN current. */
    public void expStatSN(int statSN) {
        this.expStatSN = statSN;
    }

    /** Whether the target closed the connection (or it broke). */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        Object o;
        while ((o = received.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    // ---------------------------------------------------------------- helpers shared by session tests and ITs

    /** The first command after login gets the power-on unit attention; consume it. */
    public static void clearPowerOnUa(TestInitiator c) throws Exception {
        expectUnitAttention(c, 0x062900);
    }

    /** A TEST UNIT READY gets CHECK CONDITION with sense key/ASC/ASCQ {@code keyAscAscq} (0xKKAAQQ). */
    public static void expectUnitAttention(TestInitiator c, int keyAscAscq) throws Exception {
        c.send(c.command(new byte[] {0x00, 0, 0, 0, 0, 0}, false, false, 0, null, true));
        ScsiResponse r = c.expect(ScsiResponse.class, 5000);
        try {
            assertThat(r.status()).isEqualTo(0x02);
            assertThat(senseKeyAscAscq(r)).isEqualTo(keyAscAscq);
        } finally {
            r.release();
        }
    }

    public static int senseKeyAscAscq(ScsiResponse r) {
        ByteBuf d = r.data();
        int base = d.readerIndex() + 2;
        return ((d.getByte(base + 2) & 0x0f) << 16)
                | ((d.getByte(base + 12) & 0xff) << 8)
                | (d.getByte(base + 13) & 0xff);
    }

    public static byte[] rw10(int opcode, long lba, int blocks) {
        return new byte[] {
            (byte) opcode,
            0,
            (byte) (lba >>> 24),
            (byte) (lba >>> 16),
            (byte) (lba >>> 8),
            (byte) lba,
            0,
            (byte) (blocks >>> 8),
            (byte) blocks,
            0
        };
    }

    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads with READ(10) and reassembles the Data-In PDUs; checks their sizes against mrdsl. */
    public static byte[] read(TestInitiator c, long lba, int blocks, int mrdsl) throws Exception {
        int len = blocks * 512;
        c.send(c.command(rw10(0x28, lba, blocks), true, false, len, null, true));
        byte[] out = new byte[len];
        int got = 0;
        int expectDataSN = 0;
        while (true) {
            DataIn d = c.expect(DataIn.class, 5000);
            try {
                assertThat(d.dataSN()).isEqualTo(expectDataSN++);
                assertThat(d.bufferOffset()).isEqualTo(got);
                assertThat(d.data().readableBytes()).isLessThanOrEqualTo(mrdsl);
                d.data().getBytes(d.data().readerIndex(), out, got, d.data().readableBytes());
                got += d.data().readableBytes();
                if (d.finalFlag()) {
                    assertThat(d.hasStatus()).isTrue();
                    assertThat(d.status()).isZero();
                    assertThat(got).isEqualTo(len);
                    return out;
                }
            } finally {
                d.release();
            }
        }
    }
}
