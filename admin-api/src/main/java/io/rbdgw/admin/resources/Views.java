package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AuthView;
import io.rbdgw.admin.api.ClientView;
import io.rbdgw.admin.api.DiskView;
import io.rbdgw.admin.api.HostGroupView;
import io.rbdgw.admin.api.LunView;
import io.rbdgw.admin.api.TargetView;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Model to representation, and look-ups that answer 404 with a clear message. */
final class Views {
    private Views() {}

    static TargetView target(ClusterConfig c, Target t) {
        return new TargetView(
                t.iqn(),
                t.alias(),
                t.aclEnabled(),
                AuthView.of(t.auth()),
                t.parameters(),
                c.luns(t.iqn()).stream().map(Views::lun).toList(),
                c.clients(t.iqn()).stream().map(Client::initiator).toList(),
                c.hostGroups(t.iqn()).stream().map(HostGroup::name).toList());
    }

    static LunView lun(Lun l) {
        return new LunView(l.target(), l.number(), l.diskId());
    }

    static DiskView disk(ClusterConfig c, Disk d) {
        List<LunView> luns = c.luns().stream()
                .filter(l -> l.diskId().equals(d.id()))
                .map(Views::lun)
                .toList();
        return new DiskView(
                d.id(),
                d.pool(),
                d.image(),
                d.size(),
                d.backstore().name().toLowerCase(Locale.ROOT),
                d.path(),
                d.wwnSeed(),
                luns);
    }

    static ClientView client(ClusterConfig c, Client x) {
        return new ClientView(
                x.target(),
                x.initiator(),
                AuthView.of(x.auth()),
                x.allLuns(),
                new ArrayList<>(x.luns()),
                c.hostGroupOf(x.target(), x.initiator()).map(HostGroup::name).orElse(null),
                new ArrayList<>(c.visibleLuns(x.target(), x.initiator())),
                new ArrayList<>(c.visibleLuns(x.target(), x.initiator())));
    }

    static HostGroupView hostGroup(HostGroup g) {
        return new HostGroupView(g.target(), g.name(), new ArrayList<>(g.members()), new ArrayList<>(g.disks()));
    }

    static Target target(ClusterConfig c, String iqn) {
        return c.target(iqn).orElseThrow(() -> ApiException.notFound("no target " + iqn));
    }

    static Disk disk(ClusterConfig c, String id) {
        return c.disk(id).orElseThrow(() -> ApiException.notFound("no disk " + id));
    }

    static Client client(ClusterConfig c, String target, String initiator) {
        target(c, target);
        return c.client(target, initiator)
                .orElseThrow(() -> ApiException.notFound("no client " + initiator + " on target " + target));
    }

    static HostGroup hostGroup(ClusterConfig c, String target, String name) {
        target(c, target);
        return c.hostGroup(target, name)
                .orElseThrow(() -> ApiException.notFound("no host group " + name + " on target " + target));
    }

    static Lun lun(ClusterConfig c, String target, int number) {
        target(c, target);
        return c.lun(target, number)
                .orElseThrow(() -> ApiException.notFound("no LUN " + number + " on target " + target));
    }
}
