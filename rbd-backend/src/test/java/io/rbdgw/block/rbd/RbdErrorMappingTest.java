package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDeviceException.Kind;
import org.junit.jupiter.api.Test;

/** The errno to Kind table of RbdBlockDevice (no cluster needed). */
class RbdErrorMappingTest {

    @Test
    void fencingErrors() {
        for (int errno : new int[] {Errno.ESHUTDOWN, Errno.EROFS, Errno.EPERM, Errno.EACCES}) {
            assertThat(RbdBlockDevice.kindOf(Aio.Type.WRITE, errno)).as("errno %d", errno).isEqualTo(Kind.FENCED);
            assertThat(RbdBlockDevice.kindOf(Aio.Type.READ, errno)).as("errno %d", errno).isEqualTo(Kind.FENCED);
        }
    }

    @Test
    void transientErrors() {
        for (int errno : new int[] {Errno.ETIMEDOUT, Errno.EAGAIN, Errno.ENOTCONN, Errno.ENOMEM, Errno.ENOBUFS}) {
            assertThat(RbdBlockDevice.kindOf(Aio.Type.READ, errno)).as("errno %d", errno).isEqualTo(Kind.TRANSIENT);
        }
    }

    @Test
    void mediumErrorsDependOnTheDirection() {
        for (int errno : new int[] {Errno.EIO, Errno.ENOSPC, Errno.EDQUOT, Errno.EINVAL, Errno.ENOENT}) {
            assertThat(RbdBlockDevice.kindOf(Aio.Type.READ, errno)).isEqualTo(Kind.READ_ERROR);
            assertThat(RbdBlockDevice.kindOf(Aio.Type.ALLOCATION_STATUS, errno)).isEqualTo(Kind.READ_ERROR);
            assertThat(RbdBlockDevice.kindOf(Aio.Type.WRITE, errno)).isEqualTo(Kind.WRITE_ERROR);
            assertThat(RbdBlockDevice.kindOf(Aio.Type.WRITE_ZEROES, errno)).isEqualTo(Kind.WRITE_ERROR);
            assertThat(RbdBlockDevice.kindOf(Aio.Type.FLUSH, errno)).isEqualTo(Kind.WRITE_ERROR);
        }
        assertThat(RbdBlockDevice.kindOf(Aio.Type.DISCARD, Errno.EOPNOTSUPP)).isEqualTo(Kind.UNSUPPORTED);
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
