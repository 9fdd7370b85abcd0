package io.rbdgw.scsi;

import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.MiscompareException;

/**
 * The one place where block-device failures become SCSI outcomes.
 *
 * <table>
 *   <caption>BlockDeviceException.Kind to SCSI</caption>
 *   <tr><td>OUT_OF_RANGE</td><td>CHECK CONDITION 05/21/00 LOGICAL BLOCK ADDRESS OUT OF RANGE (the
 *       device shrank under the command)</td></tr>
 *   <tr><td>MISCOMPARE</td><td>CHECK CONDITION 0E/1D/00 MISCOMPARE DURING VERIFY OPERATION, INFORMATION
 *       = offset of the first differing byte in the data-out buffer (SBC-3 COMPARE AND WRITE)</td></tr>
 *   <tr><td>READ_ERROR</td><td>CHECK CONDITION 03/11/00 UNRECOVERED READ ERROR</td></tr>
 *   <tr><td>WRITE_ERROR</td><td>CHECK CONDITION 03/0C/00 WRITE ERROR</td></tr>
 *   <tr><td>TRANSIENT</td><td>status BUSY, no sense: Linux and ESXi retry BUSY on the same path
 *       without failing it, which is what a slow or reconnecting backend wants (NOT READY 04/01 would
 *       make ESXi fail the path over)</td></tr>
 *   <tr><td>FENCED</td><td>CHECK CONDITION 02/04/0A ASYMMETRIC ACCESS STATE TRANSITION: this gateway
 *       lost the right to write; hosts retry and re-read the target port groups, and go to another
 *       path if the state stays</td></tr>
 *   <tr><td>UNSUPPORTED</td><td>CHECK CONDITION 05/20/00 INVALID COMMAND OPERATION CODE</td></tr>
 *   <tr><td>CLOSED</td><td>CHECK CONDITION 02/04/0C TARGET PORT IN UNAVAILABLE STATE: the device is
 *       going away on this gateway (shutdown, LUN being removed); hosts fail the path over to another
 *       gateway instead of declaring the device lost</td></tr>
 * </table>
 */
public final class BlockErrors {

    private BlockErrors() {}

    /** Completes {@code task} with the outcome for {@code error}. */
    public static void fail(ScsiTask task, BlockDeviceException error, int transferLength) {
        if (error.kind() == BlockDeviceException.Kind.TRANSIENT) {
            task.complete(ScsiStatus.BUSY, null, null, transferLength);
            return;
        }
        task.complete(ScsiStatus.CHECK_CONDITION, null, sense(error), transferLength);
    }

    /** The sense for a failure other than TRANSIENT. */
    public static byte[] sense(BlockDeviceException error) {
        switch (error.kind()) {
            case OUT_OF_RANGE:
                return SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x21, 0x00);
            case MISCOMPARE:
                long offset =
                        error instanceof MiscompareException ? ((MiscompareException) error).offsetInCompare() : 0;
                return SenseData.withInformation(SenseData.MISCOMPARE, 0x1D, 0x00, offset);
            case READ_ERROR:
                return SenseData.fixed(SenseData.MEDIUM_ERROR, 0x11, 0x00);
            case WRITE_ERROR:
                return SenseData.fixed(SenseData.MEDIUM_ERROR, 0x0C, 0x00);
            case FENCED:
                return SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A);
            case UNSUPPORTED:
                return SenseData.fixed(SenseData.ILLEGAL_REQUEST, 0x20, 0x00);
            case CLOSED:
                return SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0C);
            case TRANSIENT:
            default:
                // TRANSIENT is a status, not sense; callers use fail(); be safe anyway
                return SenseData.fixed(SenseData.NOT_READY, 0x04, 0x01);
        }
    }
}
