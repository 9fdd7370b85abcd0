package io.rbdgw.config.model;

import java.util.List;

/**
 * One administrative change to the desired configuration. A change is a pure function of the configuration it is
 * applied to; a list of changes is committed as one transaction. Puts create or replace; deletes of something
 * absent throw {@link java.util.NoSuchElementException}; a result that is not consistent throws
 * {@link IllegalArgumentException} (see {@link ClusterConfig}).
 */
public sealed interface ConfigChange {

    /** Applies this change to {@code b}. */
    void applyTo(ClusterConfig.Builder b);

    /** Applies {@code changes} in order to {@code base} and returns the validated result (same epoch). */
    static ClusterConfig applyAll(ClusterConfig base, List<? extends ConfigChange> changes) {
        ClusterConfig.Builder b = base.toBuilder();
        for (ConfigChange c : changes) {
            c.applyTo(b);
        }
        return b.build();
    }

    record PutTarget(Target target) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(target);
        }
    }

    /** Deletes a target with its LUNs, clients and host groups; its disks remain. */
    record DeleteTarget(String iqn) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeTarget(iqn);
        }
    }

    record PutDisk(Disk disk) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(disk);
        }
    }

    /** Deletes a disk; refused while a LUN still exports it. */
    record DeleteDisk(String id) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeDisk(id);
        }
    }

    record PutLun(Lun lun) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(lun);
        }
    }

    /** Deletes a LUN; refused while a client maps it or a host group lists its disk. */
    record DeleteLun(String target, int number) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeLun(target, number);
        }
    }

    record PutClient(Client client) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(client);
        }
    }

    /** Deletes a client; refused while it is a member of a host group. */
    record DeleteClient(String target, String initiator) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeClient(target, initiator);
        }
    }

    record PutHostGroup(HostGroup group) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(group);
        }
    }

    record DeleteHostGroup(String target, String name) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeHostGroup(target, name);
        }
    }

    record PutGateway(Gateway gateway) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.put(gateway);
        }
    }

    record DeleteGateway(String name) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.removeGateway(name);
        }
    }

    record PutDiscoveryAuth(Authentication auth) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.discoveryAuth(auth);
        }
    }

    record PutSettings(Settings settings) implements ConfigChange {
        public void applyTo(ClusterConfig.Builder b) {
            b.settings(settings);
        }
    }
}
