package io.rbdgw.admin.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The CLI's shared path helpers (the commands themselves run against a real admin server in AdminServerTest). */
class RbdgwCliTest {

    @Test
    void queryKeepsOnlyGivenValuesInOrderAndEncodesThem() {
        assertThat(RbdgwCli.query("/api/sessions", "target", null, "initiator", null)).isEqualTo("/api/sessions");
        assertThat(RbdgwCli.query("/api/sessions", "target", "iqn.2003-01.io.rbdgw:t1", "initiator", null))
                .isEqualTo("/api/sessions?target=iqn.2003-01.io.rbdgw:t1");
        assertThat(RbdgwCli.query("/api/sessions", "target", null, "initiator", "iqn.1998-01.com.vmware:esx 1"))
                .isEqualTo("/api/sessions?initiator=iqn.1998-01.com.vmware:esx%201");
        assertThat(RbdgwCli.query("/api/alua/failovers", "limit", 5, "disk", "rbd/a&b", "gateway", null, "reason", "DRAINED"))
                .isEqualTo("/api/alua/failovers?limit=5&disk=rbd%2Fa%26b&reason=DRAINED");
        assertThatThrownBy(() -> RbdgwCli.query("/api/alua", "disk")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void diskIdsArePoolSlashImage() {
        assertThat(RbdgwCli.poolImage("rbd/img/x")).containsExactly("rbd", "img/x");
        assertThat(RbdgwCli.disk("rbd/my img")).isEqualTo("/api/disks/rbd/my%20img");
        assertThatThrownBy(() -> RbdgwCli.poolImage("noslash")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("disk 'noslash' is not pool/image");
    }
}
