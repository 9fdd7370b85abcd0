package io.rbdgw.config.membership;

import java.util.Optional;

/** One gateway as the cluster sees it: alive or not (its member node), and its last status. */
public record MemberState(String name, Optional<MemberInfo> member, Optional<GatewayStatus> status) {
    public boolean alive() {
        return member.isPresent();
    }

    /** Whether it is alive and reports epoch {@code epoch} (or later) applied. */
    public boolean applied(long epoch) {
        return alive() && status.map(s -> s.appliedEpoch() >= epoch).orElse(false);
    }
}
