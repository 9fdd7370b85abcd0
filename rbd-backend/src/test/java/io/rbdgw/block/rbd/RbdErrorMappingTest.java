package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDeviceException.Kind;
import org.junit.jupiter.api.Test;

/** The errno to Kind table of the RBD device (RbdErrors) (no cluster needed). */
class RbdErrorMappingTest {

    @Test
    void fencingErrors() {
        for (int errno : new int[] {Errno.ESHUTDOWN, Errno.EROFS, Errno.EPERM, Errno.EACCES}) {
            assertThat(RbdErrors.kindOf(Aio.Type.WRITE, errno))
                    .as("errno %d", errno)
                    .isEqualTo(Kind.FENCED);
            assertThat(RbdErrors.kindOf(Aio.Type.READ, errno))
                    .as("errno %d", errno)
                    .isEqualTo(Kind.FENCED);
        }
    }

    @Test
    void transientErrors() {
        for (int errno : new int[] {Errno.ETIMEDOUT, Errno.EAGAIN, Errno.ENOTCONN, Errno.ENOMEM, Errno.ENOBUFS}) {
            assertThat(RbdErrors.kindOf(Aio.Type.READ, errno))
                    .as("errno %d", errno)
                    .isEqualTo(Kind.TRANSIENT);
        }
    }

    @Test
    void mediumErrorsDependOnTheDirection() {
        for (int errno : new int[] {Errno.EIO, Errno.ENOSPC, Errno.EDQUOT, Errno.EINVAL, Errno.ENOENT}) {
            assertThat(RbdErrors.kindOf(Aio.Type.READ, errno)).isEqualTo(Kind.READ_ERROR);
            assertThat(RbdErrors.kindOf(Aio.Type.ALLOCATION_STATUS, errno)).isEqualTo(Kind.READ_ERROR);
            assertThat(RbdErrors.kindOf(Aio.Type.WRITE, errno)).isEqualTo(Kind.WRITE_ERROR);
            assertThat(RbdErrors.kindOf(Aio.Type.WRITE_ZEROES, errno)).isEqualTo(Kind.WRITE_ERROR);
            assertThat(RbdErrors.kindOf(Aio.Type.FLUSH, errno)).isEqualTo(Kind.WRITE_ERROR);
        }
        assertThat(RbdErrors.kindOf(Aio.Type.DISCARD, Errno.EOPNOTSUPP)).isEqualTo(Kind.UNSUPPORTED);
    }

    @Test
    void miscompareOffsetsAreRelativeToTheComparedRangeWhicheverWayLibrbdReportsThem() {
        long object = 4L << 20;
        long offset = 3 * object + 1024; // 1 KiB into the fourth object
        // as documented: the absolute image offset of the first differing byte
        assertThat(RbdErrors.miscompareOffset(offset + 17, offset, 512, object)).isEqualTo(17);
        // as Pacific reports it: relative to the compared extent, added to the object start
        assertThat(RbdErrors.miscompareOffset(3 * object + 17, offset, 512, object))
                .isEqualTo(17);
        // neither reading falls inside the range
        assertThat(RbdErrors.miscompareOffset(offset + 512, offset, 512, object))
                .isEqualTo(-1);
    }

    @Test
    void cephExceptionReasons() {
        assertThat(new CephException("x", -2).reason()).isEqualTo(CephException.Reason.NOT_FOUND);
        assertThat(new CephException("x", -1).reason()).isEqualTo(CephException.Reason.PERMISSION_DENIED);
        assertThat(new CephException("x", -13).reason()).isEqualTo(CephException.Reason.PERMISSION_DENIED);
        assertThat(new CephException("x", -110).reason()).isEqualTo(CephException.Reason.UNREACHABLE);
        assertThat(new CephException("x", 110).errno()).isEqualTo(110);
        assertThat(new CephException("x", -108).getMessage()).contains("ESHUTDOWN");
    }
}
