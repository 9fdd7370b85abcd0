package io.rbdgw.iscsi.login;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test fixtures: a configurable login context and an initiator that speaks to a negotiator. */
final class TestLogin {
    static final String TARGET = "iqn.2024-01.io.rbdgw:disk1";
    static final String INITIATOR = "iqn.1994-05.com.redhat:client1";
    static final long ISID = 0x400001370000L;
    static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    private TestLogin() {}

    static final class Ctx implements LoginContext {
        final Map<String, LoginTarget> targets = new HashMap<>();
        ChapSecret discoveryChap;
        ChapSecret discoveryMutualChap;
        TargetParameters parameters = TargetParameters.defaults();
        final SecureRandom random;

        Ctx(long seed) {
            try {
                random = SecureRandom.getInstance("SHA1PRNG");
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
            random.setSeed(seed); // before first use: deterministic
        }

        Ctx target(LoginTarget t) {
            targets.put(t.name(), t);
            return this;
        }

        @Override
        public LoginTarget target(String name) {
            return targets.get(name);
        }

        @Override
        public ChapSecret discoveryChap() {
            return discoveryChap;
        }

        @Override
        public ChapSecret discoveryMutualChap() {
            return discoveryMutualChap;
        }

        @Override
        public TargetParameters parameters() {
            return parameters;
        }

        @Override
        public SecureRandom random() {
            return random;
        }
    }

    static LoginTarget openTarget() {
        return new LoginTarget(TARGET, "disk1", 7, null, null, name -> true);
    }

    static LoginTarget chapTarget(ChapSecret chap, ChapSecret mutual) {
        return new LoginTarget(TARGET, null, 1, chap, mutual, name -> true);
    }

    /** One response, decoded. */
    record Reply(LoginOutput out, Map<String, String> keys) {
        String get(String key) {
            return keys.get(key);
        }

        LoginStatus status() {
            return out.status();
        }
    }

    /** An initiator talking to one negotiator; every buffer is released before returning. */
    static final class Initiator {
        final LoginNegotiator negotiator;
        int versionMin = 0;
        int tsih = 0;

        Initiator(LoginContext ctx) {
            this.negotiator = new LoginNegotiator(ctx);
        }

        Reply send(int csg, boolean transit, int nsg, String... pairs) {
            return sendRaw(csg, transit, false, nsg, text(pairs));
        }

        /** Sends and releases the output without decoding it (a response part may end inside a key). */
        LoginOutput sendRawUnchecked(int csg, boolean transit, boolean cont, int nsg, byte[] data) {
            ByteBuf in = Unpooled.wrappedBuffer(data);
            LoginOutput out =
                    negotiator.step(new LoginInput(transit, cont, csg, nsg, 0, versionMin, ISID, tsih, 1, in), ALLOC);
            in.release();
            out.data().release();
            return out;
        }

        Reply sendRaw(int csg, boolean transit, boolean cont, int nsg, byte[] data) {
            ByteBuf in = Unpooled.wrappedBuffer(data);
            LoginOutput out =
                    negotiator.step(new LoginInput(transit, cont, csg, nsg, 0, versionMin, ISID, tsih, 1, in), ALLOC);
            try {
                if (in.refCnt() != 1) {
                    throw new AssertionError("negotiator changed the input's reference count");
                }
                Map<String, String> keys = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : TextKeys.parse(out.data())) {
                    keys.put(e.getKey(), e.getValue());
                }
                return new Reply(out, keys);
            } catch (TextFormatException e) {
                throw new AssertionError("target sent malformed text", e);
            } finally {
                in.release();
                out.data().release();
            }
        }
    }

    static byte[] text(String... pairs) {
        StringBuilder sb = new StringBuilder();
        for (String p : pairs) {
            sb.append(p).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static List<String> list(String... s) {
        return List.of(s);
    }
}
