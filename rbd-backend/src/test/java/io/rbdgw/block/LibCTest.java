package io.rbdgw.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The direct-mapped libc calls return -1 and leave the right errno, which the device maps. */
class LibCTest {

    @TempDir
    Path dir;

    @Test
    void failedCallsReportErrno() throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(512);
        assertThat(LibC.pread(-1, LibC.address(buf), 512, 0)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.EBADF);
        assertThat(LibC.open(dir.resolve("missing").toString(), LibC.O_RDWR, 0)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(2 /* ENOENT */);
    }

    @Test
    void preadPwriteUseTheGivenAddressAndSeekDataFindsData() throws Exception {
        Path file = dir.resolve("f");
        Files.createFile(file);
        int fd = LibC.open(file.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        assertThat(fd).isNotNegative();
        try {
            assertThat(LibC.ftruncate(fd, 1 << 20)).isZero();
            assertThat(LibC.lseek(fd, 0, LibC.SEEK_DATA)).isEqualTo(-1);
            assertThat(LibC.errno()).isEqualTo(LibC.ENXIO);
            ByteBuffer src = ByteBuffer.allocateDirect(8192);
            src.put(4096, (byte) 42);
            assertThat(LibC.pwrite(fd, LibC.address(src) + 4096, 4096, 65536)).isEqualTo(4096);
            assertThat(LibC.lseek(fd, 0, LibC.SEEK_DATA)).isEqualTo(65536);
            ByteBuffer dst = ByteBuffer.allocateDirect(4096);
            assertThat(LibC.pread(fd, LibC.address(dst), 4096, 65536)).isEqualTo(4096);
            assertThat(dst.get(0)).isEqualTo((byte) 42);
            assertThat(Files.readAllBytes(file)[65536]).isEqualTo((byte) 42);
        } finally {
            assertThat(LibC.close(fd)).isZero();
        }
    }
}
