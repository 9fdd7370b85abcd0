package io.rbdgw.scsi.xcopy;

import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuResolver;
import io.rbdgw.scsi.ScsiError;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed EXTENDED COPY (LID1) parameter list (SPC-4 6.4.3): header, identification target
 * descriptors and block-to-block segment descriptors. Parsing checks everything the list says about
 * itself and reports it as ILLEGAL REQUEST; whether the segments can be carried out is decided by
 * {@link CopyPlan}.
 *
 * @param listId      LIST IDENTIFIER
 * @param listIdUsage LIST ID USAGE: 00b hold the status, 10b do not, 11b the list id is not unique
 * @param targets     target descriptors, in list order (their index is the CSCD descriptor id)
 * @param segments    segment descriptors, in list order
 */
public record CopyRequest(int listId, int listIdUsage, List<Target> targets, List<Segment> segments) {

    public static final int HOLD = 0;
    public static final int NO_HOLD = 2;
    public static final int NOT_UNIQUE = 3;

    /**
     * One identification target descriptor.
     *
     * @param lu        the logical unit it names, or null when no unit of ours has the designator
     * @param nul       NUL: a null device, no data may go to or from it
     * @param blockSize DISK BLOCK LENGTH from the block device type specific parameters
     * @param offset    offset of the descriptor in the parameter list
     */
    public record Target(LogicalUnit lu, boolean nul, int blockSize, int offset) {}

    /**
     * One block device to block device segment descriptor.
     *
     * @param dc       DC: NUMBER OF BLOCKS counts destination (true) or source blocks
     * @param source   SOURCE CSCD DESCRIPTOR ID
     * @param dest     DESTINATION CSCD DESCRIPTOR ID
     * @param blocks   BLOCK DEVICE NUMBER OF BLOCKS
     * @param srcLba   SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param dstLba   DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param offset   offset of the descriptor in the parameter list
     */
    public record Segment(boolean dc, int source, int dest, int blocks, long srcLba, long dstLba, int offset) {}

    /**
     * Parses {@code p} (the whole parameter list, at least the header long); target descriptors are
     * resolved on behalf of {@code nexus} (only units it may see).
     */
    public static CopyRequest parse(byte[] p, LuResolver resolver, ItNexus nexus) {
        if (p.length < CopyLimits.HEADER) {
            throw ScsiError.parameterListLength();
        }
        int listId = Cdbs.u8(p, 0);
        int usage = (p[1] >> 3) & 0x03;
        if (usage == 1) {
            throw ScsiError.invalidParameter(1, 4);
        }
        if (usage == NOT_UNIQUE && listId != 0) {
            throw ScsiError.invalidParameter(0, -1);
        }
        int tdl = Cdbs.u16(p, 2);
        long sdl = Cdbs.u32(p, 8);
        long inline = Cdbs.u32(p, 12);
        if (tdl + sdl > CopyLimits.MAX_DESCRIPTOR_LIST_LENGTH || CopyLimits.HEADER + tdl + sdl + inline > p.length) {
            throw ScsiError.parameterListLength();
        }
        if (inline != 0) {
            // no segment type we implement takes inline data (MAXIMUM INLINE DATA LENGTH 0)
            throw ScsiError.invalidParameter(12, -1);
        }
        if (tdl / CopyLimits.TARGET_DESCRIPTOR > CopyLimits.MAX_TARGET_DESCRIPTORS) {
            throw CopySense.parameterList(0x06);
        }
        List<Target> targets = new ArrayList<>();
        int end = CopyLimits.HEADER + tdl;
        for (int at = CopyLimits.HEADER; at < end; at += CopyLimits.TARGET_DESCRIPTOR) {
            if (Cdbs.u8(p, at) != CopyLimits.TARGET_IDENTIFICATION) {
                throw CopySense.parameterList(0x07);
            }
            if (at + CopyLimits.TARGET_DESCRIPTOR > end) {
                throw ScsiError.invalidParameter(2, -1); // list length is not a whole number of descriptors
            }
            targets.add(target(p, at, resolver, nexus));
        }
        List<Segment> segments = segments(p, end, (int) sdl);
        return new CopyRequest(listId, usage, List.copyOf(targets), List.copyOf(segments));
    }

    private static Target target(byte[] p, int at, LuResolver resolver, ItNexus nexus) {
        // LU ID TYPE (bits 7-6) is ignored: an identification descriptor has no LU IDENTIFIER field,
        // its designator names the logical unit (SPC-4 6.4.5.1)
        boolean nul = (p[at + 1] & 0x20) != 0;
        int deviceType = p[at + 1] & 0x1F;
        if (deviceType != 0) {
            throw ScsiError.invalidParameter(at + 1, 4); // only direct-access block devices
        }
        int codeSet = p[at + 4] & 0x0F;
        int association = (p[at + 5] >> 4) & 0x03;
        int designatorType = p[at + 5] & 0x0F;
        int length = Cdbs.u8(p, at + 7);
        if (length > 20) {
            throw ScsiError.invalidParameter(at + 7, -1);
        }
        LogicalUnit lu = null;
        // a logical unit's NAA IEEE Registered Extended designator, as VPD page 0x83 reports it
        if (codeSet == 1 && association == 0 && designatorType == 3 && length == 16 && (p[at + 8] >> 4 & 0x0F) == 6) {
            lu = resolver.byNaa(nexus, Cdbs.u64(p, at + 8), Cdbs.u64(p, at + 16));
        }
        int blockSize = Cdbs.u24(p, at + 29);
        return new Target(lu, nul, blockSize, at);
    }

    private static List<Segment> segments(byte[] p, int start, int sdl) {
        int end = start + sdl;
        // count first: too many descriptors is reported before anything inside them
        int count = 0;
        for (int at = start; at < end; count++) {
            if (at + 4 > end) {
                throw ScsiError.invalidParameter(at, -1);
            }
            at += 4 + Cdbs.u16(p, at + 2);
        }
        if (count > CopyLimits.MAX_SEGMENT_DESCRIPTORS) {
            throw CopySense.parameterList(0x08);
        }
        List<Segment> segments = new ArrayList<>(count);
        for (int at = start; at < end; ) {
            int type = Cdbs.u8(p, at);
            int length = Cdbs.u16(p, at + 2);
            if (type != CopyLimits.SEGMENT_BLOCK_TO_BLOCK) {
                throw CopySense.parameterList(0x09);
            }
            if (length != CopyLimits.SEGMENT_DESCRIPTOR - 4 || at + CopyLimits.SEGMENT_DESCRIPTOR > end) {
                throw ScsiError.invalidParameter(at + 2, -1);
            }
            segments.add(new Segment(
                    (p[at + 1] & 0x02) != 0,
                    Cdbs.u16(p, at + 4),
                    Cdbs.u16(p, at + 6),
                    Cdbs.u16(p, at + 10),
                    Cdbs.u64(p, at + 12),
                    Cdbs.u64(p, at + 20),
                    at));
            at += CopyLimits.SEGMENT_DESCRIPTOR;
        }
        return segments;
    }
}
