package io.rbdgw.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.rbdgw.iscsi.login.TestLogin.Ctx;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random logins: key/value soup, random stage fields, random CHAP answers (some right).
 * No exception may escape, every response must be well formed, and no buffer may leak.
 * Iterations: -Dfuzz.iterations (default 5000); seed: -Dfuzz.seed.
 */
class LoginFuzzTest {
    private static final String[] KEYS = {
        "InitiatorName",
        "TargetName",
        "SessionType",
        "InitiatorAlias",
        "AuthMethod",
        "CHAP_A",
        "CHAP_I",
        "CHAP_C",
        "CHAP_N",
        "CHAP_R",
        "HeaderDigest",
        "DataDigest",
        "MaxConnections",
        "InitialR2T",
        "ImmediateData",
        "MaxRecvDataSegmentLength",
        "MaxBurstLength",
        "FirstBurstLength",
        "DefaultTime2Wait",
        "DefaultTime2Retain",
        "MaxOutstandingR2T",
        "DataPDUInOrder",
        "DataSequenceInOrder",
        "ErrorRecoveryLevel",
        "IFMarker",
        "OFMarker",
        "IFMarkInt",
        "OFMarkInt",
        "TargetAlias",
        "TargetPortalGroupTag",
        "TargetAddress",
        "SendTargets",
        "X-com.example.k",
        "X#k",
        "Unknown",
        "iSCSIProtocolLevel",
        "RDMAExtensions"
    };
    private static final String[] VALUES = {
        "",
        "Yes",
        "No",
        "None",
        "CHAP",
        "CHAP,None",
        "None,CHAP",
        "CRC32C",
        "CRC32C,None",
        "5",
        "7,5",
        "0",
        "1",
        "2",
        "3",
        "511",
        "512",
        "8192",
        "65536",
        "262144",
        "16777215",
        "16777216",
        "-1",
        "0x10",
        "0xffffffffffffffffff",
        "0b3q2+7w==",
        "0x",
        "Discovery",
        "Normal",
        "Reject",
        "Irrelevant",
        "NotUnderstood",
        TestLogin.TARGET,
        TestLogin.INITIATOR,
        "user1",
        "0xdeadbeef",
        "a,b,,c",
        "\u00e9\u00e8"
    };

