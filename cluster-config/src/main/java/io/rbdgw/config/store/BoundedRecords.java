package io.rbdgw.config.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Makes the {@link ChangeRecord#bounded bounded} record of a bulk commit: the znodes it touched, with whole subtrees
 * named instead of their leaves until the record fits. Which subtrees: those whose re-reading costs the reader the
 * fewest znodes it did not need per character saved, so a new target (all of its subtree written) is named first,
 * then e.g. a target's {@code luns} whose every LUN changed, and a big list such as {@code disks} of which a few
 * were written only when nothing cheaper is left.
 */
final class BoundedRecords {
    private BoundedRecords() {}

    /**
     * @param touched  the znodes the commit created, changed or deleted, relative to {@code config/}
     * @param stored   every config znode after the commit, relative to {@code config/}
     * @param maxChars the most characters of paths the record may name
     * @return the bounded record, or the "everything" record if even the top-level subtrees do not fit
     */
    static ChangeRecord of(long epoch, Collection<String> touched, Collection<String> stored, long maxChars) {
        NavigableSet<String> entries = new TreeSet<>(touched);
        Set<String> roots = new HashSet<>();
        long chars = 0;
        for (String p : entries) {
            chars += p.length();
        }
        if (chars > maxChars) {
            chars = collapse(entries, roots, chars, stored, maxChars);
        }
        if (chars > maxChars) {
            return ChangeRecord.everything(epoch);
        }
        List<String> paths = new ArrayList<>();
        List<String> under = new ArrayList<>();
        for (String p : entries) {
            (roots.contains(p) ? under : paths).add(p);
        }
        return ChangeRecord.bounded(epoch, paths, under);
    }

    /** A subtree that could be named instead of what the commit touched in it. */
    private record Candidate(String path, double extraPerChar) {}

    private static long collapse(
            NavigableSet<String> entries, Set<String> roots, long chars, Collection<String> stored, long maxChars) {
        Map<String, Integer> storedUnder = new HashMap<>();
        for (String p : stored) {
            for (String a = p; a != null; a = parent(a)) {
                storedUnder.merge(a, 1, Integer::sum);
            }
        }
        Map<String, Integer> touchedUnder = new HashMap<>();
        Map<String, Long> charsUnder = new HashMap<>();
        for (String p : entries) {
            touchedUnder.merge(p, 1, Integer::sum);
            for (String a = parent(p); a != null; a = parent(a)) {
                touchedUnder.merge(a, 1, Integer::sum);
                charsUnder.merge(a, (long) p.length(), Long::sum);
            }
        }
        List<Candidate> candidates = new ArrayList<>();
        charsUnder.forEach((a, c) -> {
            long saved = c + (entries.contains(a) ? a.length() : 0) - a.length();
            if (saved > 0) {
                // znodes the reader reads without need: the stored subtree less what the commit wrote in it
                int extra = Math.max(0, storedUnder.getOrDefault(a, 0) - touchedUnder.getOrDefault(a, 0));
                candidates.add(new Candidate(a, (double) extra / saved));
            }
        });
        candidates.sort(Comparator.comparingDouble(Candidate::extraPerChar).thenComparing(Candidate::path));
        for (Candidate c : candidates) {
            if (chars <= maxChars) {
                break;
            }
            String a = c.path();
            if (covered(a, roots)) {
                continue;
            }
            NavigableSet<String> inside = entries.subSet(a + "/", true, a + "/\uffff", true);
            for (String p : inside) {
                chars -= p.length();
                roots.remove(p);
            }
            inside.clear();
            if (!entries.add(a)) {
                chars -= a.length(); // listed itself: now named as a subtree instead
            }
            chars += a.length();
            roots.add(a);
        }
        return chars;
    }

    /** Whether {@code path} is inside (or is) one of {@code roots}. */
    private static boolean covered(String path, Set<String> roots) {
        for (String a = path; a != null; a = parent(a)) {
            if (roots.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** The parent of a relative path, or null at the top. */
    static String parent(String relative) {
        int slash = relative.lastIndexOf('/');
        return slash < 0 ? null : relative.substring(0, slash);
    }
}
