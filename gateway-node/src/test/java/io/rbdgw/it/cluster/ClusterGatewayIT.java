package io.rbdgw.it.cluster;

import static io.rbdgw.it.cluster.ClusterFixtures.testUnitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.Cmd;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.ZkConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code run} gateways (real processes, file disks in their own directories) against one ZooKeeper
 * (in this JVM), configured through the store as the admin API would.
 */
class ClusterGatewayIT {

    static final String IQN = "iqn.2026-11.io.rbdgw:cluster";
    static final String HOST1 = "iqn.1993-08.org.debian:host1";
    static final String HOST2 = "iqn.1993-08.org.debian:host2";
    static final ChapCredentials CHAP = new ChapCredentials("host1user", "host1secret12");

    @TempDir
    Path dir;

    ZkConfig zk;
    CuratorFramework client;
    ConfigStore store;
    int portA;
    int portB;

    @BeforeEach
    void setUp() throws Exception {
        zk = new ZkConfig();
        client = zk.client();
        store = zk.store();
        portA = GatewayProcess.freePort();
        portB = GatewayProcess.freePort();
    }

    @AfterEach
    void tearDown() throws Exception {
        zk.close();
    }

    private long change(ConfigChange... changes) {
        return store.update(c -> List.of(changes), 5);
    }

