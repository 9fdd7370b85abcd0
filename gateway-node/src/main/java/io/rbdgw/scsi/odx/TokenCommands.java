package io.rbdgw.scsi.odx;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ParameterLists;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.xcopy.CopyJob;
import io.rbdgw.scsi.xcopy.CopyPlan;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Windows ODX: POPULATE TOKEN (0x83/10h) creates a ROD token for ranges of this unit, RECEIVE ROD TOKEN INFORMATION
 * (0x84/07h) hands it out, WRITE USING TOKEN (0x83/11h) copies the token's data into ranges of this unit (SBC-3 5.x,
 * SPC-4 6.x). The copy runs in the gateway like an EXTENDED COPY ({@link CopyJob}: one chunk in flight, every chunk
 * under the destination's write token, stopped by ABORT TASK / LUN RESET).
 *
 * <p>Tokens are of ROD type "access upon reference": the data is read when the token is used, not when it is
 * created (no point-in-time copy is taken). A token names its creator by NAA designator; WRITE USING TOKEN resolves
 * it through the nexus's LUN masking, so a token of a unit the nexus may not see is as invalid as an unknown one.
 * The token's meaning lives in the {@link RodTokenService} (ZooKeeper in a gateway), found by a 256-bit random
 * identifier inside the token, and a token used must equal the stored one byte for byte.
 *
 * <p>IMMED=1 (completing before the copy) is not supported: INVALID FIELD IN PARAMETER LIST. Windows sends IMMED=0.
 */
public final class TokenCommands {

    private static final Logger LOG = LoggerFactory.getLogger(TokenCommands.class);

    public static final int SA_POPULATE_TOKEN = 0x10;
    public static final int SA_WRITE_USING_TOKEN = 0x11;
    public static final int SA_RECEIVE_ROD_TOKEN_INFORMATION = 0x07;

    private static final byte[] READ16 = {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private TokenCommands() {}

    /** POPULATE TOKEN. */
    public static void populateToken(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        RodTokenService store = service(lu);
        long listId = Cdbs.u32(cdb, 6);
        byte[] p = parameterList(task, cdb);
        if (p == null) {
            return;
        }
        int transfer = p.length;
        try {
            int dataLength = header(p, OdxLimits.POPULATE_HEADER);
            if ((p[2] & 0x02) != 0 && Cdbs.u32(p, 8) != OdxLimits.ROD_TYPE_ACCESS_UPON_REFERENCE) {
                throw ScsiError.invalidParameter(8, -1); // RTV with a ROD type we do not create
            }
            long inactivity = Cdbs.u32(p, 4);
            if (inactivity > OdxLimits.MAX_INACTIVITY_SECONDS) {
                throw ScsiError.invalidParameter(4, -1);
            }
            int seconds = inactivity == 0 ? OdxLimits.DEFAULT_INACTIVITY_SECONDS : (int) inactivity;
            DeviceInfo info = lu.info();
            List<RodTokenService.Range> ranges = ranges(p, OdxLimits.POPULATE_HEADER - 2, dataLength, info);
            long blocks = 0;
            for (RodTokenService.Range r : ranges) {
                blocks += r.blocks();
            }
            if (blocks == 0) {
                throw ScsiError.invalidParameter(OdxLimits.POPULATE_HEADER + 8, -1);
            }
            ItNexus nexus = task.nexus();
            OdxResults results = lu.odxResults();
            results.begin(nexus, listId, SA_POPULATE_TOKEN);
            byte[] id = new byte[OdxLimits.ID_BYTES];
            RANDOM.nextBytes(id);
            byte[] token = token(lu, blocks * info.blockSize(), id);
            RodTokenService.Token t = new RodTokenService.Token(
                    HEX.formatHex(id), lu.identity().naaHex(), info.blockSize(), ranges, token, seconds);
            long represented = blocks;
            store.create(t).whenComplete((ok, err) -> {
                if (err == null) {
                    results.end(nexus, listId, OdxResults.COMPLETED, ScsiStatus.GOOD, null, represented, token);
                    task.complete(ScsiStatus.GOOD, null, null, transfer);
                    return;
                }
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof RodTokenService.TooManyTokens) {
                    LOG.warn("POPULATE TOKEN refused: {}", cause.getMessage());
                    fail(
                            task,
                            results,
                            nexus,
                            listId,
                            SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x55, 0x0D),
                            transfer);
                } else {
                    LOG.warn("POPULATE TOKEN: the token could not be stored (the host retries): {}", cause.toString());
                    results.end(nexus, listId, OdxResults.FAILED, ScsiStatus.BUSY, null, 0, null);
                    task.complete(ScsiStatus.BUSY, null, null, transfer);
                }
            });
        } catch (ScsiError e) {
            throw e.withTransferLength(transfer);
        }
    }

    /** WRITE USING TOKEN. */
    public static void writeUsingToken(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        RodTokenService store = service(lu);
        long listId = Cdbs.u32(cdb, 6);
        byte[] p = parameterList(task, cdb);
        if (p == null) {
            return;
        }
        int transfer = p.length;
        try {
            int dataLength = header(p, OdxLimits.WRITE_HEADER);
            boolean deleteToken = (p[2] & 0x02) != 0;
            long offsetIntoRod = Cdbs.u64(p, 8);
            byte[] token =
                    Arrays.copyOfRange(p, OdxLimits.TOKEN_OFFSET, OdxLimits.TOKEN_OFFSET + OdxLimits.TOKEN_BYTES);
            List<RodTokenService.Range> dst = ranges(p, OdxLimits.WRITE_HEADER - 2, dataLength, lu.info());
            ItNexus nexus = task.nexus();
            LogicalUnit src = creator(lu, nexus, token);
            String id = HEX.formatHex(token, OdxLimits.ID_OFFSET, OdxLimits.ID_OFFSET + OdxLimits.ID_BYTES);
            OdxResults results = lu.odxResults();
            results.begin(nexus, listId, SA_WRITE_USING_TOKEN);
            String srcKey = src.identity().naaHex();
            store.use(srcKey, id).whenComplete((lookup, err) -> {
                if (err != null) {
                    LOG.warn("WRITE USING TOKEN: the token could not be read (the host retries): {}", err.toString());
                    results.end(nexus, listId, OdxResults.FAILED, ScsiStatus.BUSY, null, 0, null);
                    task.complete(ScsiStatus.BUSY, null, null, transfer);
                    return;
                }
                try {
                    CopyPlan.Step[] steps = plan(lookup, token, src, lu, nexus, offsetIntoRod, dst);
                    long requested = 0;
                    for (RodTokenService.Range r : dst) {
                        requested += r.blocks();
                    }
                    long wanted = requested;
                    int bs = lu.info().blockSize();
                    new CopyJob(
                                    task,
                                    steps,
                                    transfer,
                                    (ok, done, bytes) -> {
                                        long blocks = bytes / bs;
                                        int state = !ok
                                                ? OdxResults.FAILED
                                                : blocks < wanted ? OdxResults.COMPLETED_PARTIAL : OdxResults.COMPLETED;
                                        results.end(
                                                nexus,
                                                listId,
                                                state,
                                                ok ? ScsiStatus.GOOD : ScsiStatus.CHECK_CONDITION,
                                                null,
                                                blocks,
                                                null);
                                        if (ok && deleteToken) {
                                            store.delete(srcKey, id);
                                        }
                                    },
                                    false,
                                    lu.copyBuffers())
                            .start();
                } catch (ScsiError e) {
                    if (e.sense() == null) {
                        results.end(nexus, listId, OdxResults.FAILED, e.status(), null, 0, null);
                        task.complete(e.status(), null, null, transfer);
                    } else {
                        fail(task, results, nexus, listId, e.sense(), transfer);
                    }
                } catch (RuntimeException e) {
                    LOG.error("WRITE USING TOKEN failed", e);
                    fail(task, results, nexus, listId, SenseData.fixed(SenseData.HARDWARE_ERROR, 0x44, 0x00), transfer);
                }
            });
        } catch (ScsiError e) {
            throw e.withTransferLength(transfer);
        }
    }

    /** RECEIVE ROD TOKEN INFORMATION. */
    public static void receiveRodTokenInformation(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        service(lu);
        long listId = Cdbs.u32(cdb, 2);
        long alloc = Cdbs.u32(cdb, 10);
        OdxResults.Result r = lu.odxResults().result(task.nexus(), listId);
        if (r == null) {
            throw ScsiError.invalidCdb(2, -1); // no command with this list identifier
        }
        int senseLength = r.sense() == null ? 0 : r.sense().length;
        int tokenPart = r.token() == null ? 4 : 4 + 2 + OdxLimits.TOKEN_BYTES;
        int total = 32 + senseLength + tokenPart;
        ByteBuf b = task.alloc().buffer(total);
        b.writeInt(total - 4); // AVAILABLE DATA
        b.writeByte(r.serviceAction()); // RESPONSE TO SERVICE ACTION
        b.writeByte(r.state()); // COPY OPERATION STATUS
        b.writeShort(0); // OPERATION COUNTER
        b.writeInt(0); // ESTIMATED STATUS UPDATE DELAY
        b.writeByte(r.status()); // EXTENDED COPY COMPLETION STATUS
        b.writeByte(senseLength); // LENGTH OF THE SENSE DATA FIELD
        b.writeByte(senseLength); // SENSE DATA LENGTH
        b.writeByte(0xF1); // TRANSFER COUNT UNITS: logical blocks
        b.writeLong(r.blocks()); // TRANSFER COUNT
        b.writeShort(0); // SEGMENTS PROCESSED
        b.writeZero(6);
        if (senseLength > 0) {
            b.writeBytes(r.sense());
        }
        if (r.token() == null) {
            b.writeInt(0); // ROD TOKEN DESCRIPTORS LENGTH
        } else {
            b.writeInt(2 + OdxLimits.TOKEN_BYTES);
            b.writeZero(2);
            b.writeBytes(r.token());
        }
        Completions.data(task, b, alloc);
    }

    /** The Block Device ROD Token Limits descriptor (0000h) of the Third-party Copy VPD page. */
    public static void rodTokenLimits(ByteBuf b, LogicalUnit lu) {
        int bs = lu.info().blockSize();
        b.writeShort(0x0000).writeShort(0x20); // Block Device ROD Token Limits
        b.writeZero(6);
        b.writeShort(OdxLimits.MAX_RANGE_DESCRIPTORS);
        b.writeInt(OdxLimits.MAX_INACTIVITY_SECONDS);
        b.writeInt(OdxLimits.DEFAULT_INACTIVITY_SECONDS);
        b.writeLong(OdxLimits.MAX_TOKEN_BYTES / bs); // MAXIMUM TOKEN TRANSFER SIZE
        b.writeLong(OdxLimits.OPTIMAL_TRANSFER_BYTES / bs); // OPTIMAL TRANSFER COUNT
    }

    /** The ROD Token Features (0106h) and Supported ROD Types (0108h) descriptors of the Third-party Copy VPD page. */
    public static void rodTokenFeatures(ByteBuf b) {
        b.writeShort(0x0106).writeShort(0x2C); // ROD Token Features
        b.writeByte(0); // REMOTE TOKENS: none from other copy managers
        b.writeZero(11);
        b.writeInt(1); // MINIMUM TOKEN LIFETIME
        b.writeInt(OdxLimits.MAX_LIFETIME_SECONDS); // MAXIMUM TOKEN LIFETIME
        b.writeInt(OdxLimits.MAX_INACTIVITY_SECONDS); // MAXIMUM TOKEN INACTIVITY TIMEOUT
        b.writeZero(18);
        b.writeShort(0); // no device type specific features descriptors
        b.writeShort(0x0108).writeShort(0x0C); // Supported ROD Types
        b.writeZero(2);
        b.writeShort(8); // ROD TYPE DESCRIPTORS LENGTH
        b.writeInt(OdxLimits.ROD_TYPE_ACCESS_UPON_REFERENCE);
        b.writeByte(0x03); // TOKEN_IN, TOKEN_OUT (not usable by EXTENDED COPY LID4: ECPY_INT 0)
        b.writeByte(0);
        b.writeShort(0); // PREFERENCE INDICATION
    }

    private static RodTokenService service(LogicalUnit lu) {
        RodTokenService s = lu.rodTokens();
        if (s == null) {
            throw ScsiError.invalidCdb(1, 4); // no token store on this unit: the service action is not supported
        }
        return s;
    }

    /** The parameter list, or null when there is none (length 0: not an error, nothing happens). */
    private static byte[] parameterList(ScsiTask task, byte[] cdb) {
        return ParameterLists.read(task, Cdbs.u32(cdb, 10), OdxLimits.MAX_PARAMETER_LIST);
    }

    /**
     * Checks the list's header (SBC-3 6.3.2, 6.5.2): at least {@code header} bytes and as long as its PARAMETER DATA
     * LENGTH says; IMMED is not supported. Returns the PARAMETER DATA LENGTH.
     */
    private static int header(byte[] p, int header) {
        if (p.length < header) {
            throw ScsiError.parameterListLength();
        }
        int dataLength = Cdbs.u16(p, 0);
        if (dataLength + 2 > p.length) {
            throw ScsiError.parameterListLength(); // the list was cut short of what it says it holds
        }
        if (dataLength + 2 < header) {
            throw ScsiError.invalidParameter(0, -1);
        }
        if ((p[2] & 0x01) != 0) {
            throw ScsiError.invalidParameter(2, 0); // IMMED: not supported
        }
        return dataLength;
    }

    /**
     * The block device range descriptors: their length at {@code at}, the descriptors after it; each within the
     * unit's capacity.
     */
    private static List<RodTokenService.Range> ranges(byte[] p, int at, int dataLength, DeviceInfo info) {
        int length = Cdbs.u16(p, at);
        int first = at + 2;
        if (length == 0 || length % 16 != 0) {
            throw ScsiError.invalidParameter(at, -1);
        }
        if (length / 16 > OdxLimits.MAX_RANGE_DESCRIPTORS) {
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x26, 0x08); // TOO MANY SEGMENT DESCRIPTORS
        }
        if (first + length > p.length) {
            throw ScsiError.parameterListLength();
        }
        if (first + length > dataLength + 2) {
            throw ScsiError.invalidParameter(0, -1);
        }
        List<RodTokenService.Range> out = new ArrayList<>(length / 16);
        long total = 0;
        long capacity = info.blockCount();
        for (int d = first; d < first + length; d += 16) {
            long lba = Cdbs.u64(p, d);
            long blocks = Cdbs.u32(p, d + 8);
            if (lba < 0 || lba > capacity || blocks > capacity - lba) {
                throw ScsiError.lbaOutOfRange();
            }
            total += blocks;
            if (total * info.blockSize() > OdxLimits.MAX_TOKEN_BYTES) {
                throw ScsiError.invalidParameter(d + 8, -1); // beyond MAXIMUM TOKEN TRANSFER SIZE
            }
            out.add(new RodTokenService.Range(lba, blocks));
        }
        return out;
    }

    /** A new token of {@code lu} representing {@code bytes}, identified by {@code id}. */
    static byte[] token(LogicalUnit lu, long bytes, byte[] id) {
        byte[] t = new byte[OdxLimits.TOKEN_BYTES];
        put32(t, 0, OdxLimits.ROD_TYPE_ACCESS_UPON_REFERENCE); // ROD TYPE
        t[6] = (byte) (OdxLimits.TOKEN_LENGTH_FIELD >>> 8); // ROD TOKEN LENGTH
        t[7] = (byte) OdxLimits.TOKEN_LENGTH_FIELD;
        System.arraycopy(id, 0, t, 8, 8); // COPY MANAGER ROD TOKEN IDENTIFIER
        // CREATOR LOGICAL UNIT DESCRIPTOR: an identification CSCD descriptor (0xE4) with the NAA designator
        t[16] = (byte) 0xE4;
        t[20] = 0x01; // binary
        t[21] = 0x03; // logical unit, NAA
        t[23] = 16;
        System.arraycopy(lu.identity().naaDesignator(), 0, t, 24, 16);
        int bs = lu.info().blockSize();
        t[45] = (byte) (bs >>> 16);
        t[46] = (byte) (bs >>> 8);
        t[47] = (byte) bs;
        for (int i = 0; i < 8; i++) { // NUMBER OF BYTES REPRESENTED (16 bytes; the high 8 are zero)
            t[56 + i] = (byte) (bytes >>> (56 - 8 * i));
        }
        System.arraycopy(id, 0, t, OdxLimits.ID_OFFSET, OdxLimits.ID_BYTES);
        return t;
    }

    /**
     * The logical unit that created {@code token}, as {@code nexus} sees it: 23/01 for another ROD type, 23/0A for a
     * wrong token length, 23/05 for a malformed creator descriptor, 23/04 when no unit the nexus may see has the
     * designator (unknown, or masked: the same answer).
     */
    private static LogicalUnit creator(LogicalUnit lu, ItNexus nexus, byte[] token) {
        if (Cdbs.u32(token, 0) != OdxLimits.ROD_TYPE_ACCESS_UPON_REFERENCE) {
            throw invalidToken(0x01);
        }
        if (Cdbs.u16(token, 6) != OdxLimits.TOKEN_LENGTH_FIELD) {
            throw invalidToken(0x0A);
        }
        if ((token[16] & 0xff) != 0xE4 || (token[20] & 0x0f) != 1 || (token[21] & 0x3f) != 3 || token[23] != 16) {
            throw invalidToken(0x05);
        }
        LogicalUnit src = lu.luResolver().byNaa(nexus, Cdbs.u64(token, 24), Cdbs.u64(token, 32));
        if (src == null) {
            throw invalidToken(0x04);
        }
        return src;
    }

    /** The copy steps, once the token is known valid; throws the CHECK CONDITION that refuses it. */
    private static CopyPlan.Step[] plan(
            RodTokenService.Lookup lookup,
            byte[] token,
            LogicalUnit src,
            LogicalUnit dst,
            ItNexus nexus,
            long offsetIntoRod,
            List<RodTokenService.Range> dstRanges) {
        switch (lookup.result()) {
            case UNKNOWN -> throw invalidToken(0x04);
            case EXPIRED -> throw invalidToken(0x07);
            default -> {}
        }
        RodTokenService.Token t = lookup.token();
        if (!Arrays.equals(t.bytes(), token)) {
            throw invalidToken(0x05); // same identifier, other bytes: altered
        }
        int bs = dst.info().blockSize();
        if (t.blockSize() != bs || src.info().blockSize() != bs) {
            throw invalidToken(0x00); // the creator's block length changed or differs: cannot map blocks
        }
        if (dst.softwareWriteProtected()) {
            throw ScsiError.check(SenseData.DATA_PROTECT, 0x27, 0x02);
        }
        if (!src.reservations().permits(nexus, READ16)) {
            throw new ScsiError(ScsiStatus.RESERVATION_CONFLICT, null);
        }
        if (offsetIntoRod >= t.blocks()) {
            throw ScsiError.invalidParameter(8, -1); // OFFSET INTO ROD beyond the token's data
        }
        List<CopyPlan.Step> steps = new ArrayList<>();
        // walk the ROD (the token's ranges in order) from the offset, filling the destination ranges in order
        int si = 0;
        long skip = offsetIntoRod;
        while (si < t.ranges().size() && skip >= t.ranges().get(si).blocks()) {
            skip -= t.ranges().get(si).blocks();
            si++;
        }
        long srcPos = skip;
        for (RodTokenService.Range d : dstRanges) {
            long dstPos = 0;
            while (dstPos < d.blocks() && si < t.ranges().size()) {
                RodTokenService.Range s = t.ranges().get(si);
                long n = Math.min(d.blocks() - dstPos, s.blocks() - srcPos);
                if (n > 0) {
                    long from = (s.lba() + srcPos) * bs;
                    long to = (d.lba() + dstPos) * bs;
                    long bytes = n * bs;
                    boolean backwards = src == dst && to > from && to < from + bytes;
                    steps.add(new CopyPlan.Step(src, dst, from, to, bytes, backwards));
                }
                dstPos += n;
                srcPos += n;
                if (srcPos == s.blocks()) {
                    si++;
                    srcPos = 0;
                }
            }
        }
        return steps.toArray(CopyPlan.Step[]::new);
    }

    private static ScsiError invalidToken(int ascq) {
        return ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x23, ascq); // INVALID TOKEN OPERATION, ...
    }

    private static void fail(
            ScsiTask task, OdxResults results, ItNexus nexus, long listId, byte[] sense, int transferLength) {
        results.end(nexus, listId, OdxResults.FAILED, ScsiStatus.CHECK_CONDITION, sense, 0, null);
        task.complete(ScsiStatus.CHECK_CONDITION, null, sense, transferLength);
    }

    private static void put32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
