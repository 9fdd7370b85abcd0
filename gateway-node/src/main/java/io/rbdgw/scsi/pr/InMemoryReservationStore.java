package io.rbdgw.scsi.pr;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/** Reservation state of a single gateway: lost when the process ends. */
public final class InMemoryReservationStore implements ReservationStore {

    private final AtomicReference<PrState> state;

    public InMemoryReservationStore() {
        this(PrState.EMPTY);
    }

    public InMemoryReservationStore(PrState initial) {
        this.state = new AtomicReference<>(initial);
    }

    @Override
    public PrState current() {
        return state.get();
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(PrState expected, PrState next) {
        return CompletableFuture.completedFuture(state.compareAndSet(expected, next));
    }
}