    private void awaitApplied(long epoch, String... gateways) {
        MembershipView view = new MembershipView(client, store.layout());
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(view.appliedAtLeast(epoch)).contains(gateways));
    }

    private GatewayProcess start(String name, int port) throws Exception {
        // file disks: relative ones in the gateway's data directory, and the admin API's shared directory
        return GatewayProcess.run(
                name,
                port,
                dir.resolve(name),
                zk,
                "--retry-interval",
                "1",
                "--file-disk-root",
                dir.resolve(name).toString(),
                "--file-disk-root",
                dir.resolve("disks").toString());
    }

    private static Cmd inq(String initiator, String portal, int lun) throws Exception {
        return Cmd.run(30, "iscsi-inq", "-i", initiator, "iscsi://" + portal + "/" + IQN + "/" + lun);
    }

    /** Runs the rbdgw CLI in this JVM against the API; returns its output, failing on a non-zero exit. */
    private static String cli(java.net.URI api, String password, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = api.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = io.rbdgw.admin.cli.RbdgwCli.run(
                all,
                new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true),
                java.util.Map.of("RBDGW_ADMIN_PASSWORD", password));
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
        return out.toString();
    }

    @Test
    void aTargetCreatedThroughTheAdminApiIsServedByBothGateways() throws Exception {
        String password = "it-admin-password";
        try (io.rbdgw.admin.AdminServer api = io.rbdgw.admin.AdminServer.start(
                        io.rbdgw.admin.AdminServer.Options.of(store, io.rbdgw.admin.auth.PasswordHash.hash(password))
                                .withListen("127.0.0.1", 0)
                                .withDataDir(dir.resolve("disks")));
                GatewayProcess a = start("gw-a", portA);
                GatewayProcess b = start("gw-b", portB)) {
            java.net.URI url = api.uri();
            cli(url, password, "gateway", "add", "gw-a", "--portal", "127.0.0.1:" + portA, "--tpg", "1");
            cli(url, password, "gateway", "add", "gw-b", "--portal", "127.0.0.1:" + portB, "--tpg", "2");
            cli(url, password, "target", "create", IQN);
            // a file disk in one directory both gateways reach, standing in for a shared RBD image
            cli(url, password, "disk", "create", "--backstore", "file", "local/shared", "--size", "32M");
            cli(url, password, "lun", "add", IQN, "local/shared");
            cli(url, password, "client", "create", IQN, HOST1, "--all-luns");
            long epoch = store.epoch();
            awaitApplied(epoch, "gw-a", "gw-b");
            assertThat(cli(url, password, "epoch")).contains("gw-a").contains("gw-b");
            for (GatewayProcess g : List.of(a, b)) {
                Cmd ok = inq(HOST1, g.portal(), 0);
                assertThat(ok.exitCode()).as(ok + "\n" + g.output()).isZero();
                Cmd cap = Cmd.run(30, "iscsi-readcapacity16", "-i", HOST1, "iscsi://" + g.portal() + "/" + IQN + "/0");
                assertThat(cap.output()).as(cap.toString()).contains("Total size:" + (32L << 20));
            }
            // not in the ACL: refused on both
            for (GatewayProcess g : List.of(a, b)) {
                assertThat(inq(HOST2, g.portal(), 0).exitCode()).isNotZero();
            }
            // a live session shows up in the API, on the gateway that has it, and goes away with it
            TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", portA));
            try {
                host.login(TestInitiator.normalKeys(HOST1, IQN));
                await().atMost(Duration.ofSeconds(15))
                        .untilAsserted(() -> assertThat(cli(url, password, "sessions"))
                                .contains(HOST1)
                                .contains("gw-a")
                                .contains(IQN));
            } finally {
                host.close();
            }
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(
                            () -> assertThat(cli(url, password, "sessions")).doesNotContain(HOST1));
        }
    }

    /** Runs the rbdgw CLI in this JVM; returns its exit code and output. */
    private static Cmd cliExit(java.net.URI api, String password, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = api.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        java.io.PrintStream ps = new java.io.PrintStream(out, true);
        int code = io.rbdgw.admin.cli.RbdgwCli.run(all, ps, ps, java.util.Map.of("RBDGW_ADMIN_PASSWORD", password));
        return new Cmd(code, out.toString());
    }

    @Test
    void removingALunALoggedInHostSeesIsRefusedUntilForcedAndThenTheHostGetsReportedLunsDataHasChanged()
            throws Exception {
        String password = "it-admin-password";
        try (io.rbdgw.admin.AdminServer api = io.rbdgw.admin.AdminServer.start(
                        io.rbdgw.admin.AdminServer.Options.of(store, io.rbdgw.admin.auth.PasswordHash.hash(password))
                                .withListen("127.0.0.1", 0)
                                .withDataDir(dir.resolve("disks")));
                GatewayProcess a = start("gw-a", portA)) {
            java.net.URI url = api.uri();
            cli(url, password, "gateway", "add", "gw-a", "--portal", "127.0.0.1:" + portA, "--tpg", "1");
            cli(url, password, "target", "create", IQN);
            cli(url, password, "disk", "create", "--backstore", "file", "local/d0", "--size", "8M");
            cli(url, password, "disk", "create", "--backstore", "file", "local/d1", "--size", "8M");
            cli(url, password, "lun", "add", IQN, "local/d0");
            cli(url, password, "lun", "add", IQN, "local/d1");
            cli(url, password, "client", "create", IQN, HOST1, "--all-luns");
            awaitApplied(store.epoch(), "gw-a");
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", portA))) {
                host.login(TestInitiator.normalKeys(HOST1, IQN));
                assertThat(testUnitReady(host)).isEqualTo(0x062900); // power on
                assertThat(testUnitReady(host)).isZero();
                await().atMost(Duration.ofSeconds(15))
                        .untilAsserted(
                                () -> assertThat(cli(url, password, "sessions")).contains(HOST1));

                long before = store.epoch();
                Cmd refused = cliExit(url, password, "lun", "remove", IQN, "1");
                assertThat(refused.exitCode()).as(refused.output()).isNotZero();
                assertThat(refused.output())
                        .contains("gw-a")
                        .contains(HOST1)
                        .contains("[1]")
                        .contains("--force");
                assertThat(store.epoch()).isEqualTo(before);
                assertThat(testUnitReady(host)).isZero(); // nothing happened to the host

                cli(url, password, "lun", "remove", IQN, "1", "--force");
                awaitApplied(store.epoch(), "gw-a");
                assertThat(testUnitReady(host)).isEqualTo(0x063F0E);
                assertThat(testUnitReady(host)).isZero();
            }
            assertThat(a.stop()).isZero();
            assertThat(a.output()).doesNotContain("LEAK");
        }
    }

    @Test
    void aClientCreatedWithoutLunsInAHostGroupSeesExactlyTheGroupsLuns() throws Exception {
        String password = "it-admin-password";
        try (io.rbdgw.admin.AdminServer api = io.rbdgw.admin.AdminServer.start(
                        io.rbdgw.admin.AdminServer.Options.of(store, io.rbdgw.admin.auth.PasswordHash.hash(password))
                                .withListen("127.0.0.1", 0)
                                .withDataDir(dir.resolve("disks")));
                GatewayProcess a = start("gw-a", portA)) {
            java.net.URI url = api.uri();
            cli(url, password, "gateway", "add", "gw-a", "--portal", "127.0.0.1:" + portA, "--tpg", "1");
            cli(url, password, "target", "create", IQN);
            for (String d : List.of("d0", "d1", "d2")) {
                cli(url, password, "disk", "create", "--backstore", "file", "local/" + d, "--size", "8M");
                cli(url, password, "lun", "add", IQN, "local/" + d);
            }
            cli(url, password, "client", "create", IQN, HOST2);
            cli(url, password, "hostgroup", "create", IQN, "esx", "--member", HOST2, "--disk", "local/d1");
            assertThat(cli(url, password, "client", "show", IQN, HOST2)).contains("effectiveLuns: 1\n");
            awaitApplied(store.epoch(), "gw-a");
            Cmd ls = Cmd.run(30, "iscsi-ls", "-s", "-i", HOST2, "iscsi://" + a.portal());
            assertThat(ls.exitCode()).as(ls.toString()).isZero();
            assertThat(ls.output())
                    .as(ls.toString())
                    .contains("Lun:1")
                    .doesNotContain("Lun:0")
                    .doesNotContain("Lun:2");
            assertThat(inq(HOST2, a.portal(), 1).exitCode()).isZero();
            assertThat(inq(HOST2, a.portal(), 0).exitCode()).isNotZero();
        }
    }

    @Test
    void bothGatewaysServeTheConfigurationAndFollowItsChanges() throws Exception {
        long epoch = change(
                new ConfigChange.PutGateway(new Gateway("gw-a", List.of(new Portal("127.0.0.1", portA)), 1)),
                new ConfigChange.PutGateway(new Gateway("gw-b", List.of(new Portal("127.0.0.1", portB)), 2)),
                new ConfigChange.PutTarget(Target.of(IQN)),
                new ConfigChange.PutDisk(Disk.file("local", "disk0", 16 << 20, "disk0.img")),
                new ConfigChange.PutLun(new Lun(IQN, 0, "local/disk0")),
                new ConfigChange.PutClient(Client.allLuns(IQN, HOST1)),
                new ConfigChange.PutClient(Client.allLuns(IQN, HOST2)));
        try (GatewayProcess a = start("gw-a", portA);
                GatewayProcess b = start("gw-b", portB)) {
            awaitApplied(epoch, "gw-a", "gw-b");
            for (GatewayProcess g : List.of(a, b)) {
                Cmd ok = inq(HOST1, g.portal(), 0);
                assertThat(ok.exitCode()).as(ok + "\n" + g.output()).isZero();
                assertThat(ok.output()).contains("Vendor:RBDGW");
            }

            // discovery on one portal lists the target on both, each with its portal group tag
            Cmd ls = Cmd.run(30, "iscsi-ls", "-i", HOST1, "iscsi://" + a.portal());
            assertThat(ls.exitCode()).as(ls.toString()).isZero();
            assertThat(ls.output())
                    .contains(IQN)
                    .contains("127.0.0.1:" + portA + ",1")
                    .contains("127.0.0.1:" + portB + ",2");
            // an initiator outside the ACL is not told about the target
            Cmd stranger = Cmd.run(30, "iscsi-ls", "-i", "iqn.1993-08.org.debian:stranger", "iscsi://" + a.portal());
            assertThat(stranger.output()).doesNotContain(IQN);

            // a change made while gw-b is down reaches it when it starts again
            assertThat(b.stop()).isZero();
            epoch = change(
                    new ConfigChange.PutDisk(Disk.file("local", "disk1", 8 << 20, "disk1.img")),
                    new ConfigChange.PutLun(new Lun(IQN, 1, "local/disk1")));
            awaitApplied(epoch, "gw-a");
        }
        try (GatewayProcess a = start("gw-a", portA);
                GatewayProcess b = start("gw-b", portB)) {
            awaitApplied(epoch, "gw-a", "gw-b");
            Cmd lun1 = inq(HOST1, b.portal(), 1);
            assertThat(lun1.exitCode()).as(lun1 + "\n" + b.output()).isZero();

            // ACL: HOST2 removed -> its new login is refused, HOST1 still logs in
            epoch = change(new ConfigChange.DeleteClient(IQN, HOST2));
            awaitApplied(epoch, "gw-a", "gw-b");
            Cmd refused = inq(HOST2, a.portal(), 0);
            assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
            assertThat(a.output()).contains("login refused with status 0x0202");
            assertThat(inq(HOST1, a.portal(), 0).exitCode()).isZero();

            // CHAP for HOST1 from now on: without the secret refused, with it accepted (on both gateways)
            epoch = change(new ConfigChange.PutClient(Client.allLuns(IQN, HOST1).withAuth(Authentication.chap(CHAP))));
            awaitApplied(epoch, "gw-a", "gw-b");
            assertThat(inq(HOST1, b.portal(), 0).exitCode()).isNotZero();
            for (GatewayProcess g : List.of(a, b)) {
                Cmd chap = Cmd.run(
                        30,
                        "iscsi-inq",
                        "-i",
                        HOST1,
                        "iscsi://host1user%host1secret12@" + g.portal() + "/" + IQN + "/0");
                assertThat(chap.exitCode()).as(chap.toString()).isZero();
            }

            // a LUN removed: a live session gets REPORTED LUNS DATA HAS CHANGED
            epoch = change(new ConfigChange.PutClient(Client.allLuns(IQN, HOST1)));
            awaitApplied(epoch, "gw-a", "gw-b");
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", portA))) {
                host.login(TestInitiator.normalKeys(HOST1, IQN));
                assertThat(testUnitReady(host)).isEqualTo(0x062900); // power on
                assertThat(testUnitReady(host)).isZero();
                epoch = change(new ConfigChange.DeleteLun(IQN, 1));
                awaitApplied(epoch, "gw-a", "gw-b");
                assertThat(testUnitReady(host)).isEqualTo(0x063F0E);
                assertThat(testUnitReady(host)).isZero();
            }
            assertThat(a.stop()).isZero();
            assertThat(b.stop()).isZero();
            assertThat(a.output() + b.output()).doesNotContain("LEAK");
        }
    }
}
