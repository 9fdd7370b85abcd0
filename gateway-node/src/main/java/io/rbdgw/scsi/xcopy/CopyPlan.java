package io.rbdgw.scsi.xcopy;

import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.List;

/**
 * Turns the segments of a {@link CopyRequest} into byte ranges to copy, checking before any data
 * moves that every segment can be carried out: copy targets reachable, ranges within capacity,
 * reservations and write protection of the copy targets. A segment that cannot is reported as
 * COPY ABORTED with its number and a pointer into it (so nothing is copied at all).
 */
public final class CopyPlan {

    /**
     * One segment as byte ranges.
     *
     * @param src       the source logical unit
     * @param dst       the destination logical unit
     * @param srcOffset first source byte
     * @param dstOffset first destination byte
     * @param bytes     bytes to copy (a multiple of both block sizes)
     * @param backwards copy from the end: source and destination overlap on one device with the
     *                  destination after the source, so a forward copy would read what it wrote
     */
    public record Step(
            LogicalUnit src, LogicalUnit dst, long srcOffset, long dstOffset, long bytes, boolean backwards) {}

    private static final byte[] READ16 = {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] WRITE16 = {(byte) 0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private CopyPlan() {}

    /** The steps of {@code request} for a command from {@code nexus}; throws the first problem. */
    public static Step[] plan(CopyRequest request, ItNexus nexus) {
        List<CopyRequest.Segment> segments = request.segments();
        Step[] steps = new Step[segments.size()];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = step(request, segments.get(i), i, nexus);
        }
        return steps;
    }

    private static Step step(CopyRequest request, CopyRequest.Segment s, int number, ItNexus nexus) {
        LogicalUnit src = target(request, s.source(), number, 4);
        LogicalUnit dst = target(request, s.dest(), number, 6);
        DeviceInfo srcInfo = src.info();
        DeviceInfo dstInfo = dst.info();
        int srcBs = srcInfo.blockSize();
        int dstBs = dstInfo.blockSize();
        checkBlockSize(request.targets().get(s.source()), srcBs);
        checkBlockSize(request.targets().get(s.dest()), dstBs);
        long bytes = (long) s.blocks() * (s.dc() ? dstBs : srcBs);
        if (bytes % srcBs != 0 || bytes % dstBs != 0 || bytes > CopyLimits.MAX_SEGMENT_BYTES) {
            throw ScsiError.invalidParameter(s.offset() + 10, -1);
        }
        checkRange(srcInfo, s.srcLba(), bytes / srcBs, number, 12);
        checkRange(dstInfo, s.dstLba(), bytes / dstBs, number, 20);
        if (!src.reservations().permits(nexus, READ16) || !dst.reservations().permits(nexus, WRITE16)) {
            throw new ScsiError(ScsiStatus.RESERVATION_CONFLICT, null);
        }
        if (dst.softwareWriteProtected()) {
            throw ScsiError.check(SenseData.DATA_PROTECT, 0x27, 0x02);
        }
        long srcOffset = s.srcLba() * srcBs;
        long dstOffset = s.dstLba() * dstBs;
        boolean backwards = src == dst && dstOffset > srcOffset && dstOffset < srcOffset + bytes;
        return new Step(src, dst, srcOffset, dstOffset, bytes, backwards);
    }

    /** The logical unit behind a CSCD descriptor id: 08/04 UNREACHABLE COPY TARGET when there is none. */
    private static LogicalUnit target(CopyRequest request, int id, int segment, int field) {
        if (id >= request.targets().size()) {
            throw CopySense.aborted(0x08, 0x04, segment, field);
        }
        CopyRequest.Target t = request.targets().get(id);
        if (t.nul()) {
            throw CopySense.aborted(0x08, 0x04, segment, field);
        }
        if (t.lu() == null) {
            // a designator that is not one of this gateway's logical units
            throw CopySense.aborted(0x0D, 0x02, segment, field);
        }
        return t.lu();
    }

    private static void checkBlockSize(CopyRequest.Target t, int blockSize) {
        if (t.blockSize() != blockSize) {
            throw ScsiError.invalidParameter(t.offset() + 29, -1);
        }
    }

    /**
     * Beyond the capacity of a copy target: COPY ABORTED pointing at the LBA field. The additional
     * sense code is 00/00: SPC-4 has no copy-specific code for it, and the copy target's own
     * 05/21/00 is not ours to report as ILLEGAL REQUEST for the EXTENDED COPY command.
     */
    private static void checkRange(DeviceInfo info, long lba, long blocks, int segment, int field) {
        long total = info.blockCount();
        if (lba < 0 || lba > total || blocks > total - lba) {
            throw CopySense.aborted(0x00, 0x00, segment, field);
        }
    }
}
