package io.rbdgw.iscsi.pdu;

/**
 * Socket-read memory that data segments handed on as slices may keep alive, shared by the decoders of one server
 * ({@link IscsiPduDecoder#boundPins}). A decoder takes a read's whole capacity once, when the first slice of it
 * goes out, and gives it back when the last one is released; a segment that would go over is copied instead.
 */
public interface ReadPinBudget {

    /** Takes {@code bytes}; false (nothing taken) when that would go over the budget. Any thread. */
    boolean tryPin(long bytes);

    /** Gives back what {@link #tryPin} took. Any thread. */
    void unpin(long bytes);
}
