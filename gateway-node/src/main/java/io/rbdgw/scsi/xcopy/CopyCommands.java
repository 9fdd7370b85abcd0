package io.rbdgw.scsi.xcopy;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ParameterLists;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiOpcodes;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.odx.TokenCommands;

/**
 * EXTENDED COPY (LID1, 0x83/00h) and RECEIVE COPY RESULTS (0x84: COPY STATUS 00h, OPERATING
 * PARAMETERS 03h), SPC-4 6.4 and 6.18: the copy manager of VMware's "full copy" (clone, Storage
 * vMotion). Copies go between block devices of this gateway named by their NAA designator.
 */
public final class CopyCommands {

    private CopyCommands() {}

    /** EXTENDED COPY (LID1). */
    public static void extendedCopy(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        byte[] p =
                ParameterLists.read(task, Cdbs.u32(cdb, 10), CopyLimits.HEADER + CopyLimits.MAX_DESCRIPTOR_LIST_LENGTH);
        if (p == null) {
            return;
        }
        int transfer = p.length;
        CopyRequest request;
        CopyPlan.Step[] steps;
        try {
            request = CopyRequest.parse(p, lu.luResolver(), task.nexus());
            steps = CopyPlan.plan(request, task.nexus());
            lu.copyResults().begin(task.nexus(), request);
        } catch (ScsiError e) {
            throw e.withTransferLength(transfer);
        }
        CopyResults results = lu.copyResults();
        ItNexus nexus = task.nexus();
        try {
            new CopyJob(
                            task,
                            steps,
                            transfer,
                            (ok, done, bytes) -> results.end(nexus, request, ok, done, bytes),
                            true,
                            lu.copyBuffers())
                    .start();
        } catch (RuntimeException e) {
            lu.copyResults().end(task.nexus(), request, false, 0, 0); // never started: do not leak the slot
            throw e;
        }
    }

    /** RECEIVE COPY RESULTS: COPY STATUS and OPERATING PARAMETERS. */
    public static void receiveCopyResults(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int sa = cdb[1] & 0x1f;
        long alloc = Cdbs.u32(cdb, 10);
        ByteBuf b;
        if (sa == ScsiOpcodes.SA_COPY_STATUS) {
            CopyResults.Status s = lu.copyResults().status(task.nexus(), Cdbs.u8(cdb, 2));
            if (s == null) {
                throw ScsiError.invalidCdb(2, -1); // no copy with this list identifier
            }
            b = copyStatus(task, s);
        } else {
            b = operatingParameters(task, lu.info().blockSize());
        }
        Completions.data(task, b, alloc);
    }

    private static ByteBuf copyStatus(ScsiTask task, CopyResults.Status s) {
        // TRANSFER COUNT in the smallest unit (bytes, KiB, MiB, ...) in which it fits 32 bits
        int units = 0;
        long count = s.bytes();
        while (count > 0xFFFF_FFFFL) {
            count >>>= 10;
            units++;
        }
        ByteBuf b = task.alloc().buffer(12);
        b.writeInt(8); // AVAILABLE DATA
        b.writeByte(s.state()); // HDD=0, COPY MANAGER STATUS
        b.writeShort(s.segments()); // SEGMENTS PROCESSED
        b.writeByte(units); // TRANSFER COUNT UNITS
        b.writeInt((int) count); // TRANSFER COUNT
        return b;
    }

    private static ByteBuf operatingParameters(ScsiTask task, int blockSize) {
        int[] codes = {CopyLimits.SEGMENT_BLOCK_TO_BLOCK, CopyLimits.TARGET_IDENTIFICATION};
        ByteBuf b = task.alloc().buffer(44 + codes.length);
        b.writeInt(40 + codes.length); // AVAILABLE DATA
        b.writeByte(0x01); // SNLID: LIST ID USAGE 11b supported
        b.writeZero(3);
        b.writeShort(CopyLimits.MAX_TARGET_DESCRIPTORS);
        b.writeShort(CopyLimits.MAX_SEGMENT_DESCRIPTORS);
        b.writeInt(CopyLimits.MAX_DESCRIPTOR_LIST_LENGTH);
        b.writeInt(CopyLimits.MAX_SEGMENT_BYTES);
        b.writeInt(0); // MAXIMUM INLINE DATA LENGTH
        b.writeInt(0); // HELD DATA LIMIT: no data is held
        b.writeInt(0); // MAXIMUM STREAM DEVICE TRANSFER SIZE
        b.writeShort(0);
        b.writeShort(CopyLimits.MAX_CONCURRENT_COPIES); // TOTAL CONCURRENT COPIES
        b.writeByte(CopyLimits.MAX_CONCURRENT_COPIES); // MAXIMUM CONCURRENT COPIES
        b.writeByte(Integer.numberOfTrailingZeros(blockSize)); // DATA SEGMENT GRANULARITY (log2)
        b.writeByte(0); // INLINE DATA GRANULARITY
        b.writeByte(0); // HELD DATA GRANULARITY
        b.writeZero(3);
        b.writeByte(codes.length); // IMPLEMENTED DESCRIPTOR LIST LENGTH
        for (int c : codes) {
            b.writeByte(c);
        }
        return b;
    }

