package dev.formica.engine.pipeline;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;

/**
 * The start-up reconciliation's view of a shard's lines and their active holds, in primitive arrays: no object per
 * line or per hold. The active holds are added first ({@link #addHold}), grouped by their line; then each ledger line
 * ({@link #addLine}) finds its group and with it the sum the ledger's held must equal.
 *
 * <p>Groups are found through a 64-bit hash of the line (borrower id and product) but never trusted on the hash
 * alone: each group keeps the characters of its line, a hold is added to a group only if its line is equal to the
 * group's, and a ledger line takes a group only if equal to it. A hold whose line collides with another's goes to a
 * group of its own found by its exact key ({@code spill}: a map with a string per colliding line, empty in practice),
 * so a collision can neither merge two lines' holds nor give a line holds that are not its own.
 *
 * <p>Thread contract: one thread (the shard's recovery). Not reused.
 */
final class RecoveryLines {
    /** The hash of a line: {@link #hash} in production, any function (a constant, to force collisions) in tests. */
    @FunctionalInterface
    interface LineHash {
        long of(CharSequence borrowerId, int product);
    }

    private static final long NONE = -1;
    private static final int END = -1;

    private final LineHash lineHash;
    private final Long2LongHashMap groupOfHash;
    private Map<String, Integer> spill;
    private final Long2LongHashMap lineOfHash;
    /** Ledger lines whose hash an earlier ledger line has, by exact key (null: none). */
    private Map<String, Integer> lineSpill;

    // groups (one per line with active holds): its line's characters, first and last hold, sum of the amounts
    private char[] groupChars = new char[1 << 12];
    private int groupCharsUsed;
    private int[] groupCharStart = new int[256];
    private int[] groupCharLength = new int[256];
    private int[] groupProduct = new int[256];
    private int[] groupFirst = new int[256];
    private int[] groupLast = new int[256];
    private long[] groupHeld = new long[256];
    private int groups;

    // holds, chained per group in the order they were added
    private long[] holdIds = new long[1024];
    private long[] holdAmounts = new long[1024];
    private int[] holdNext = new int[1024];
    private int holds;

    // ledger lines, in the order they were added: their characters, product, group (or -1), drawn balance
    private char[] lineChars = new char[1 << 12];
    private int lineCharsUsed;
    private int[] lineCharStart = new int[256];
    private int[] lineCharLength = new int[256];
    private int[] lineProduct = new int[256];
    private int[] lineGroup = new int[256];
    private long[] lineDrawn = new long[256];
    private int lines;

    private final LineView view = new LineView();

    RecoveryLines(int expectedLines) {
        this(expectedLines, RecoveryLines::hash);
    }

    RecoveryLines(int expectedLines, LineHash lineHash) {
        this.lineHash = lineHash;
        this.groupOfHash = new Long2LongHashMap(Math.max(16, expectedLines * 2), 0.65f, NONE);
        this.lineOfHash = new Long2LongHashMap(Math.max(16, expectedLines * 2), 0.65f, NONE);
    }

