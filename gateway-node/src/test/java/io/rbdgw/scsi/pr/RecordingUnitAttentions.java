package io.rbdgw.scsi.pr;

import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.UnitAttentions;
import java.util.ArrayList;
import java.util.List;

final class RecordingUnitAttentions implements UnitAttentions {

    record Posted(ItNexus nexus, int asc, int ascq) {}

    final List<Posted> posted = new ArrayList<>();

    @Override
    public synchronized void post(ItNexus nexus, int asc, int ascq) {
        posted.add(new Posted(nexus, asc, ascq));
    }

    @Override
    public synchronized void postAllExcept(ItNexus except, int asc, int ascq) {
        posted.add(new Posted(null, asc, ascq)); // null: every nexus
    }

    synchronized List<Posted> drain() {
        List<Posted> out = List.copyOf(posted);
        posted.clear();
        return out;
    }
}
