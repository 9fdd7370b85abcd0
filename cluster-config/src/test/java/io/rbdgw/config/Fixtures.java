package io.rbdgw.config;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import java.util.List;
import java.util.Set;

/** Sample configuration items shared by the tests. */
public final class Fixtures {
    private Fixtures() {}

    public static final String T1 = "iqn.2003-01.io.rbdgw:t1";
    public static final String T2 = "iqn.2003-01.io.rbdgw:t2";
    public static final String ESX1 = "iqn.1998-01.com.vmware:esx1-4a5b6c";
    public static final String ESX2 = "iqn.1998-01.com.vmware:esx2-7d8e9f";
    public static final String WIN = "iqn.1991-05.com.microsoft:win-node1";
    public static final ChapCredentials CHAP = new ChapCredentials("esx1user", "secretsecret1");
    public static final ChapCredentials MUTUAL = new ChapCredentials("targetuser", "othersecret22");

    public static Disk disk(String image) {
        return Disk.rbd("rbd", image, 1L << 30);
    }

    public static Gateway gateway(String name, int tpg, String address) {
        return new Gateway(name, List.of(Portal.parse(address)), tpg);
    }

    /** A target with two disks as LUNs 0 and 1, an all-LUNs client and a CHAP client that sees LUN 1. */
    public static List<ConfigChange> basicTarget() {
        return List.of(
                new ConfigChange.PutTarget(Target.of(T1)),
                new ConfigChange.PutDisk(disk("a")),
                new ConfigChange.PutDisk(disk("b")),
                new ConfigChange.PutLun(new Lun(T1, 0, "rbd/a")),
                new ConfigChange.PutLun(new Lun(T1, 1, "rbd/b")),
                new ConfigChange.PutClient(Client.allLuns(T1, ESX1)),
                new ConfigChange.PutClient(
                        Client.withLuns(T1, WIN, Set.of(1)).withAuth(new Authentication(CHAP, MUTUAL))),
                new ConfigChange.PutGateway(gateway("gw-a", 1, "10.0.0.1:3260")),
                new ConfigChange.PutGateway(gateway("gw-b", 2, "10.0.0.2")));
    }
}
