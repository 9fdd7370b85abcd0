package io.rbdgw.config.store;

import java.util.List;

/**
 * What the commit of one epoch wrote, stored at {@code config/changes/<epoch>} in the same transaction: the config
 * znodes it created, changed and deleted, as paths relative to {@code config/}. A reader at the epoch before reads
 * just those znodes instead of the whole configuration. A commit that wrote too much to list says {@code all}.
 *
 * @param all     the commit is not listed: a reader must read everything
 * @param created znodes created (containers included; parents before children)
 * @param changed znodes whose document changed
 * @param deleted znodes deleted (children before parents)
 */
public record ChangeRecord(long epoch, boolean all, List<String> created, List<String> changed, List<String> deleted) {
    public ChangeRecord {
        created = created == null ? List.of() : List.copyOf(created);
        changed = changed == null ? List.of() : List.copyOf(changed);
        deleted = deleted == null ? List.of() : List.copyOf(deleted);
    }

    /** A record that lists nothing and tells readers to read everything. */
    public static ChangeRecord everything(long epoch) {
        return new ChangeRecord(epoch, true, List.of(), List.of(), List.of());
    }
}
