package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.PduCodec.BHS_LENGTH;
import static io.rbdgw.iscsi.pdu.PduCodec.pad4;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decodes iSCSI PDUs (RFC 7143 section 11) into {@link IscsiPdu} records, and input it cannot accept into
 * {@link InvalidPdu}: no exception leaves this handler for malformed input.
 *
 * <p>States: HEADER waits for the BHS, AHS and header digest, checks the digest and validates the lengths and
 * opcode before anything else is read; DATA waits for the data segment, padding and data digest and emits the PDU
 * with its data (slices of the socket reads it lies in, or a copy: see {@link #MAX_PIN_FACTOR}); SKIP drops the
 * data of a rejected PDU as it arrives, without buffering it; DISCARD drops everything after a fatal error.
 *
 * <p>Emits at most one message per {@code decode} call, so a handler that changes the digest settings while
 * processing a PDU (e.g. the last Login Response) affects the very next PDU. Not sharable; setters must be called
 * from the channel's event loop.
 */
public class IscsiPduDecoder extends ByteToMessageDecoder {
    private static final int NO_ITT = 0xFFFFFFFF;

    /**
     * A data segment is handed on as slices of the socket reads it lies in only if it fills at least this
     * share (1/N) of their capacity; a smaller one is copied out. A slice keeps its whole read buffer alive
     * until the device completes, and the write budget counts data bytes, not buffers: without the copy, a
     * 4 KiB write in a 1 MiB read would hold 256 times what it is charged. With it, what a connection pins
     * is at most this factor times the write data it is charged for.
     */
    static final int MAX_PIN_FACTOR = 8;

    /**
     * The reads this decoder keeps alive through slices it handed on, in arrival order, each held by one more
     * reference of the decoder's own (taken and given back the way the data slices do, so that Netty's leak
     * detector sees the same releases): a read whose count is back to that one reference has no slice left, and is
     * released and given back to the budget. Null while no budget bounds them (a test client).
     */
    private ByteBuf[] pinnedReads;

    private int pinHead;
    private int pinCount;
    /** The pinned reads' capacity, in bytes. */
    private long pinnedBytes;

    private long maxPinnedBytes;
    private ReadPinBudget pinBudget;

    private enum State {
        HEADER,
        DATA,
        SKIP,
        DISCARD
    }

    private final boolean targetSide;
    private int maxDataSegmentLength;
    private boolean headerDigest;
    private boolean dataDigest;

    private State state = State.HEADER;
    // the PDU in progress; set in HEADER, used in DATA
    private int headerLength; // BHS + AHS + header digest
    private int dataSegmentLength; // without padding
    private int dataLength; // padded data segment + data digest
    private boolean pduDataDigest; // data digest setting when the header was read
    private int skipRemaining;

    /**
     * @param targetSide true to accept only initiator opcodes (a target), false to accept only target opcodes
     *     (an initiator, e.g. a test client)
     * @param maxDataSegmentLength the largest data segment accepted (MaxRecvDataSegmentLength, or the login limit)
     */
    public IscsiPduDecoder(boolean targetSide, int maxDataSegmentLength) {
        this.targetSide = targetSide;
        setMaxDataSegmentLength(maxDataSegmentLength);
        // A data segment of up to 16 MiB arrives in many socket reads; the merging cumulator would copy
        // each read into one buffer (and again whenever an emitted slice pins it). The composite one
        // keeps the reads as they are, and the data slices handed on point into them.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /**
     * Bounds the socket reads this connection's data slices keep alive: at most {@code maxPerConnection} bytes of
     * them, and what {@code budget} gives (shared by all connections). Past either, data segments are copied into
     * buffers of their own size, so that the memory a hostile initiator can make the gateway hold stays within the
     * write budget plus these bounds whatever it sends around its data. {@link #MAX_PIN_FACTOR} still applies.
     */
    public void boundPins(ReadPinBudget budget, long maxPerConnection) {
        if (maxPerConnection < 1) {
            throw new IllegalArgumentException("maxPerConnection must be positive: " + maxPerConnection);
        }
        this.pinBudget = budget;
        this.maxPinnedBytes = maxPerConnection;
        if (pinnedReads == null) {
            pinnedReads = new ByteBuf[16];
        }
    }

    /** Bytes of socket reads kept alive by this connection's data slices, as of the last reclaim (tests). */
    public long pinnedReadBytes() {
        return pinnedBytes;
    }

    public void setHeaderDigest(boolean on) {
        headerDigest = on;
    }

    public void setDataDigest(boolean on) {
        dataDigest = on;
    }

    public void setMaxDataSegmentLength(int n) {
        if (n < 0 || n > 0xFFFFFF) {
            throw new IllegalArgumentException("maxDataSegmentLength out of range: " + n);
        }
        maxDataSegmentLength = n;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        reclaimPins();
        super.channelRead(ctx, msg);
        // writes a device completed while the read was decoded (memory and file disks) gave back their slices
        // before the cumulation let go of the read
        reclaimPins();
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        // the slices still out keep their reads alive by themselves; only the decoder's own references go
        while (pinCount > 0) {
            unpinHead();
        }
    }

    /**
     * Releases the reads at the head of the pinned list that no slice holds any more. From the head only, so it
     * stays cheap per read and per completed write; {@link #compactPins} looks further when the bound is reached.
     */
    public void reclaimPins() {
        while (pinCount > 0 && pinnedReads[pinHead].refCnt() == 1) {
            unpinHead();
        }
    }

    private void unpinHead() {
        ByteBuf read = pinnedReads[pinHead];
        pinnedReads[pinHead] = null;
        pinHead = (pinHead + 1) & (pinnedReads.length - 1);
        pinCount--;
        unpin(read);
    }

    /** Releases every pinned read no slice holds any more, wherever it is in the list (order kept). */
    private void compactPins() {
        int mask = pinnedReads.length - 1;
        int kept = 0;
        for (int i = 0; i < pinCount; i++) {
            int at = (pinHead + i) & mask;
            ByteBuf read = pinnedReads[at];
            pinnedReads[at] = null;
            if (read.refCnt() == 1) {
                unpin(read);
            } else {
                pinnedReads[(pinHead + kept++) & mask] = read;
            }
        }
        pinCount = kept;
    }

    private void unpin(ByteBuf read) {
        int capacity = rootOf(read).capacity();
        read.release();
        pinnedBytes -= capacity;
        pinBudget.unpin(capacity);
    }

    /**
     * Pins the reads of {@code parts} (slices of the cumulation's reads), or {@code single} (the cumulation, one
     * read), not pinned yet: false, with nothing pinned, when that would go over this connection's bound or the
     * shared budget. Only the first of them can be pinned already, as the newest pinned read: a segment sliced
     * before this one ended at the latest in this one's first read.
     */
    private boolean pin(List<ByteBuf> parts, ByteBuf single) {
        if (pinBudget == null) {
            return true;
        }
        int n = parts != null ? parts.size() : 1;
        ByteBuf newest = pinCount > 0 ? pinnedReads[(pinHead + pinCount - 1) & (pinnedReads.length - 1)] : null;
        int from = newest != null && rootOf(newest) == rootOf(parts != null ? parts.get(0) : single) ? 1 : 0;
        long extra = 0;
        for (int i = from; i < n; i++) {
            extra += rootOf(parts != null ? parts.get(i) : single).capacity();
        }
        if (extra == 0) {
            return true;
        }
        if (pinnedBytes + extra > maxPinnedBytes) {
            compactPins();
            if (pinnedBytes + extra > maxPinnedBytes) {
                return false;
            }
        }
        if (!pinBudget.tryPin(extra)) {
            return false;
        }
        pinnedBytes += extra;
        for (int i = from; i < n; i++) {
            // a slice of the part shares the read's count as the data slices do; the cumulation itself is the read
            addPinned(parts != null ? parts.get(i).slice(0, 0).retain() : single.retain());
        }
        return true;
    }

    private void addPinned(ByteBuf read) {
        if (pinCount == pinnedReads.length) {
            ByteBuf[] grown = new ByteBuf[pinnedReads.length * 2];
            for (int i = 0; i < pinCount; i++) {
                grown[i] = pinnedReads[(pinHead + i) & (pinnedReads.length - 1)];
            }
            pinnedReads = grown;
            pinHead = 0;
        }
        pinnedReads[(pinHead + pinCount) & (pinnedReads.length - 1)] = read;
        pinCount++;
    }

    /** The buffer a slice or wrapper lies in, all the way down: the socket read's memory. */
    private static ByteBuf rootOf(ByteBuf b) {
        for (ByteBuf u = b.unwrap(); u != null; u = u.unwrap()) {
            b = u;
        }
        return b;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            switch (state) {
                case HEADER:
                    decodeHeader(ctx, in, out);
                    break;
                case DATA:
                    decodeData(ctx, in, out);
                    break;
                case SKIP:
                    skip(in);
                    break;
                default:
                    in.skipBytes(in.readableBytes());
                    break;
            }
        } catch (RuntimeException e) {
            // A bug, not bad input: still never let it escape; the stream position is unknown now.
            state = State.DISCARD;
            in.skipBytes(in.readableBytes());
            out.add(new InvalidPdu(
                    RejectReason.PROTOCOL_ERROR, Unpooled.EMPTY_BUFFER, NO_ITT, true, "internal decoder error: " + e));
        }
    }

    private void decodeHeader(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < BHS_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int ahsBytes = PduCodec.totalAhsBytes(in, start);
        int dsl = PduCodec.dataSegmentLength(in, start);
        int hdrLen = BHS_LENGTH + ahsBytes + (headerDigest ? 4 : 0);
        if (in.readableBytes() < hdrLen) {
            return; // at most 48 + 1020 + 4 bytes: safe to wait for
        }
        if (headerDigest) {
            int expected = in.getIntLE(start + BHS_LENGTH + ahsBytes);
            if (Crc32c.compute(in, start, BHS_LENGTH + ahsBytes) != expected) {
                // the lengths cannot be trusted: no way to find the next PDU
                out.add(invalid(ctx, in, start, RejectReason.PROTOCOL_ERROR, true, "header digest mismatch"));
                state = State.DISCARD;
                in.skipBytes(in.readableBytes());
                return;
            }
        }
        headerLength = hdrLen;
        dataSegmentLength = dsl;
        pduDataDigest = dataDigest;
        dataLength = dsl == 0 ? 0 : pad4(dsl) + (pduDataDigest ? 4 : 0);

        int opcode = PduCodec.opcode(in, start);
        int reason;
        String message;
        if (targetSide ? !Opcodes.isInitiatorOpcode(opcode) : !Opcodes.isTargetOpcode(opcode)) {
            reason = RejectReason.COMMAND_NOT_SUPPORTED;
            message = "unexpected opcode 0x" + Integer.toHexString(opcode);
        } else if (dsl > maxDataSegmentLength) {
            reason = RejectReason.PROTOCOL_ERROR;
            message = "DataSegmentLength " + dsl + " exceeds " + maxDataSegmentLength;
        } else if (dsl > 0 && !Opcodes.mayCarryData(opcode)) {
            reason = RejectReason.PROTOCOL_ERROR;
            message = "data segment on opcode 0x" + Integer.toHexString(opcode);
        } else if (ahsBytes > 0 && opcode != Opcodes.SCSI_COMMAND) {
            reason = RejectReason.INVALID_PDU_FIELD;
            message = "AHS on opcode 0x" + Integer.toHexString(opcode);
        } else {
            reason = 0;
            message = ahsBytes > 0 ? checkScsiCommandAhs(in, start + BHS_LENGTH, ahsBytes) : null;
            if (message != null) {
                reason = message.startsWith("bidirectional")
                        ? RejectReason.COMMAND_NOT_SUPPORTED
                        : RejectReason.INVALID_PDU_FIELD;
            }
        }
        if (message != null) {
            out.add(invalid(ctx, in, start, reason, false, message));
            in.skipBytes(hdrLen);
            skipRemaining = dataLength;
            state = skipRemaining > 0 ? State.SKIP : State.HEADER;
            return;
        }
        state = State.DATA;
        decodeData(ctx, in, out);
    }

    /** Returns null if the AHS chain of a SCSI Command is acceptable, else why not. */
    private static String checkScsiCommandAhs(ByteBuf in, int pos, int length) {
        int end = pos + length;
        boolean extendedCdb = false;
        while (pos < end) {
            int ahsLength = in.getUnsignedShort(pos);
            int type = in.getUnsignedByte(pos + 2);
            int size = pad4(3 + ahsLength);
            if (size > end - pos) {
                return "AHS overruns TotalAHSLength";
            }
            if (type == PduCodec.AHS_TYPE_EXTENDED_CDB) {
                if (extendedCdb || ahsLength < 2) {
                    return "bad Extended CDB AHS";
                }
                extendedCdb = true;
            } else if (type == PduCodec.AHS_TYPE_BIDI_READ_LENGTH) {
                return "bidirectional commands are not supported";
            } else {
                return "unknown AHS type " + type;
            }
            pos += size;
        }
        return null;
    }

    private void decodeData(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < headerLength + dataLength) {
            return;
        }
        int start = in.readerIndex();
        int dataStart = start + headerLength;
        state = State.HEADER;
        if (pduDataDigest && dataSegmentLength > 0) {
            int padded = pad4(dataSegmentLength);
            if (Crc32c.compute(in, dataStart, padded) != in.getIntLE(dataStart + padded)) {
                out.add(invalid(ctx, in, start, RejectReason.DATA_DIGEST_ERROR, false, "data digest mismatch"));
                in.skipBytes(headerLength + dataLength);
                return;
            }
        }
        ByteBuf data = dataSegmentLength == 0 ? Unpooled.EMPTY_BUFFER : dataOf(ctx, in, dataStart, dataSegmentLength);
        IscsiPdu pdu;
        try {
            pdu = PduCodec.decode(in, start, data);
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        in.skipBytes(headerLength + dataLength);
        out.add(pdu);
    }

    /**
     * The data segment at {@code index}: retained slices of the socket reads it lies in (one slice, or a
     * composite of them), so that it keeps alive only those reads and not the whole cumulation, which also
     * holds reads already consumed and the start of the next PDUs; or a copy, if it is small next to them or if
     * pinning those reads would go over the bounds set by {@link #boundPins}.
     */
    private ByteBuf dataOf(ChannelHandlerContext ctx, ByteBuf in, int index, int length) {
        if (!(in instanceof CompositeByteBuf cumulation)) {
            return (long) length * MAX_PIN_FACTOR < in.capacity() || !pin(null, in)
                    ? copyOf(ctx, in, index, length)
                    : in.retainedSlice(index, length);
        }
        List<ByteBuf> parts = cumulation.decompose(index, length);
        long spanned = 0;
        for (ByteBuf part : parts) {
            spanned += rootOf(part).capacity();
        }
        if ((long) length * MAX_PIN_FACTOR < spanned || !pin(parts, null)) {
            return copyOf(ctx, in, index, length);
        }
        if (parts.size() == 1) {
            return parts.get(0).retain();
        }
        CompositeByteBuf data = ctx.alloc().compositeDirectBuffer(parts.size());
        for (ByteBuf part : parts) {
            data.addComponent(true, part.retain());
        }
        return data;
    }

    private static ByteBuf copyOf(ChannelHandlerContext ctx, ByteBuf in, int index, int length) {
        return ctx.alloc().directBuffer(length, length).writeBytes(in, index, length);
    }

    private void skip(ByteBuf in) {
        int n = Math.min(skipRemaining, in.readableBytes());
        in.skipBytes(n);
        skipRemaining -= n;
        if (skipRemaining == 0) {
            state = State.HEADER;
        }
    }

    private static InvalidPdu invalid(
            ChannelHandlerContext ctx, ByteBuf in, int start, int reason, boolean fatal, String message) {
        ByteBuf header = ctx.alloc().buffer(BHS_LENGTH).writeBytes(in, start, BHS_LENGTH);
        return new InvalidPdu(reason, header, PduCodec.itt(in, start), fatal, message);
    }
}
