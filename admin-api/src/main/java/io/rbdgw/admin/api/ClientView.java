package io.rbdgw.admin.api;

import java.util.List;

/**
 * @param effectiveLuns what the initiator actually sees: every LUN with {@code allLuns}, else its own LUNs and its
 *                      host group's disks' LUNs
 * @param visibleLuns   the same as {@code effectiveLuns} (its earlier name, kept for existing callers)
 */
public record ClientView(
        String target,
        String initiator,
        AuthView auth,
        boolean allLuns,
        List<Integer> luns,
        String hostGroup,
        List<Integer> effectiveLuns,
        List<Integer> visibleLuns) {}
