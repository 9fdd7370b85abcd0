package io.rbdgw.scsi.odx;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/** A token store in this process for engine tests: bounded, with an inactivity expiry on a test clock. */
final class MemoryRodTokens implements RodTokenService {
    final Map<String, Token> tokens = new HashMap<>();
    final Map<String, Long> lastUse = new HashMap<>();
    final AtomicLong nowMillis = new AtomicLong();
    int max = 16;

    @Override
    public synchronized CompletionStage<Void> create(Token token) {
        if (tokens.size() >= max) {
            return CompletableFuture.failedFuture(new TooManyTokens("test bound " + max));
        }
        tokens.put(token.lu() + "/" + token.id(), token);
        lastUse.put(token.lu() + "/" + token.id(), nowMillis.get());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<Lookup> use(String lu, String id) {
        String key = lu + "/" + id;
        Token t = tokens.get(key);
        if (t == null) {
            return CompletableFuture.completedFuture(new Lookup(Found.UNKNOWN, null));
        }
        if (nowMillis.get() - lastUse.get(key) >= t.inactivitySeconds() * 1000L) {
            tokens.remove(key);
            return CompletableFuture.completedFuture(new Lookup(Found.EXPIRED, null));
        }
        lastUse.put(key, nowMillis.get());
        return CompletableFuture.completedFuture(new Lookup(Found.FOUND, t));
    }

    @Override
    public synchronized CompletionStage<Void> delete(String lu, String id) {
        tokens.remove(lu + "/" + id);
        return CompletableFuture.completedFuture(null);
    }
}
