package io.rbdgw.scsi;

/**
 * Where conditions for later unit attentions are posted (SAM-5 5.14, SPC-4 4.5.6). A logical unit
 * keeps one queue per I_T nexus; the next command on that nexus (other than INQUIRY, REPORT LUNS and
 * REQUEST SENSE) gets CHECK CONDITION / UNIT ATTENTION with the oldest pending one.
 */
public interface UnitAttentions {

    /** Queues a unit attention for one nexus. */
    void post(ItNexus nexus, int asc, int ascq);

    /** Queues a unit attention for every known nexus except {@code except} (may be null: all). */
    void postAllExcept(ItNexus except, int asc, int ascq);
}
