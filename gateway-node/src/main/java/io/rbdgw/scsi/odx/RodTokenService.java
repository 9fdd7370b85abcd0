package io.rbdgw.scsi.odx;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where ROD tokens live while they are valid (the gateway keeps them in ZooKeeper, shared by every gateway). Every
 * call returns at once; the stage completes on the service's own thread, never on the caller's event loop.
 */
public interface RodTokenService {

    /** A source range of a token, in the creator's logical blocks. */
    record Range(long lba, long blocks) {}

    /**
     * A token as stored.
     *
     * @param id                hex of the token's random identifier (also inside {@code bytes})
     * @param lu                the creating logical unit's NAA designator in hex
     * @param blockSize         the creator's logical block length
     * @param ranges            the source ranges in ROD order
     * @param bytes             the 512-byte token as handed out
     * @param inactivitySeconds the token expires this long after its last use
     */
    record Token(String id, String lu, int blockSize, List<Range> ranges, byte[] bytes, int inactivitySeconds) {
        public Token {
            ranges = List.copyOf(ranges);
            bytes = bytes.clone();
        }

        /** Blocks the token represents. */
        public long blocks() {
            long n = 0;
            for (Range r : ranges) {
                n += r.blocks();
            }
            return n;
        }
    }

    /** What a lookup found. */
    enum Found {
        FOUND,
        /** never created here, deleted, or swept after it expired */
        UNKNOWN,
        /** expired before this use (and deleted now) */
        EXPIRED
    }

    /** @param token the token when {@link Found#FOUND}, else null */
    record Lookup(Found result, Token token) {}

    /** The bound of live tokens is reached: POPULATE TOKEN fails with 05/55/0D. */
    final class TooManyTokens extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TooManyTokens(String message) {
            super(message);
        }
    }

    /** Stores a new token; fails with {@link TooManyTokens} past the bounds. */
    CompletionStage<Void> create(Token token);

    /** Looks up token {@code id} of logical unit {@code lu} and marks it used. */
    CompletionStage<Lookup> use(String lu, String id);

    /** Deletes a token (WRITE USING TOKEN with DEL_TKN). */
    CompletionStage<Void> delete(String lu, String id);
}
