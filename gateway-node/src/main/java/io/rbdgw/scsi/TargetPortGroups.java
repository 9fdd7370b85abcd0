package io.rbdgw.scsi;

import java.util.List;

/**
 * The ALUA view of one logical unit: its target port groups and their asymmetric access states, as
 * REPORT TARGET PORT GROUPS and VPD page 0x83 report them. The default {@link #onePerPort()} puts
 * every target port in its own Active/Optimized group; a cluster-aware implementation can report
 * other gateways' ports and non-optimized/standby states.
 */
public interface TargetPortGroups {

    int ACTIVE_OPTIMIZED = 0x0;
    int ACTIVE_NON_OPTIMIZED = 0x1;
    int STANDBY = 0x2;
    int UNAVAILABLE = 0x3;
    int TRANSITIONING = 0xF;

    /**
     * One target port group.
     *
     * @param id            target port group identifier (16 bits, nonzero)
     * @param state         asymmetric access state (the constants above)
     * @param preferred     PREF bit
     * @param relativePorts relative target port identifiers in the group
     */
    record Group(int id, int state, boolean preferred, List<Integer> relativePorts) {}

    /** All groups of the logical unit, as seen by {@code asking}. */
    List<Group> groups(ItNexus asking);

    /** The group identifier of the port {@code nexus} came through. */
    int groupOf(ItNexus nexus);

    /**
     * The relative target port identifier of the port {@code nexus} came through (VPD 0x83). By default
     * the one the transport assigned; a cluster-wide view numbers the gateways' ports itself.
     */
    default int relativePortOf(ItNexus nexus) {
        return nexus.relativeTargetPort();
    }

    /** Implicit transition time in seconds (REPORT TARGET PORT GROUPS extended header). */
    default int implicitTransitionSeconds() {
        return 0;
    }

    /** Each target port is its own Active/Optimized group whose id is the relative target port id. */
    static TargetPortGroups onePerPort() {
        return new TargetPortGroups() {
            @Override
            public List<Group> groups(ItNexus asking) {
                return List.of(
                        new Group(groupOf(asking), ACTIVE_OPTIMIZED, false, List.of(asking.relativeTargetPort())));
            }

            @Override
            public int groupOf(ItNexus nexus) {
                return nexus.relativeTargetPort();
            }
        };
    }
}
