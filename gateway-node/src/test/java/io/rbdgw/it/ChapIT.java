package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CHAP with a real initiator (libiscsi): the right secret logs in, a wrong one is refused. */
class ChapIT {

    @TempDir
    Path dir;

    @Test
    void chapRightSecretLogsInWrongSecretIsRefused() throws Exception {
        try (GatewayProcess gw = GatewayProcess.standalone(dir, "--memory", "--lun-size", "16M",
                "--chap-user", "hostuser", "--chap-secret", "secret123456")) {
            String base = gw.portal() + "/" + gw.iqn() + "/0";
            Cmd ok = Cmd.run(30, "iscsi-inq", "iscsi://hostuser%secret123456@" + base);
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(ok.output()).contains("Vendor:RBDGW");

            Cmd wrong = Cmd.run(30, "iscsi-inq", "iscsi://hostuser%wrongsecret99@" + base);
            assertThat(wrong.exitCode()).as(wrong.toString()).isNotZero();
            assertThat(wrong.output()).containsIgnoringCase("authentication fail");

            Cmd none = Cmd.run(30, "iscsi-inq", "iscsi://" + base);
            assertThat(none.exitCode()).as(none.toString()).isNotZero();
            assertThat(gw.output()).contains("login refused with status 0x0201");
        }
    }

    @Test
    void mutualChapProvesTheTargetToTheInitiator() throws Exception {
        try (GatewayProcess gw = GatewayProcess.standalone(dir, "--memory", "--lun-size", "16M",
                "--chap-user", "hostuser", "--chap-secret", "secret123456",
                "--mutual-chap-user", "targetuser", "--mutual-chap-secret", "tsecret123456")) {
            String base = gw.portal() + "/" + gw.iqn() + "/0";
            Cmd ok = Cmd.run(30, "iscsi-inq", "iscsi://hostuser%secret123456@" + base
                    + "?target_user=targetuser&target_password=tsecret123456");
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(ok.output()).contains("Vendor:RBDGW");

            // the initiator expects another target secret: the target's answer does not verify
            Cmd impostor = Cmd.run(30, "iscsi-inq", "iscsi://hostuser%secret123456@" + base
                    + "?target_user=targetuser&target_password=othersecret99");
            assertThat(impostor.exitCode()).as(impostor.toString()).isNotZero();
        }
    }
}