    /**
     * The descriptors of the Third-party Copy VPD page (0x8F, SPC-4 7.8.17) after the page header:
     * supported commands, parameter data, supported descriptors, supported CSCD descriptor ids (none
     * of the special ones) and general copy operations; with ODX also the ROD token descriptors, all in type order.
     */
    public static void thirdPartyCopyPage(ByteBuf b, LogicalUnit lu) {
        boolean odx = lu.rodTokens() != null;
        // Supported Commands: EXTENDED COPY (00h), RECEIVE COPY RESULTS (00h, 03h); with ODX also POPULATE TOKEN
        // (10h), WRITE USING TOKEN (11h), RECEIVE ROD TOKEN INFORMATION (07h)
        byte[] commands = odx
                ? new byte[] {(byte) 0x83, 3, 0x00, 0x10, 0x11, (byte) 0x84, 3, 0x00, 0x03, 0x07}
                : new byte[] {(byte) 0x83, 1, 0x00, (byte) 0x84, 2, 0x00, 0x03};
        if (odx) {
            TokenCommands.rodTokenLimits(b, lu); // descriptors in ascending type order
        }
        descriptorHeader(b, 0x0001, padded(commands.length + 1));
        b.writeByte(commands.length).writeBytes(commands).writeZero(pad(commands.length + 1));
        // Parameter Data
        descriptorHeader(b, 0x0004, 0x1C);
        b.writeZero(4);
        b.writeShort(CopyLimits.MAX_TARGET_DESCRIPTORS);
        b.writeShort(CopyLimits.MAX_SEGMENT_DESCRIPTORS);
        b.writeInt(CopyLimits.MAX_DESCRIPTOR_LIST_LENGTH);
        b.writeInt(0); // MAXIMUM INLINE DATA LENGTH
        b.writeZero(12);
        // Supported Descriptors
        byte[] codes = {CopyLimits.SEGMENT_BLOCK_TO_BLOCK, (byte) CopyLimits.TARGET_IDENTIFICATION};
        descriptorHeader(b, 0x0008, padded(codes.length + 1));
        b.writeByte(codes.length).writeBytes(codes).writeZero(pad(codes.length + 1));
        // Supported CSCD Descriptor IDs: none besides list indexes
        descriptorHeader(b, 0x000C, padded(2));
        b.writeShort(0).writeZero(pad(2));
        if (odx) {
            TokenCommands.rodTokenFeatures(b);
        }
        // General Copy Operations
        descriptorHeader(b, 0x8001, 0x20);
        b.writeInt(CopyLimits.MAX_CONCURRENT_COPIES); // TOTAL CONCURRENT COPIES
        b.writeInt(CopyLimits.MAX_CONCURRENT_COPIES); // MAXIMUM IDENTIFIED CONCURRENT COPIES
        b.writeInt(CopyLimits.MAX_SEGMENT_BYTES); // MAXIMUM SEGMENT LENGTH
        b.writeByte(Integer.numberOfTrailingZeros(lu.info().blockSize())); // DATA SEGMENT GRANULARITY
        b.writeByte(0); // INLINE DATA GRANULARITY
        b.writeZero(18);
    }

    private static void descriptorHeader(ByteBuf b, int type, int length) {
        b.writeShort(type).writeShort(length);
    }

    private static int pad(int len) {
        return (4 - (len & 3)) & 3;
    }

    private static int padded(int len) {
        return len + pad(len);
    }
}
