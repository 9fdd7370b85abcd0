package io.rbdgw.scsi.pr;

import io.rbdgw.scsi.ScsiStatus;
import java.util.List;

/**
 * The outcome of one PERSISTENT RESERVE OUT computed by {@link PrLogic}.
 *
 * @param next           the state to store, or null when the state does not change
 * @param status         SCSI status
 * @param sense          sense data for CHECK CONDITION, else null
 * @param unitAttentions unit attentions to establish once {@code next} is stored
 */
public record PrResult(PrState next, int status, byte[] sense, List<PrUnitAttention> unitAttentions) {

    public PrResult {
        unitAttentions = List.copyOf(unitAttentions);
    }

    static PrResult good(PrState next, List<PrUnitAttention> uas) {
        return new PrResult(next, ScsiStatus.GOOD, null, uas);
    }

    static PrResult unchanged() {
        return new PrResult(null, ScsiStatus.GOOD, null, List.of());
    }

    static PrResult conflict() {
        return new PrResult(null, ScsiStatus.RESERVATION_CONFLICT, null, List.of());
    }

    static PrResult check(byte[] sense) {
        return new PrResult(null, ScsiStatus.CHECK_CONDITION, sense, List.of());
    }
}
