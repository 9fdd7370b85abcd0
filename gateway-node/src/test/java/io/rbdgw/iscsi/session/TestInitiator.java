package io.rbdgw.iscsi.session;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
import io.rbdgw.iscsi.pdu.IscsiPdu;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import io.rbdgw.iscsi.pdu.LoginRequest;
import io.rbdgw.iscsi.pdu.LoginResponse;
import io.rbdgw.iscsi.pdu.ScsiCommand;

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
        channel = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(decoder, encoder, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (answerPings && msg instanceof io.rbdgw.iscsi.pdu.NopIn ping && ping.itt() == -1) {
                                    ctx.writeAndFlush(new io.rbdgw.iscsi.pdu.NopOut(true, 0, -1, ping.ttt(), cmdSN,
                                            expStatSN, Unpooled.EMPTY_BUFFER));
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
                }).connect(target).sync().channel();
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

    public void send(IscsiPdu pdu) {
        channel.writeAndFlush(pdu).syncUninterruptibly();
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
        send(new LoginRequest(true, false, 1, 3, 0, 0, isid, 0, itt++, 0, cmdSN, 0, text(keys)));
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

    public static Map<String, String> normalKeys(String initiator, String target) {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("InitiatorName", initiator);
        k.put("SessionType", "Normal");
        k.put("TargetName", target);
        return k;
    }

    /** A SCSI command with the next ITT and CmdSN (non-immediate). */
    public ScsiCommand command(byte[] cdb, boolean read, boolean write, int edtl, ByteBuf immediate, boolean finalFlag) {
        byte[] full = java.util.Arrays.copyOf(cdb, Math.max(16, cdb.length));
        return new ScsiCommand(false, finalFlag, read, write, 1, 0, itt++, edtl, cmdSN++, expStatSN, full,
                immediate == null ? Unpooled.EMPTY_BUFFER : immediate);
    }

    /** An immediate task management request with the next ITT (LUN in the 8-byte field's flat form). */
    public io.rbdgw.iscsi.pdu.TaskManagementRequest taskManagement(int function, long lunField, int referencedTaskTag,
                                                                   int refCmdSN) {
        return new io.rbdgw.iscsi.pdu.TaskManagementRequest(true, function, lunField, itt++, referencedTaskTag, cmdSN,
                expStatSN, refCmdSN, 0);
    }

    /** Uses another ISID for the next login (a second session of the same initiator to the same target). */
    public TestInitiator isid(long isid) {
        this.isid = isid;
        return this;
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
}