    /** A 64-bit hash of a line: FNV-1a over the characters and the product, then a final mix. */
    static long hash(CharSequence borrowerId, int product) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = borrowerId.length(); i < n; i++) {
            h = (h ^ borrowerId.charAt(i)) * 0x100000001b3L;
        }
        h = (h ^ product) * 0x100000001b3L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }

    /** Adds an active hold of a line (its amount counts towards the line's held). */
    void addHold(CharSequence borrowerId, int product, long holdId, long amountMinor) {
        long h = lineHash.of(borrowerId, product);
        long found = groupOfHash.get(h);
        int g;
        if (found == NONE) {
            g = newGroup(borrowerId, product);
            groupOfHash.put(h, g);
        } else if (groupIs((int) found, borrowerId, product)) {
            g = (int) found;
        } else {
            g = spilled(borrowerId, product, true);
        }
        if (holds == holdIds.length) {
            holdIds = Arrays.copyOf(holdIds, holds * 2);
            holdAmounts = Arrays.copyOf(holdAmounts, holds * 2);
            holdNext = Arrays.copyOf(holdNext, holds * 2);
        }
        holdIds[holds] = holdId;
        holdAmounts[holds] = amountMinor;
        holdNext[holds] = END;
        if (groupFirst[g] == END) {
            groupFirst[g] = holds;
        } else {
            holdNext[groupLast[g]] = holds;
        }
        groupLast[g] = holds++;
        groupHeld[g] += amountMinor;
    }

    /**
     * Adds a ledger line (each line once) and returns its index: its active holds are those {@link #addHold} added
     * for the same borrower id and product.
     */
    int addLine(CharSequence borrowerId, int product, long drawnMinor) {
        long h = lineHash.of(borrowerId, product);
        long found = groupOfHash.get(h);
        int g = END;
        if (found != NONE && groupIs((int) found, borrowerId, product)) {
            g = (int) found;
        } else if (spill != null) {
            g = spilled(borrowerId, product, false);
        }
        if (lines == lineProduct.length) {
            int n = lines * 2;
            lineCharStart = Arrays.copyOf(lineCharStart, n);
            lineCharLength = Arrays.copyOf(lineCharLength, n);
            lineProduct = Arrays.copyOf(lineProduct, n);
            lineGroup = Arrays.copyOf(lineGroup, n);
            lineDrawn = Arrays.copyOf(lineDrawn, n);
        }
        int length = borrowerId.length();
        lineChars = ensure(lineChars, lineCharsUsed + length);
        for (int i = 0; i < length; i++) {
            lineChars[lineCharsUsed + i] = borrowerId.charAt(i);
        }
        lineCharStart[lines] = lineCharsUsed;
        lineCharLength[lines] = length;
        lineCharsUsed += length;
        lineProduct[lines] = product;
        lineGroup[lines] = g;
        lineDrawn[lines] = drawnMinor;
        if (lineOfHash.get(h) == NONE) {
            lineOfHash.put(h, lines);
        } else {
            if (lineSpill == null) {
                lineSpill = new HashMap<>();
            }
            lineSpill.put(product + ":" + borrowerId, lines);
        }
        return lines++;
    }

    /** The index {@link #addLine} gave the line, or -1 if it was not added (exact: never another line's). */
    int lineOf(CharSequence borrowerId, int product) {
        long found = lineOfHash.get(lineHash.of(borrowerId, product));
        if (found != NONE && lineIs((int) found, borrowerId, product)) {
            return (int) found;
        }
        if (lineSpill == null) {
            return END;
        }
        Integer spilled = lineSpill.get(product + ":" + borrowerId);
        return spilled == null ? END : spilled;
    }

    private boolean lineIs(int line, CharSequence borrowerId, int product) {
        int length = borrowerId.length();
        if (lineProduct[line] != product || lineCharLength[line] != length) {
            return false;
        }
        int start = lineCharStart[line];
        for (int i = 0; i < length; i++) {
            if (lineChars[start + i] != borrowerId.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    int lineCount() {
        return lines;
    }

    /** The line's borrower id: a view valid until the next call (no copy). */
    CharSequence borrowerId(int line) {
        return view.of(lineChars, lineCharStart[line], lineCharLength[line]);
    }

    int product(int line) {
        return lineProduct[line];
    }

    long drawn(int line) {
        return lineDrawn[line];
    }

    /** The sum of the line's active holds (what its held must be). */
    long held(int line) {
        int g = lineGroup[line];
        return g == END ? 0 : groupHeld[g];
    }

    /** Replaces {@code ids} and {@code amounts} with the line's active holds, in the order they were added. */
    void holdsOf(int line, LongArrayList ids, LongArrayList amounts) {
        ids.clear();
        amounts.clear();
        int g = lineGroup[line];
        for (int h = g == END ? END : groupFirst[g]; h != END; h = holdNext[h]) {
            ids.addLong(holdIds[h]);
            amounts.addLong(holdAmounts[h]);
        }
    }

    private boolean groupIs(int g, CharSequence borrowerId, int product) {
        int length = borrowerId.length();
        if (groupProduct[g] != product || groupCharLength[g] != length) {
            return false;
        }
        int start = groupCharStart[g];
        for (int i = 0; i < length; i++) {
            if (groupChars[start + i] != borrowerId.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The group of a line whose hash another line's group has, found by its exact key; END if none and not adding. */
    private int spilled(CharSequence borrowerId, int product, boolean add) {
        if (spill == null) {
            spill = new HashMap<>();
        }
        String key = product + ":" + borrowerId;
        Integer g = spill.get(key);
        if (g != null) {
            return g;
        }
        if (!add) {
            return END;
        }
        int made = newGroup(borrowerId, product);
        spill.put(key, made);
        return made;
    }

    private int newGroup(CharSequence borrowerId, int product) {
        if (groups == groupProduct.length) {
            int n = groups * 2;
            groupCharStart = Arrays.copyOf(groupCharStart, n);
            groupCharLength = Arrays.copyOf(groupCharLength, n);
            groupProduct = Arrays.copyOf(groupProduct, n);
            groupFirst = Arrays.copyOf(groupFirst, n);
            groupLast = Arrays.copyOf(groupLast, n);
            groupHeld = Arrays.copyOf(groupHeld, n);
        }
        int length = borrowerId.length();
        groupChars = ensure(groupChars, groupCharsUsed + length);
        for (int i = 0; i < length; i++) {
            groupChars[groupCharsUsed + i] = borrowerId.charAt(i);
        }
        groupCharStart[groups] = groupCharsUsed;
        groupCharLength[groups] = length;
        groupCharsUsed += length;
        groupProduct[groups] = product;
        groupFirst[groups] = END;
        groupLast[groups] = END;
        groupHeld[groups] = 0;
        return groups++;
    }

    private static char[] ensure(char[] chars, int needed) {
        return needed <= chars.length ? chars : Arrays.copyOf(chars, Math.max(needed, chars.length * 2));
    }

    /** The characters of another sequence from an offset on (a raw key's borrower id), without a copy. */
    static final class Tail implements CharSequence {
        private CharSequence of;
        private int from;

        Tail of(CharSequence sequence, int offset) {
            of = sequence;
            from = offset;
            return this;
        }

        @Override
        public int length() {
            return of.length() - from;
        }

        @Override
        public char charAt(int index) {
            return of.charAt(from + index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return of.subSequence(from + start, from + end);
        }

        @Override
        public String toString() {
            return of.subSequence(from, of.length()).toString();
        }
    }

    /** A borrower id's characters in one of the arrays, without a copy. */
    private static final class LineView implements CharSequence {
        private char[] chars;
        private int start;
        private int length;

        LineView of(char[] from, int at, int n) {
            chars = from;
            start = at;
            length = n;
            return this;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int index) {
            return chars[start + index];
        }

        @Override
        public CharSequence subSequence(int from, int to) {
            return new String(chars, start + from, to - from);
        }

        @Override
        public String toString() {
            return new String(chars, start, length);
        }
    }
}
