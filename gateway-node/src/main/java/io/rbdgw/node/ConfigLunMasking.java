package io.rbdgw.node;

import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Target;
import io.rbdgw.scsi.LunMasking;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The LUN masking of one target at one configuration epoch: {@link ClusterConfig#visibleLuns} computed
 * once per client, so that the per-command check is a map look-up and a bit test. Initiators that are
 * not clients see every LUN when the target's ACL is off and none when it is on.
 */
final class ConfigLunMasking implements LunMasking {

    private final Map<String, BitSet> byInitiator;
    private final boolean othersSeeAll;

    private ConfigLunMasking(Map<String, BitSet> byInitiator, boolean othersSeeAll) {
        this.byInitiator = byInitiator;
        this.othersSeeAll = othersSeeAll;
    }

    static LunMasking of(ClusterConfig config, Target target) {
        String iqn = target.iqn();
        if (!target.aclEnabled() && config.clients(iqn).isEmpty()) {
            return LunMasking.ALL;
        }
        Map<String, BitSet> m = new HashMap<>();
        for (Client c : config.clients(iqn)) {
            BitSet b = new BitSet();
            config.visibleLuns(iqn, c.initiator()).forEach(b::set);
            m.put(c.initiator(), b);
        }
        return new ConfigLunMasking(Map.copyOf(m), !target.aclEnabled());
    }

    @Override
    public boolean visible(String initiatorName, long lun) {
        BitSet b = byInitiator.get(initiatorName);
        if (b == null) {
            return othersSeeAll;
        }
        return lun >= 0 && lun <= Integer.MAX_VALUE && b.get((int) lun);
    }
}
