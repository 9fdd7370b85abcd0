package io.rbdgw.scsi.pr;

import static io.rbdgw.scsi.pr.PrLogicTest.A;
import static io.rbdgw.scsi.pr.PrLogicTest.B;
import static io.rbdgw.scsi.pr.PrLogicTest.C;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrAccessTest {

    static final byte[] READ10 = cdb(0x28);
    static final byte[] WRITE10 = cdb(0x2A);

    static byte[] cdb(int... bytes) {
        byte[] c = new byte[16];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = (byte) bytes[i];
        }
        return c;
    }

    /** A holds a reservation of {@code type}; B is registered; C is not. */
    static PrState reservedBy(PrType type) {
        PrState s = PrLogicTest.registered(A, B);
        return PrLogicTest.ok(s, A, PrOutRequest.RESERVE, type.code(), 0x10, 0);
    }

    // libiscsi ProutReserveAccess*: what the registered (B) and unregistered (C) initiator may do
    @ParameterizedTest
    @CsvSource({
        "WRITE_EXCLUSIVE,                   true,  false, true,  false",
        "EXCLUSIVE_ACCESS,                  false, false, false, false",
        "WRITE_EXCLUSIVE_REGISTRANTS_ONLY,  true,  true,  true,  false",
        "EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, true,  true,  false, false",
        "WRITE_EXCLUSIVE_ALL_REGISTRANTS,   true,  true,  true,  false",
        "EXCLUSIVE_ACCESS_ALL_REGISTRANTS,  true,  true,  false, false"
    })
    void readAndWriteAccessPerType(
            PrType type, boolean regRead, boolean regWrite, boolean unregRead, boolean unregWrite) {
        PrState s = reservedBy(type);
        assertThat(PrAccess.permits(s, A, READ10)).isTrue();
        assertThat(PrAccess.permits(s, A, WRITE10)).isTrue();
        assertThat(PrAccess.permits(s, B, READ10)).isEqualTo(regRead);
        assertThat(PrAccess.permits(s, B, WRITE10)).isEqualTo(regWrite);
        assertThat(PrAccess.permits(s, C, READ10)).isEqualTo(unregRead);
        assertThat(PrAccess.permits(s, C, WRITE10)).isEqualTo(unregWrite);
    }

    @ParameterizedTest
    @CsvSource({
        // opcode, byte1, byte4, allowed under WE for non-holder, allowed under EA for non-holder
        "0x00, 0, 0, true,  true", // TEST UNIT READY
        "0x03, 0, 0, true,  true", // REQUEST SENSE
        "0x12, 0, 0, true,  true", // INQUIRY
        "0xA0, 0, 0, true,  true", // REPORT LUNS
        "0x25, 0, 0, true,  true", // READ CAPACITY 10
        "0x9E, 0x10, 0, true, true", // READ CAPACITY 16
        "0x9E, 0x12, 0, true, false", // GET LBA STATUS
        "0x4D, 0, 0, true,  true", // LOG SENSE
        "0x5E, 0, 0, true,  true", // PR IN
        "0x5F, 0, 0, true,  true", // PR OUT (key checks decide)
        "0xA3, 0x0A, 0, true, true", // REPORT TARGET PORT GROUPS
        "0xA3, 0x0C, 0, true, true", // REPORT SUPPORTED OPCODES
        "0x08, 0, 0, true,  false", // READ 6
        "0xA8, 0, 0, true,  false", // READ 12
        "0x88, 0, 0, true,  false", // READ 16
        "0x2F, 0, 0, true,  false", // VERIFY 10
        "0x8F, 0, 0, true,  false", // VERIFY 16
        "0x1A, 0, 0, true,  false", // MODE SENSE 6
        "0x5A, 0, 0, true,  false", // MODE SENSE 10
        "0x0A, 0, 0, false, false", // WRITE 6
        "0xAA, 0, 0, false, false", // WRITE 12
        "0x8A, 0, 0, false, false", // WRITE 16
        "0x2E, 0, 0, false, false", // WRITE AND VERIFY 10
        "0x41, 0, 0, false, false", // WRITE SAME 10
        "0x93, 0, 0, false, false", // WRITE SAME 16
        "0x42, 0, 0, false, false", // UNMAP
        "0x89, 0, 0, false, false", // COMPARE AND WRITE
        "0x9C, 0, 0, false, false", // WRITE ATOMIC(16)
        "0x35, 0, 0, false, false", // SYNCHRONIZE CACHE 10
        "0x91, 0, 0, false, false", // SYNCHRONIZE CACHE 16
        "0x15, 0, 0, false, false", // MODE SELECT 6
        "0x55, 0, 0, false, false", // MODE SELECT 10
        "0x83, 0, 0, false, false", // EXTENDED COPY
        "0xA4, 0x0A, 0, false, false", // SET TARGET PORT GROUPS
        "0x1B, 0, 0x01, true, true", // START STOP UNIT start
        "0x1B, 0, 0x00, false, false", // START STOP UNIT stop
        "0x1B, 0, 0x11, false, false", // START STOP UNIT power condition
        "0x1E, 0, 0x00, true, true", // PREVENT ALLOW: allow
        "0x1E, 0, 0x01, false, false"
    }) // PREVENT ALLOW: prevent
    void commandTableForNonHolders(int op, int b1, int b4, boolean underWe, boolean underEa) {
        byte[] cdb = cdb(op, b1, 0, 0, b4);
        assertThat(PrAccess.permits(reservedBy(PrType.WRITE_EXCLUSIVE), C, cdb))
                .as("WE")
                .isEqualTo(underWe);
        assertThat(PrAccess.permits(reservedBy(PrType.EXCLUSIVE_ACCESS), C, cdb))
                .as("EA")
                .isEqualTo(underEa);
        // registered non-holder under WE/EA is treated like anyone else
        assertThat(PrAccess.permits(reservedBy(PrType.EXCLUSIVE_ACCESS), B, cdb))
                .as("EA, registered")
                .isEqualTo(underEa);
        assertThat(PrAccess.permits(reservedBy(PrType.EXCLUSIVE_ACCESS), A, cdb))
                .as("holder")
                .isTrue();
        assertThat(PrAccess.permits(PrLogicTest.registered(A, B), C, cdb))
                .as("not reserved")
                .isTrue();
    }

    @Test
    void spc2Exceptions() {
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x12))).isTrue();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0xA0))).isTrue();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x03))).isTrue();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x17))).isTrue();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x57))).isTrue();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x1A)))
                .as("MODE SENSE 6")
                .isFalse();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x00))).as("TUR").isFalse();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x28))).isFalse();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x5E))).as("PR IN").isFalse();
        assertThat(PrAccess.permitsUnderSpc2Reservation(cdb(0x16)))
                .as("RESERVE")
                .isFalse();
    }
}
