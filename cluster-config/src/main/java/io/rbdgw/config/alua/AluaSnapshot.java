package io.rbdgw.config.alua;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a gateway needs to report ALUA states: the owner of every disk and which gateways are alive.
 *
 * @param owners   ownership by disk id
 * @param live     names of the live gateways (members)
 * @param draining names of the gateways being drained
 */
public record AluaSnapshot(Map<String, LunOwnership> owners, Set<String> live, Set<String> draining) {
    public static final AluaSnapshot EMPTY = new AluaSnapshot(Map.of(), Set.of(), Set.of());

    public AluaSnapshot {
        owners = Map.copyOf(owners);
        live = Set.copyOf(live);
        draining = Set.copyOf(draining);
    }

    public Optional<String> owner(String disk) {
        LunOwnership o = owners.get(disk);
        return o == null ? Optional.empty() : Optional.of(o.owner());
    }
}
