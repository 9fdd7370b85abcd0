package io.rbdgw.config.store;

import java.util.List;

/**
 * What the commit of one epoch wrote, stored at {@code config/changes/<epoch>} in the same transaction, as paths
 * relative to {@code config/}. A reader at the epoch before reads just those znodes instead of the whole
 * configuration. Three forms:
 *
 * <ul>
 *   <li><b>listed</b> ({@code all} false): the znodes created, changed and deleted, one by one. Every version of the
 *       store reads this form.
 *   <li><b>bounded</b> ({@code all} true, {@code paths} present): a bulk commit too large to list leaf by leaf. It
 *       names the znodes it wrote or deleted in {@code paths} and, in {@code under}, whole subtrees (e.g. a new
 *       target, or {@code targets/<iqn>/luns}) that a reader re-reads by listing them. A reader of a version without
 *       this form sees {@code all} and reads everything, which is still correct.
 *   <li><b>everything</b> ({@code all} true, no {@code paths}): a reader must read everything (what a previous
 *       version wrote for any commit over its limit).
 * </ul>
 *
 * @param all     not listed leaf by leaf: a reader that does not know {@code paths} must read everything
 * @param created znodes created (containers included; parents before children)
 * @param changed znodes whose document changed
 * @param deleted znodes deleted (children before parents)
 * @param paths   bounded form: znodes written or deleted (a reader reads each; absent means deleted); null otherwise
 * @param under   bounded form: subtrees replaced by what is stored in them now; null otherwise
 */
public record ChangeRecord(
        long epoch,
        boolean all,
        List<String> created,
        List<String> changed,
        List<String> deleted,
        List<String> paths,
        List<String> under) {
    public ChangeRecord {
        created = created == null ? List.of() : List.copyOf(created);
        changed = changed == null ? List.of() : List.copyOf(changed);
        deleted = deleted == null ? List.of() : List.copyOf(deleted);
        paths = paths == null ? null : List.copyOf(paths);
        under = paths == null ? null : under == null ? List.of() : List.copyOf(under);
    }

    /** The listed form. */
    public static ChangeRecord listed(long epoch, List<String> created, List<String> changed, List<String> deleted) {
        return new ChangeRecord(epoch, false, created, changed, deleted, null, null);
    }

    /** The bounded form of a bulk commit (read as "everything" by readers that do not know it). */
    public static ChangeRecord bounded(long epoch, List<String> paths, List<String> under) {
        return new ChangeRecord(epoch, true, null, null, null, paths, under);
    }

    /** A record that lists nothing and tells readers to read everything. */
    public static ChangeRecord everything(long epoch) {
        return new ChangeRecord(epoch, true, null, null, null, null, null);
    }

    /** Whether this record is in the bounded form. */
    public boolean boundedForm() {
        return paths != null;
    }
}
