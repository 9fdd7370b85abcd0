package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.CodecHarness.decode;
import static io.rbdgw.iscsi.pdu.CodecHarness.decoder;
import static io.rbdgw.iscsi.pdu.CodecHarness.encode;
import static io.rbdgw.iscsi.pdu.CodecHarness.releaseAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded randomized fuzzing of the decoder: random and mutated valid byte streams, fed in random chunks. Checks
 * that nothing is thrown, only PDUs and InvalidPdus come out, every decoded PDU can be encoded again, and every
 * buffer is released. {@code -Dfuzz.iterations=N} runs longer, {@code -Dfuzz.seed=S} replays another seed.
 */
class IscsiPduFuzzTest {
    private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 20_000);
    private static final long SEED = Long.getLong("fuzz.seed", 0x15C5_1L);
    private static final int[] MAX_DATA = {0, 16, 64, 8192};

    /** Valid streams indexed by [targetSide][headerDigest][dataDigest]. */
    private static List<byte[]>[][][] corpus(Random r) {
        @SuppressWarnings("unchecked")
        List<byte[]>[][][] c = new List[2][2][2];
        TrackingAllocator alloc = new TrackingAllocator();
        for (int side = 0; side < 2; side++) {
            for (int hd = 0; hd < 2; hd++) {
                for (int dd = 0; dd < 2; dd++) {
                    c[side][hd][dd] = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        List<IscsiPdu> all = side == 1
                                ? PduSamples.initiator(r, r.nextInt(40))
                                : PduSamples.target(r, r.nextInt(40));
                        List<IscsiPdu> pick = new ArrayList<>();
                        for (int k = 1 + r.nextInt(3); k > 0; k--) {
                            pick.add(all.get(r.nextInt(all.size())));
                        }
                        c[side][hd][dd].add(encode(alloc, hd == 1, dd == 1, pick));
                        releaseAll(all);
                    }
                }
            }
        }
        alloc.assertAllReleased();
        return c;
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        for (int m = r.nextInt(4); m > 0 && b.length > 0; m--) {
            switch (r.nextInt(6)) {
                case 0: { // flip a bit
                    int i = r.nextInt(b.length);
                    b[i] ^= (byte) (1 << r.nextInt(8));
                    break;
                }
                case 1: // random byte
                    b[r.nextInt(b.length)] = (byte) r.nextInt();
                    break;
                case 2: // hit a length field of the first header: TotalAHSLength or DataSegmentLength
                    if (b.length > 7) {
                        b[4 + r.nextInt(4)] = (byte) r.nextInt();
                    }
                    break;
                case 3: // truncate
                    b = Arrays.copyOf(b, r.nextInt(b.length));
                    break;
                case 4: { // insert random bytes
                    int at = r.nextInt(b.length + 1);
                    byte[] ins = new byte[1 + r.nextInt(8)];
                    r.nextBytes(ins);
                    ByteArrayOutputStream o = new ByteArrayOutputStream();
                    o.write(b, 0, at);
                    o.writeBytes(ins);
                    o.write(b, at, b.length - at);
                    b = o.toByteArray();
                    break;
                }
                default: // change the opcode
                    b[0] = (byte) r.nextInt(64);
                    break;
            }
        }
        return b;
    }

    @Test
    void randomAndMutatedStreamsNeverThrowOrLeak() {
        Random r = new Random(SEED);
        List<byte[]>[][][] corpus = corpus(r);
        int pdus = 0;
        int invalid = 0;
        for (int it = 0; it < ITERATIONS; it++) {
            boolean targetSide = r.nextBoolean();
            boolean hd = r.nextBoolean();
            boolean dd = r.nextBoolean();
            byte[] input;
            if (r.nextInt(5) == 0) {
                input = new byte[r.nextInt(300)];
                r.nextBytes(input);
            } else {
                // usually the stream matches the decoder's digest settings, sometimes not
                boolean shd = r.nextInt(4) == 0 ? !hd : hd;
                boolean sdd = r.nextInt(4) == 0 ? !dd : dd;
                List<byte[]> streams = corpus[targetSide ? 1 : 0][shd ? 1 : 0][sdd ? 1 : 0];
                input = mutate(streams.get(r.nextInt(streams.size())), r);
            }
            TrackingAllocator alloc = new TrackingAllocator();
            int maxData = MAX_DATA[r.nextInt(MAX_DATA.length)];
            List<Object> out;
            try {
                out = decode(alloc, decoder(targetSide, maxData, hd, dd), input, r, 1 + r.nextInt(64));
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + it + " (seed " + SEED + ") threw", e);
            }
            for (Object o : out) {
                if (o instanceof InvalidPdu) {
                    invalid++;
                    if (((InvalidPdu) o).message().startsWith("internal")) {
                        throw new AssertionError("iteration " + it + ": " + o);
                    }
                } else {
                    pdus++;
                    IscsiPdu pdu = (IscsiPdu) o;
                    if (pdu.data().readableBytes() > maxData) {
                        throw new AssertionError("iteration " + it + ": data over the limit in " + o);
                    }
                    if (it % 16 == 0) {
                        encode(alloc, hd, dd, List.of(pdu)); // whatever decodes must encode
                    }
                }
            }
            releaseAll(out);
            alloc.assertAllReleased();
        }
        // the fuzzer must reach both outcomes to mean anything
        if (ITERATIONS < 1000) {
            return;
        }
        assertThat(pdus).isGreaterThan(ITERATIONS / 10);
        assertThat(invalid).isGreaterThan(ITERATIONS / 10);
    }
}
