package io.rbdgw.config.pr;

import java.util.ArrayList;
import java.util.List;

/**
 * The SCSI reservation state of one disk, shared by every gateway exporting it ({@code reservations/<pool>@<image>}).
 * Immutable; every change is one compare-and-set of the znode.
 *
 * @param generation     PRgeneration (32-bit, wraps)
 * @param registrations  the registrations, in registration order
 * @param reservation    the persistent reservation, or null
 * @param spc2Holder     the nexus holding an SPC-2 RESERVE, or null
 * @param uaSequence     the last {@link PendingUnitAttention#sequence()} used
 * @param unitAttentions the most recent unit attentions ({@link #MAX_PENDING_UAS} at most), oldest first
 * @param softwareWriteProtect SWP of the control mode page (MODE SELECT): medium writes through every gateway fail
 *                       with DATA PROTECT; absent in documents written before it existed (false)
 */
public record PrDocument(
        int generation,
        List<PrRegistration> registrations,
        PrReservation reservation,
        PrNexus spc2Holder,
        long uaSequence,
        List<PendingUnitAttention> unitAttentions,
        boolean softwareWriteProtect) {

    /**
     * Unit attentions kept: enough for every registration of a disk being preempted a few times over while a
     * gateway catches up; older ones are dropped (their nexuses have long seen them or are gone).
     */
    public static final int MAX_PENDING_UAS = 256;

    public static final PrDocument EMPTY = new PrDocument(0, List.of(), null, null, 0, List.of(), false);

    public PrDocument {
        registrations = registrations == null ? List.of() : List.copyOf(registrations);
        unitAttentions = unitAttentions == null ? List.of() : List.copyOf(unitAttentions);
    }

    /** A document without software write protection. */
    public PrDocument(
            int generation,
            List<PrRegistration> registrations,
            PrReservation reservation,
            PrNexus spc2Holder,
            long uaSequence,
            List<PendingUnitAttention> unitAttentions) {
        this(generation, registrations, reservation, spc2Holder, uaSequence, unitAttentions, false);
    }

    /** Whether any reservation state exists (a nexus could be refused a command). */
    public boolean hasState() {
        return !registrations.isEmpty() || reservation != null || spc2Holder != null;
    }

    /**
     * This document with the reservation state replaced and {@code added} unit attentions appended (sequenced from
     * here); SWP stays.
     */
    public PrDocument next(
            int newGeneration,
            List<PrRegistration> regs,
            PrReservation res,
            PrNexus spc2,
            String origin,
            List<Added> added) {
        return next(newGeneration, regs, res, spc2, softwareWriteProtect, origin, added);
    }

    /** This document with the state replaced and {@code added} unit attentions appended (sequenced from here). */
    public PrDocument next(
            int newGeneration,
            List<PrRegistration> regs,
            PrReservation res,
            PrNexus spc2,
            boolean swp,
            String origin,
            List<Added> added) {
        long seq = uaSequence;
        List<PendingUnitAttention> uas = new ArrayList<>(unitAttentions);
        for (Added a : added) {
            uas.add(new PendingUnitAttention(
                    ++seq,
                    origin,
                    a.nexus(),
                    a.allTgPt(),
                    a.asc(),
                    a.ascq(),
                    a.everyNexus(),
                    a.abortTasks(),
                    a.exceptNexus()));
        }
        if (uas.size() > MAX_PENDING_UAS) {
            uas = uas.subList(uas.size() - MAX_PENDING_UAS, uas.size());
        }
        return new PrDocument(newGeneration, regs, res, spc2, seq, uas, swp);
    }

    /** A unit attention to add, before it has a sequence (see {@link PendingUnitAttention}). */
    public record Added(
            PrNexus nexus,
            boolean allTgPt,
            int asc,
            int ascq,
            boolean everyNexus,
            boolean abortTasks,
            boolean exceptNexus) {
        public Added(PrNexus nexus, boolean allTgPt, int asc, int ascq) {
            this(nexus, allTgPt, asc, ascq, false, false, false);
        }

        public Added(PrNexus nexus, boolean allTgPt, int asc, int ascq, boolean everyNexus) {
            this(nexus, allTgPt, asc, ascq, everyNexus, false, false);
        }

        public Added(PrNexus nexus, boolean allTgPt, int asc, int ascq, boolean everyNexus, boolean abortTasks) {
            this(nexus, allTgPt, asc, ascq, everyNexus, abortTasks, false);
        }

        /** For every nexus of the logical unit on every gateway except {@code sender} (MODE PARAMETERS CHANGED). */
        public static Added everyNexusExcept(PrNexus sender, int asc, int ascq) {
            return new Added(sender, false, asc, ascq, true, false, true);
        }
    }
}
