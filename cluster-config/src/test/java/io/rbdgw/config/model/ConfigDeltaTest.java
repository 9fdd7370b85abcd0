package io.rbdgw.config.model;

import static io.rbdgw.config.Fixtures.ESX1;
import static io.rbdgw.config.Fixtures.T1;
import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigDeltaTest {
    @Test
    void reportsWhatAReconcilerMustDo() {
        ClusterConfig before = ConfigChange.applyAll(ClusterConfig.EMPTY, Fixtures.basicTarget());
        ClusterConfig after = ConfigChange.applyAll(before, List.of(
                new ConfigChange.PutDisk(before.disk("rbd/a").orElseThrow().withSize(2L << 30)),
                new ConfigChange.PutDisk(disk("c")),
                new ConfigChange.PutLun(new Lun(T1, 2, "rbd/c")),
                new ConfigChange.DeleteClient(T1, ESX1),
                new ConfigChange.PutSettings(Settings.DEFAULTS.with(Setting.CMDSN_DEPTH, "256")))).toBuilder().epoch(1).build();

        ConfigDelta d = ConfigDelta.between(before, after);

        assertThat(d.fromEpoch()).isZero();
        assertThat(d.toEpoch()).isEqualTo(1);
        assertThat(d.disks().added()).extracting(Disk::id).containsExactly("rbd/c");
        assertThat(d.resizedDisks(before)).extracting(Disk::id).containsExactly("rbd/a");
        assertThat(d.luns().added()).containsExactly(new Lun(T1, 2, "rbd/c"));
        assertThat(d.targetsWithLunChanges()).containsExactly(T1);
        assertThat(d.clients().removed()).extracting(Client::initiator).containsExactly(ESX1);
        assertThat(d.targets().isEmpty()).isTrue();
        assertThat(d.portalsChanged()).isFalse();
        assertThat(d.settingsChanged()).isTrue();
        assertThat(d.discoveryAuthChanged()).isFalse();
        assertThat(ConfigDelta.between(after, after).isEmpty()).isTrue();
    }
}
