package io.rbdgw.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.pr.PrAccess;
import io.rbdgw.scsi.pr.PrNexusId;
import io.rbdgw.scsi.pr.PrState;
import io.rbdgw.scsi.pr.PrType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-opcode attributes of the command table: what the engine and the transport ask of a command. */
class CommandTableTest {

    /** SBC-3's medium writes, spelled out here independently of the table. */
    static final Set<Integer> MEDIUM_WRITES =
            Set.of(0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x41, 0x93, 0x42, 0x89, 0x9C);

    @Test
    void mediumWritesAreMarkedAndTheWriteTokenGatesThem() {
        for (CommandSpec c : CommandTable.SBC.all()) {
            assertThat(c.writesMedium()).as(c.name()).isEqualTo(MEDIUM_WRITES.contains(c.opcode()));
            // third-party copies (0x83) are not admitted by the receiving unit's gate: each chunk passes the
            // destination's (ExtendedCopyTest)
            assertThat(c.writeGated()).as(c.name()).isEqualTo(c.writesMedium());
            if (c.writesMedium()) {
                assertThat(c.direction()).as(c.name()).isEqualTo(CommandSpec.DATA_OUT);
            }
        }
    }

    @Test
    void reservationAttributeAgreesWithWhatTheReservationsCodeDecides() {
        PrNexusId holder = new PrNexusId("iqn.2026-11.test:holder,i,0x1", "iqn.2026-11.io.rbdgw:t,t,0x1");
        PrNexusId other = new PrNexusId("iqn.2026-11.test:other,i,0x1", "iqn.2026-11.io.rbdgw:t,t,0x1");
        PrState writeExclusive = new PrState(1, List.of(), holder, PrType.WRITE_EXCLUSIVE);
        PrState exclusiveAccess = new PrState(1, List.of(), holder, PrType.EXCLUSIVE_ACCESS);
        int checked = 0;
        for (CommandSpec c : CommandTable.SBC.all()) {
            if (c.reservation() == CommandSpec.Reservation.BY_CDB) {
                continue;
            }
            byte[] cdb = new byte[c.cdbLength()];
            cdb[0] = (byte) c.opcode();
            if (c.hasServiceAction()) {
                cdb[1] = (byte) c.serviceAction();
            }
            boolean underWe = PrAccess.permits(writeExclusive, other, cdb);
            boolean underEa = PrAccess.permits(exclusiveAccess, other, cdb);
            switch (c.reservation()) {
                case ALLOWED -> assertThat(underWe && underEa).as(c.name()).isTrue();
                case READ -> assertThat(underWe && !underEa).as(c.name()).isTrue();
                case CONFLICT -> assertThat(underWe || underEa).as(c.name()).isFalse();
                default -> throw new AssertionError(c.name());
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(40);
    }
}
