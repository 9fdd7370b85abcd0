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
        try (GatewayProcess gw = GatewayProcess.standalone(
                dir, "--memory", "--lun-size", "16M", "--chap-user", "hostuser", "--chap-secret", "secret123456")) {
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
        try (GatewayProcess gw = GatewayProcess.standalone(
                dir,
                "--memory",
                "--lun-size",
                "16M",
                "--chap-user",
                "hostuser",
                "--chap-secret",
                "secret123456",
                "--mutual-chap-user",
                "targetuser",
                "--mutual-chap-secret",
                "tsecret123456")) {
            String base = gw.portal() + "/" + gw.iqn() + "/0";
            Cmd ok = Cmd.run(
                    30,
                    "iscsi-inq",
                    "iscsi://hostuser%secret123456@" + base + "?target_user=targetuser&target_password=tsecret123456");
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(ok.output()).contains("Vendor:RBDGW");

            // the initiator expects another target secret: the target's answer does not verify
            Cmd impostor = Cmd.run(
                    30,
                    "iscsi-inq",
                    "iscsi://hostuser%secret123456@" + base + "?target_user=targetuser&target_password=othersecret99");
            assertThat(impostor.exitCode()).as(impostor.toString()).isNotZero();
        }
    }

    /**
     * The secrets come from files (not the command line), live encrypted in ZooKeeper, and a gateway whose key file
     * lacks their key refuses the logins (authentication failure), saying which key is missing: never "no CHAP".
     */
    @Test
    void secretsFromFilesAreEncryptedAndAMissingKeyFailsLoginsClosed() throws Exception {
        Path chap = dir.resolve("chap-secret");
        Path mutual = dir.resolve("mutual-secret");
        java.nio.file.Files.writeString(chap, "secret123456\n");
        java.nio.file.Files.writeString(mutual, "tsecret123456\n");
        java.nio.file.Files.setPosixFilePermissions(
                chap, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        java.nio.file.Files.setPosixFilePermissions(
                mutual, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path data = dir.resolve("data");
        String[] args = {
            "--lun-size",
            "16M",
            "--chap-user",
            "hostuser",
            "--chap-secret-file",
            chap.toString(),
            "--mutual-chap-user",
            "targetuser",
            "--mutual-chap-secret-file",
            mutual.toString()
        };
        String uri;
        try (GatewayProcess gw = GatewayProcess.standalone(data, args)) {
            uri = "iscsi://hostuser%secret123456@" + gw.portal() + "/" + gw.iqn() + "/0"
                    + "?target_user=targetuser&target_password=tsecret123456";
            Cmd ok = Cmd.run(30, "iscsi-inq", uri);
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
        }
        // the key file is replaced by one without the key the secrets were encrypted with
        java.nio.file.Files.writeString(
                data.resolve("secret.key"),
                "other:" + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        try (GatewayProcess gw = GatewayProcess.standalone(data, "--lun-size", "16M")) {
            Cmd refused = Cmd.run(
                    30,
                    "iscsi-inq",
                    "iscsi://hostuser%secret123456@" + gw.portal() + "/" + gw.iqn() + "/0"
                            + "?target_user=targetuser&target_password=tsecret123456");
            assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
            assertThat(refused.output()).containsIgnoringCase("authentication fail");
            Cmd none = Cmd.run(30, "iscsi-inq", "iscsi://" + gw.portal() + "/" + gw.iqn() + "/0");
            assertThat(none.exitCode()).as(none.toString()).isNotZero();
            assertThat(gw.output()).contains("cannot decrypt a CHAP secret").contains("key '");
        }
    }
}
