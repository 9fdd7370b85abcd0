package io.rbdgw.config.model;

import static io.rbdgw.config.Fixtures.CHAP;
import static io.rbdgw.config.Fixtures.ESX1;
import static io.rbdgw.config.Fixtures.ESX2;
import static io.rbdgw.config.Fixtures.MUTUAL;
import static io.rbdgw.config.Fixtures.T1;
import static io.rbdgw.config.Fixtures.WIN;
import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.config.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "iqn.2003-01.io.rbdgw:t1",
                "iqn.1991-05.com.microsoft:win-node1.corp.example",
                "iqn.2001-04.com.example",
                "iqn.1998-01.com.vmware:esx1-4a5b6c",
                "eui.02004567A425678D",
                "naa.52004567BA64678D",
                "naa.52004567BA64678D0123456789ABCDEF"
            })
    void acceptsIscsiNames(String name) {
        assertThat(Names.iscsiName("initiator", name)).isEqualTo(name);
    }

    @Test
    void explainsWhatIsWrongWithAnIscsiName() {
        assertThatThrownBy(() -> Names.iscsiName("target", "iqn.2003-13.io.rbdgw:t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "target 'iqn.2003-13.io.rbdgw:t' is not a valid iSCSI name: expected iqn.yyyy-mm.reversed.domain"
                                + "[:unique-name] in lower case, e.g. iqn.2003-01.org.example:target1");
        assertThatThrownBy(() -> Names.iscsiName("target", "iqn.2003-01.IO.rbdgw"))
                .hasMessageContaining("lower case");
        assertThatThrownBy(() -> Names.iscsiName("initiator", "eui.02004567A425678"))
                .hasMessageContaining("exactly 16 hexadecimal");
        assertThatThrownBy(() -> Names.iscsiName("initiator", "naa.52004567BA64678D01"))
                .hasMessageContaining("16 or 32");
        assertThatThrownBy(() -> Names.iscsiName("initiator", "host1"))
                .hasMessageContaining("starts with iqn., eui. or naa.");
        assertThatThrownBy(() -> Names.iscsiName("initiator", "iqn.2003-01.org.example:" + "x".repeat(220)))
                .hasMessageContaining("longer than 223");
        assertThatThrownBy(() -> Names.iscsiName("initiator", null)).hasMessage("initiator is missing");
    }

    @Test
    void chapCredentialsFollowCephIscsiRulesAndNeverEchoTheSecret() {
        assertThat(new ChapCredentials("user.name@x", "0123456789ab").user()).isEqualTo("user.name@x");
        assertThat(new ChapCredentials("12345678", "s".repeat(255))).isNotNull();
        assertThatThrownBy(() -> new ChapCredentials("short", "0123456789ab"))
                .hasMessage("CHAP user 'short' is invalid: use 8-64 characters of [0-9a-zA-Z.:@_-]");
        assertThatThrownBy(() -> new ChapCredentials("user name", "0123456789ab"))
                .hasMessageContaining("8-64 characters");
        assertThatThrownBy(() -> new ChapCredentials("username", "tooshort123"))
                .hasMessageContaining("12-255 characters")
                .hasMessageNotContaining("tooshort123");
        assertThatThrownBy(() -> new ChapCredentials("username", "has space in it"))
                .hasMessageNotContaining("has space");
        assertThat(new ChapCredentials("username", "0123456789ab").toString()).doesNotContain("0123456789ab");
    }

    @Test
    void mutualChapNeedsChapAndADifferentSecret() {
        assertThatThrownBy(() -> new Authentication(null, MUTUAL)).hasMessageContaining("mutual CHAP needs CHAP");
        assertThatThrownBy(() -> new Authentication(CHAP, new ChapCredentials("otheruser", CHAP.secret())))
                .hasMessageContaining("must differ");
        assertThat(new Authentication(CHAP, MUTUAL).required()).isTrue();
        assertThat(Authentication.NONE.required()).isFalse();
    }

    @Test
    void disksNeedPositiveSizesAndAPathOnlyForFiles() {
        assertThatThrownBy(() -> Disk.rbd("rbd", "a", 0)).hasMessage("disk rbd/a: size must be positive, was 0");
        assertThatThrownBy(() -> Disk.rbd("rbd", "a/b", 1)).hasMessageContaining("image 'a/b' is invalid");
        assertThatThrownBy(() -> Disk.file("local", "a", 1, " ")).hasMessageContaining("needs a path");
        assertThatThrownBy(() -> new Disk("rbd", "a", 1, null, Backstore.RBD, "/tmp/x"))
                .hasMessageContaining("takes no path");
        Disk d = Disk.rbd("rbd", "a", 1);
        assertThat(d.id()).isEqualTo("rbd/a");
        assertThat(d.wwnSeed()).isEqualTo("rbd/a");
        assertThat(d.withSize(2).wwnSeed()).isEqualTo("rbd/a");
    }

    @Test
    void portalsParseV4V6AndNames() {
        assertThat(Portal.parse("10.0.0.1")).isEqualTo(new Portal("10.0.0.1", 3260));
        assertThat(Portal.parse("gw1.example:3261")).isEqualTo(new Portal("gw1.example", 3261));
        assertThat(Portal.parse("[fd00::1]:3262")).isEqualTo(new Portal("fd00::1", 3262));
        assertThat(new Portal("fd00::1", 3260).toString()).isEqualTo("[fd00::1]:3260");
        assertThatThrownBy(() -> Portal.parse("fd00::1")).hasMessageContaining("[address]:port");
        assertThatThrownBy(() -> Portal.parse("10.0.0.1:0")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Portal.parse("10.0.0.1:x")).hasMessageContaining("invalid port 'x'");
    }

    @Test
    void settingsValidateKeysAndValuesAndFallBackToDefaults() {
        Settings s =
                Settings.of(Map.of("maxburstlength", "65536", "ImmediateData", "no", "HeaderDigest", "crc32c,none"));
        assertThat(s.values())
                .containsEntry("MaxBurstLength", "65536")
                .containsEntry("ImmediateData", "No")
                .containsEntry("HeaderDigest", "CRC32C,None");
        assertThat(s.number(Setting.FIRST_BURST_LENGTH)).isEqualTo(262144);
        assertThat(s.yes(Setting.INITIAL_R2T)).isFalse(); // the default is what the target negotiates: No
        assertThatThrownBy(() -> Settings.of(Map.of("MaxBurstLength", "100")))
                .hasMessage("setting MaxBurstLength=100 is out of range 512-16777215");
        assertThatThrownBy(() -> Settings.of(Map.of("Bogus", "1")))
                .hasMessageStartingWith("unknown setting 'Bogus'; known settings: MaxRecvDataSegmentLength");
        Target t = new Target(T1, "alias", true, null, new java.util.TreeMap<>(Map.of("MaxBurstLength", "131072")));
        assertThat(t.parameter(Setting.MAX_BURST_LENGTH, s)).isEqualTo("131072");
        assertThat(t.parameter(Setting.IMMEDIATE_DATA, s)).isEqualTo("No");
        assertThat(t.parameter(Setting.CMDSN_DEPTH, s)).isEqualTo("128");
    }

    private static ClusterConfig base() {
        return ConfigChange.applyAll(ClusterConfig.EMPTY, Fixtures.basicTarget());
    }

    @Test
    void refusesDanglingReferencesWithClearMessages() {
        ClusterConfig c = base();
        assertThatThrownBy(() -> ConfigChange.applyAll(c, List.of(new ConfigChange.DeleteDisk("rbd/a"))))
                .hasMessage("LUN 0 of target " + T1 + " refers to unknown disk rbd/a");
        assertThatThrownBy(() -> ConfigChange.applyAll(c, List.of(new ConfigChange.PutLun(new Lun(T1, 5, "rbd/a")))))
                .hasMessage("disk rbd/a is mapped twice on target " + T1);
        assertThatThrownBy(() -> ConfigChange.applyAll(c, List.of(new ConfigChange.DeleteLun(T1, 1))))
                .hasMessage("client " + WIN + " maps LUN 1 which target " + T1 + " does not have");
        assertThatThrownBy(() -> ConfigChange.applyAll(
                        c, List.of(new ConfigChange.PutHostGroup(HostGroup.of(T1, "esx", Set.of(ESX2), Set.of())))))
                .hasMessage("host group esx member " + ESX2 + " is not a client of target " + T1);
        assertThatThrownBy(() -> ConfigChange.applyAll(
                        c, List.of(new ConfigChange.PutGateway(Fixtures.gateway("gw-c", 1, "10.0.0.3")))))
                .hasMessage("gateways gw-a and gw-c share target port group 1");
        assertThatThrownBy(() -> ConfigChange.applyAll(c, List.of(new ConfigChange.DeleteGateway("gw-z"))))
                .isInstanceOf(NoSuchElementException.class)
                .hasMessage("no gateway gw-z");
        assertThatThrownBy(() -> ConfigChange.applyAll(
                        c,
                        List.of(
                                new ConfigChange.PutClient(Client.allLuns(T1, ESX2)),
                                new ConfigChange.PutHostGroup(HostGroup.of(T1, "g1", Set.of(ESX2), Set.of())),
                                new ConfigChange.PutHostGroup(HostGroup.of(T1, "g2", Set.of(ESX2), Set.of())))))
                .hasMessageContaining("is in host groups g1 and g2");
    }

    @Test
    void lunMaskingPerClientAndHostGroup() {
        ClusterConfig c = ConfigChange.applyAll(
                base(),
                List.of(
                        new ConfigChange.PutDisk(disk("c")),
                        new ConfigChange.PutLun(new Lun(T1, 2, "rbd/c")),
                        new ConfigChange.PutClient(Client.withLuns(T1, ESX2, Set.of())),
                        new ConfigChange.PutHostGroup(
                                HostGroup.of(T1, "cluster", Set.of(ESX2, WIN), Set.of("rbd/c")))));

        assertThat(c.visibleLuns(T1, ESX1)).containsExactly(0, 1, 2); // all-LUNs client
        assertThat(c.visibleLuns(T1, WIN)).containsExactly(1, 2); // own LUN 1 + group's rbd/c
        assertThat(c.visibleLuns(T1, ESX2)).containsExactly(2); // group only
        assertThat(c.visibleLuns(T1, "iqn.2000-01.com.example:stranger")).isEmpty();
        assertThat(c.isAllowed(T1, "iqn.2000-01.com.example:stranger")).isFalse();
        assertThat(c.isAllowed("iqn.2000-01.com.example:no-such-target", ESX1)).isFalse();
        assertThat(c.authenticationFor(T1, WIN)).contains(new Authentication(CHAP, MUTUAL));

        ClusterConfig open = ConfigChange.applyAll(
                c,
                List.of(new ConfigChange.PutTarget(
                        c.target(T1).orElseThrow().withAcl(false).withAuth(Authentication.chap(CHAP)))));
        assertThat(open.isAllowed(T1, "iqn.2000-01.com.example:stranger")).isTrue();
        assertThat(open.visibleLuns(T1, "iqn.2000-01.com.example:stranger")).containsExactly(0, 1, 2);
        assertThat(open.authenticationFor(T1, WIN)).contains(Authentication.chap(CHAP));
    }

    @Test
    void equalConfigurationsAreEqualWhateverTheOrderOfChanges() {
        List<ConfigChange> changes = new java.util.ArrayList<>(Fixtures.basicTarget());
        ClusterConfig forward = ConfigChange.applyAll(ClusterConfig.EMPTY, changes);
        // same content, gateways and clients put in another order
        List<ConfigChange> shuffled = new java.util.ArrayList<>(changes.subList(0, 5));
        shuffled.addAll(List.of(changes.get(8), changes.get(7), changes.get(6), changes.get(5)));
        assertThat(ConfigChange.applyAll(ClusterConfig.EMPTY, shuffled)).isEqualTo(forward);
    }

    @Test
    void schemaVersionsParseAndCompare() {
        assertThat(SchemaVersion.parse("1.3")).isEqualTo(new SchemaVersion(1, 3));
        assertThat(SchemaVersion.parse("2")).isEqualTo(new SchemaVersion(2, 0));
        assertThat(new SchemaVersion(1, 9).readable()).isTrue();
        assertThat(new SchemaVersion(2, 0).readable()).isFalse();
        assertThatThrownBy(() -> SchemaVersion.parse("one")).hasMessage("invalid schema version 'one'");
    }
}
