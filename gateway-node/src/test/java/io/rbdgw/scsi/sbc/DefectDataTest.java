package io.rbdgw.scsi.sbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.Fixture;
import org.junit.jupiter.api.Test;

class DefectDataTest {

    private final Fixture f = Fixture.thin();

    @Test
    void readDefectData10ReportsEmptyValidLists() {
        byte[] d = f.run(0x37, 0, 0x18 | 0x05, 0, 0, 0, 0, 0, 32, 0).good(); // PLIST+GLIST, format 5
        assertThat(d).containsExactly(0, 0x1D, 0, 0);
        assertThat(f.run(0x37, 0, 0x08, 0, 0, 0, 0, 0, 2, 0).good()).containsExactly(0, 0x08); // truncated
        f.run(0x37, 0, 0x20, 0, 0, 0, 0, 0, 32, 0).invalidCdb(2, 5);
    }

    @Test
    void readDefectData12ReportsEmptyValidLists() {
        byte[] d = f.run(0xB7, 0x13, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0).good(); // PLIST, format 3
        assertThat(d).containsExactly(0, 0x13, 0, 0, 0, 0, 0, 0);
        assertThat(f.device.ops).isEmpty();
    }
}
