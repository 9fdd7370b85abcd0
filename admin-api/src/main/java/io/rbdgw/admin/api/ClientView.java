package io.rbdgw.admin.api;

import java.util.List;

/** @param visibleLuns what the initiator actually sees: its LUNs, its host group's, or all */
public record ClientView(String target, String initiator, AuthView auth, boolean allLuns, List<Integer> luns,
                         String hostGroup, List<Integer> visibleLuns) {
}
