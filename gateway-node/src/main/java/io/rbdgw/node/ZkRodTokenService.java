package io.rbdgw.node;

import io.rbdgw.config.rod.RodTokenRecord;
import io.rbdgw.config.rod.RodTokens;
import io.rbdgw.scsi.odx.OdxLimits;
import io.rbdgw.scsi.odx.RodTokenService;
import java.io.Closeable;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The ODX token store of a gateway: {@link RodTokens} in ZooKeeper, shared by every gateway, called on two
 * {@code rod-tokens} threads (never an event loop) with a bounded queue; a full queue fails the command retryably.
 */
final class ZkRodTokenService implements RodTokenService, Closeable {

    private static final HexFormat HEX = HexFormat.of();

    private final RodTokens tokens;
    private final ThreadPoolExecutor executor;

    ZkRodTokenService(RodTokens tokens) {
        this.tokens = tokens;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "rod-tokens-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletionStage<Void> create(Token token) {
        return run(() -> {
            try {
                tokens.create(new RodTokenRecord(
                        token.id(),
                        token.lu(),
                        token.blockSize(),
                        token.ranges().stream()
                                .map(r -> new RodTokenRecord.Range(r.lba(), r.blocks()))
                                .toList(),
                        HEX.formatHex(token.bytes()),
                        0,
                        0,
                        token.inactivitySeconds(),
                        OdxLimits.MAX_LIFETIME_SECONDS));
                return null;
            } catch (RodTokens.TooManyTokens e) {
                throw new TooManyTokens(e.getMessage());
            }
        });
    }

    @Override
    public CompletionStage<Lookup> use(String lu, String id) {
        return run(() -> {
            RodTokens.Lookup l = tokens.use(lu, id);
            if (l instanceof RodTokens.Found f) {
                return new Lookup(Found.FOUND, token(f.token()));
            }
            return new Lookup(l instanceof RodTokens.Expired ? Found.EXPIRED : Found.UNKNOWN, null);
        });
    }

    @Override
    public CompletionStage<Void> delete(String lu, String id) {
        return run(() -> {
            tokens.delete(lu, id);
            return null;
        });
    }

    private static Token token(RodTokenRecord r) {
        List<Range> ranges =
                r.ranges().stream().map(x -> new Range(x.lba(), x.blocks())).toList();
        return new Token(r.id(), r.lu(), r.blockSize(), ranges, HEX.parseHex(r.token()), r.inactivitySeconds());
    }

    private <T> CompletionStage<T> run(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        tokens.close();
    }
}
