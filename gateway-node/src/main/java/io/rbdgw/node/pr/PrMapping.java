package io.rbdgw.node.pr;

import io.rbdgw.config.pr.PendingUnitAttention;
import io.rbdgw.config.pr.PrDocument;
import io.rbdgw.config.pr.PrNexus;
import io.rbdgw.config.pr.PrRegistration;
import io.rbdgw.config.pr.PrReservation;
import io.rbdgw.scsi.pr.PrNexusId;
import io.rbdgw.scsi.pr.PrState;
import io.rbdgw.scsi.pr.PrType;
import io.rbdgw.scsi.pr.PrUnitAttention;
import io.rbdgw.scsi.pr.Registration;
import java.util.ArrayList;
import java.util.List;

/** Between the SCSI engine's {@link PrState} and the stored {@link PrDocument}. */
final class PrMapping {
    private PrMapping() {}

    static PrState state(PrDocument d) {
        List<Registration> regs = new ArrayList<>(d.registrations().size());
        for (PrRegistration r : d.registrations()) {
            regs.add(new Registration(id(r.nexus()), r.key(), r.aptpl(), r.allTgPt(), r.relativeTargetPort()));
        }
        PrReservation res = d.reservation();
        PrType type = res == null ? null : PrType.fromCode(res.type());
        PrNexusId holder = res == null || res.holder() == null ? null : id(res.holder());
        return new PrState(
                d.generation(),
                regs,
                holder,
                type,
                d.spc2Holder() == null ? null : id(d.spc2Holder()),
                d.softwareWriteProtect());
    }

    /** {@code base} (the document {@code next} was computed from) carrying {@code next} and the new unit attentions. */
    static PrDocument document(PrDocument base, PrState next, String origin, List<PrUnitAttention> uas) {
        List<PrRegistration> regs = new ArrayList<>(next.registrations().size());
        for (Registration r : next.registrations()) {
            regs.add(new PrRegistration(
                    nexus(r.nexus()), r.key(), r.aptpl(), r.allTargetPorts(), r.relativeTargetPort()));
        }
        PrReservation res = next.type() == null
                ? null
                : new PrReservation(
                        next.holder() == null ? null : nexus(next.holder()),
                        next.type().code(),
                        PrState.SCOPE_LU);
        List<PrDocument.Added> added = new ArrayList<>(uas.size());
        for (PrUnitAttention ua : uas) {
            if (ua.isForEveryNexus() && ua.except() != null) {
                added.add(PrDocument.Added.everyNexusExcept(nexus(ua.except()), ua.asc(), ua.ascq()));
            } else if (ua.isForEveryNexus()) {
                added.add(new PrDocument.Added(new PrNexus("*", "*"), true, ua.asc(), ua.ascq(), true));
            } else {
                added.add(new PrDocument.Added(
                        nexus(ua.registration().nexus()),
                        ua.registration().allTargetPorts(),
                        ua.asc(),
                        ua.ascq(),
                        false,
                        ua.abortTasks()));
            }
        }
        return base.next(
                next.generation(),
                regs,
                res,
                next.spc2Holder() == null ? null : nexus(next.spc2Holder()),
                next.softwareWriteProtect(),
                origin,
                added);
    }

    /**
     * A stored unit attention as the engine posts them: to every nexus its registration matched (and, for PREEMPT
     * AND ABORT, with their tasks aborted). The key is not stored with it and does not matter for matching.
     */
    static PrUnitAttention unitAttention(PendingUnitAttention p) {
        if (p.everyNexus()) {
            return p.exceptNexus()
                    ? PrUnitAttention.everyNexusExcept(id(p.nexus()), p.asc(), p.ascq())
                    : PrUnitAttention.everyNexus(p.asc(), p.ascq());
        }
        return new PrUnitAttention(
                new Registration(id(p.nexus()), -1L, false, p.allTgPt(), 0), p.asc(), p.ascq(), p.abortTasks());
    }

    static PrNexusId id(PrNexus n) {
        return new PrNexusId(n.initiatorPort(), n.targetPort());
    }

    static PrNexus nexus(PrNexusId id) {
        return new PrNexus(id.initiatorPortName(), id.targetPortName());
    }
}