    /** Counts every buffer the negotiator allocates, to prove they are all handed to the caller. */
    static final class TrackingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = new UnpooledHeapByteBuf(UnpooledByteBufAllocator.DEFAULT, initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @Test
    void randomLoginsNeverThrowAndAlwaysAnswerWellFormed() throws Exception {
        int iterations = Integer.getInteger("fuzz.iterations", 5000);
        long seed = Long.getLong("fuzz.seed", 0x15C5115C5L);
        Random rnd = new Random(seed);
        TrackingAllocator alloc = new TrackingAllocator();
        int completed = 0;
        int chapCompleted = 0;
        Map<String, Integer> statuses = new HashMap<>();
        for (int it = 0; it < iterations; it++) {
            Ctx ctx = new Ctx(rnd.nextLong());
            ChapSecret chap = rnd.nextBoolean() ? new ChapSecret("user1", "secretsecret1") : null;
            ctx.target(new LoginTarget(
                    TestLogin.TARGET,
                    rnd.nextBoolean() ? "alias" : null,
                    rnd.nextInt(65536),
                    chap,
                    rnd.nextBoolean() ? new ChapSecret("tgt", "targetsecret1") : null,
                    name -> !name.contains("deny")));
            if (rnd.nextInt(4) == 0) {
                ctx.discoveryChap = chap;
            }
            LoginNegotiator negotiator = new LoginNegotiator(ctx);
            String context = "seed " + seed + " iteration " + it;
            int stage = rnd.nextInt(5) == 0 ? rnd.nextInt(4) : rnd.nextInt(2);
            Map<String, String> lastAnswer = new HashMap<>();
            ByteArrayOutputStream responseText = new ByteArrayOutputStream();
            boolean first = true;
            for (int stepNo = 0; stepNo < 12; stepNo++) {
                byte[] data = randomText(rnd, first, lastAnswer);
                first = false;
                boolean cont = rnd.nextInt(8) == 0;
                boolean transit = rnd.nextInt(3) != 0;
                int csg = rnd.nextInt(12) == 0 ? rnd.nextInt(4) : stage;
                int nsg = rnd.nextInt(6) == 0 ? rnd.nextInt(4) : (csg == 0 ? 1 + 2 * rnd.nextInt(2) : 3);
                int versionMin = rnd.nextInt(40) == 0 ? 1 : 0;
                int tsih = rnd.nextInt(60) == 0 ? 9 : 0;
                ByteBuf in = Unpooled.wrappedBuffer(data);
                LoginOutput out = negotiator.step(
                        new LoginInput(transit, cont, csg, nsg, 0, versionMin, TestLogin.ISID, tsih, 1, in), alloc);
                assertThat(in.refCnt()).as(context).isEqualTo(1);
                in.release();
                assertThat(out).as(context).isNotNull();
                assertThat(out.data()).as(context).isNotNull();
                int status = out.statusClass() << 8 | out.statusDetail();
                statuses.merge(Integer.toHexString(status), 1, Integer::sum);
                byte[] bytes = new byte[out.data().readableBytes()];
                out.data().getBytes(out.data().readerIndex(), bytes);
                out.data().release();

                assertThat(out.csg()).as(context).isBetween(0, 1);
                if (status != 0) {
                    assertThat(out.statusClass())
                            .as(context + ": only initiator errors are expected")
                            .isEqualTo(2);
                    assertThat(out.closeConnection()).as(context).isTrue();
                    assertThat(out.transit() || out.cont() || out.complete())
                            .as(context)
                            .isFalse();
                    assertThat(bytes).as(context).isEmpty();
                    break;
                }
                assertThat(out.closeConnection()).as(context).isFalse();
                assertThat(bytes.length).as(context).isLessThanOrEqualTo(LoginNegotiator.MAX_RESPONSE_SEGMENT);
                if (out.cont()) {
                    assertThat(out.transit()).as(context).isFalse();
                }
                if (out.transit()) {
                    assertThat(out.nsg()).as(context).isIn(1, 3).isGreaterThan(out.csg());
                    assertThat(transit)
                            .as(context + ": transit only when asked")
                            .isTrue();
                }
                assertThat(out.complete()).as(context).isEqualTo(out.transit() && out.nsg() == 3);
                responseText.write(bytes);
                if (!out.cont()) {
                    byte[] text = responseText.toByteArray();
                    responseText.reset();
                    lastAnswer.clear();
                    for (Map.Entry<String, String> e : TextKeys.parse(text, 0, text.length)) {
                        lastAnswer.put(e.getKey(), e.getValue());
                    }
                }
                if (out.transit()) {
                    stage = out.nsg();
                }
                if (out.complete()) {
                    completed++;
                    NegotiatedSession s = negotiator.result();
                    assertThat(s.firstBurstLength()).as(context).isLessThanOrEqualTo(s.maxBurstLength());
                    assertThat(s.errorRecoveryLevel()).as(context).isZero();
                    assertThat(s.maxConnections()).as(context).isEqualTo(1);
                    if (!s.discovery() && chap != null) {
                        chapCompleted++;
                    }
                    break;
                }
            }
            for (ByteBuf b : alloc.allocated) {
                assertThat(b.refCnt()).as(context + ": leaked buffer").isZero();
            }
            alloc.allocated.clear();
        }
        System.out.printf(
                "login fuzz: %d iterations, %d completed (%d with CHAP), statuses %s%n",
                iterations, completed, chapCompleted, statuses);
        // the generator must reach deep enough to mean something
        assertThat(completed).as("completed logins, statuses " + statuses).isGreaterThan(iterations / 100);
        assertThat(chapCompleted)
                .as("completed CHAP logins, statuses " + statuses)
                .isGreaterThan(0);
    }

    private static byte[] randomText(Random rnd, boolean first, Map<String, String> lastAnswer) {
        if (rnd.nextInt(30) == 0) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            return junk;
        }
        StringBuilder sb = new StringBuilder();
        boolean scripted = true;
        if (first && rnd.nextInt(10) != 0) {
            sb.append("InitiatorName=")
                    .append(rnd.nextInt(20) == 0 ? "iqn.2026-11.test:deny" : TestLogin.INITIATOR)
                    .append('\0');
            if (rnd.nextInt(5) == 0) {
                sb.append("SessionType=Discovery\0");
            } else if (rnd.nextInt(10) != 0) {
                sb.append("TargetName=")
                        .append(rnd.nextInt(20) == 0 ? "iqn.nope" : TestLogin.TARGET)
                        .append('\0');
            }
            if (rnd.nextBoolean()) {
                sb.append("AuthMethod=")
                        .append(rnd.nextBoolean() ? "CHAP,None" : "None")
                        .append('\0');
            }
        } else if (lastAnswer.containsKey("CHAP_C") && rnd.nextInt(4) != 0) {
            byte[] challenge = Chap.decodeBinary(lastAnswer.get("CHAP_C"));
            int id = Integer.parseInt(lastAnswer.get("CHAP_I"));
            String secret = rnd.nextInt(5) == 0 ? "wrongsecret1" : "secretsecret1";
            sb.append("CHAP_N=user1\0CHAP_R=")
                    .append(Chap.toHex(Chap.response(id, secret, challenge)))
                    .append('\0');
            if (rnd.nextBoolean()) {
                sb.append("CHAP_I=9\0CHAP_C=0x0102030405060708\0");
            }
        } else if ("CHAP".equals(lastAnswer.get("AuthMethod")) && rnd.nextInt(4) != 0) {
            sb.append("CHAP_A=").append(rnd.nextInt(5) == 0 ? "7" : "7,5").append('\0');
        } else {
            scripted = false;
        }
        // fewer random keys alongside a scripted exchange, so that some logins get through
        int n = scripted && rnd.nextBoolean() ? 0 : rnd.nextInt(6);
        for (int k = 0; k < n; k++) {
            String key = rnd.nextInt(15) == 0 ? randomString(rnd, 1 + rnd.nextInt(70)) : KEYS[rnd.nextInt(KEYS.length)];
            String value =
                    rnd.nextInt(10) == 0 ? randomString(rnd, rnd.nextInt(20)) : VALUES[rnd.nextInt(VALUES.length)];
            sb.append(key);
            if (rnd.nextInt(40) != 0) {
                sb.append('=');
            }
            sb.append(value).append('\0');
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (rnd.nextInt(10) == 0 && text.length > 0) {
            text = java.util.Arrays.copyOf(text, text.length - 1); // no final NUL
        }
        return text;
    }

    private static String randomString(Random rnd, int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append((char) (rnd.nextInt(10) == 0 ? rnd.nextInt(0x300) : 0x21 + rnd.nextInt(0x5e)));
        }
        return sb.toString();
    }
}
