package dev.formica.engine.state;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * What one credit line's exposure (held + drawn) is attributed to, for the concentration limits: the region and
 * related-party group of the borrower (for the whole line), and entries for the parts of it: one per active hold
 * (its merchant and, for a BUSINESS_LOAN, its industry) and drawn tranches per (merchant, industry), oldest first.
 * Invariant, checked at start-up: the holds' entries add up to the line's held amount and the drawn tranches to its
 * drawn amount. Confirm turns a hold's entry into drawn (merged into the tranche of the same merchant and industry);
 * Cancel and expiry remove it; a repayment reduces the drawn tranches oldest first.
 *
 * <p>Encoding (little-endian): format byte, region, group, entry count (u16), then per entry the hold id (0 = a
 * drawn tranche), merchant, industry and amount; strings as a length byte and UTF-16 chars. At most
 * {@value #MAX_ENTRIES} entries: when a new one would be the next, the oldest drawn tranche loses its merchant and
 * industry (merged into one unattributed tranche, see {@link #makeRoom}).
 *
 * <p>Thread contract: a reusable scratch object of one thread (the shard's writer, or start-up); decoding and
 * encoding allocate nothing once its arrays have grown.
 */
public final class ExposureRecord {
    /** The most entries one line keeps. */
    public static final int MAX_ENTRIES = 128;
    /** Longest key kept, chars (ids are at most 64). */
    public static final int MAX_KEY_CHARS = StateConfig.MAX_ID_CHARS;
    static final byte FORMAT = 1;

    private final StringBuilder region = new StringBuilder(16);
    private final StringBuilder group = new StringBuilder(16);
    private int count;
    private long[] holdIds = new long[8];
    private long[] amounts = new long[8];
    private StringBuilder[] merchants = builders(8);
    private StringBuilder[] industries = builders(8);

    private static StringBuilder[] builders(int n) {
        StringBuilder[] b = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            b[i] = new StringBuilder(16);
        }
        return b;
    }

    /** Empties the record (no entries, empty region and group). */
    public ExposureRecord clear() {
        region.setLength(0);
        group.setLength(0);
        count = 0;
        return this;
    }

    public CharSequence region() {
        return region;
    }

    public CharSequence group() {
        return group;
    }

    public ExposureRecord region(CharSequence r) {
        set(region, r);
        return this;
    }

    public ExposureRecord group(CharSequence g) {
        set(group, g);
        return this;
    }

    public int count() {
        return count;
    }

    /** The hold id of entry {@code i}; 0 for a drawn tranche. */
    public long holdId(int i) {
        return holdIds[i];
    }

    public CharSequence merchant(int i) {
        return merchants[i];
    }

    public CharSequence industry(int i) {
        return industries[i];
    }

    public long amount(int i) {
        return amounts[i];
    }

    /** Held + drawn attributed by this record. */
    public long total() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += amounts[i];
        }
        return sum;
    }

    /** The holds' part of {@link #total}. */
    public long held() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += holdIds[i] != 0 ? amounts[i] : 0;
        }
        return sum;
    }

    /** The entry of a hold, or -1. */
    public int indexOfHold(long holdId) {
        for (int i = 0; i < count; i++) {
            if (holdIds[i] == holdId) {
                return i;
            }
        }
        return -1;
    }

    /** Whether a new entry fits without {@link #makeRoom}. */
    public boolean full() {
        return count >= MAX_ENTRIES;
    }

    /**
     * Frees one entry when the record is full: the oldest drawn tranche (or the oldest two, when the oldest is
     * already the unattributed one) is merged into an unattributed tranche at the front.
     *
     * @param dropped receives, as its entry 0, the merchant, industry and amount whose attribution was dropped (the
     *        caller releases them from the concentration table's merchant and industry keys)
     * @return false when nothing could be freed (every entry but an unattributed tranche is a hold)
     */
    public boolean makeRoom(ExposureRecord dropped) {
        dropped.clear();
        int first = -1;
        int second = -1;
        for (int i = 0; i < count && second < 0; i++) {
            if (holdIds[i] == 0) {
                if (first < 0) {
                    first = i;
                } else {
                    second = i;
                }
            }
        }
        if (first < 0) {
            return false;
        }
        boolean firstUnattributed = merchants[first].length() == 0 && industries[first].length() == 0;
        int victim = firstUnattributed ? second : first;
        if (victim < 0) {
            return false; // one unattributed tranche and the rest holds
        }
        dropped.add(0, merchants[victim], industries[victim], amounts[victim]);
        if (firstUnattributed) {
            amounts[first] += amounts[victim];
            remove(victim);
        } else {
            merchants[first].setLength(0);
            industries[first].setLength(0);
        }
        return true;
    }

    /** Appends an entry (a hold, or a drawn tranche when {@code holdId} is 0) at the end (the newest). */
    public void add(long holdId, CharSequence merchant, CharSequence industry, long amountMinor) {
        grow(count + 1);
        holdIds[count] = holdId;
        set(merchants[count], merchant);
        set(industries[count], industry);
        amounts[count] = amountMinor;
        count++;
    }

    /** Removes entry {@code i}, keeping the others in order. */
    public void remove(int i) {
        long h = holdIds[i];
        StringBuilder m = merchants[i];
        StringBuilder ind = industries[i];
        long a = amounts[i];
        for (int j = i; j < count - 1; j++) {
            holdIds[j] = holdIds[j + 1];
            merchants[j] = merchants[j + 1];
            industries[j] = industries[j + 1];
            amounts[j] = amounts[j + 1];
        }
        count--;
        holdIds[count] = h; // keep the builders for reuse
        merchants[count] = m;
        industries[count] = ind;
        amounts[count] = a;
    }

    /**
     * A hold became drawn: its entry joins the drawn tranche of the same merchant and industry, or becomes the newest
     * drawn tranche.
     */
    public void confirm(int i) {
        for (int j = 0; j < count; j++) {
            if (j != i && holdIds[j] == 0 && equal(merchants[j], merchants[i]) && equal(industries[j], industries[i])) {
                amounts[j] += amounts[i];
                remove(i);
                return;
            }
        }
        holdIds[i] = 0;
        // move it to the end: the newest tranche
        long a = amounts[i];
        StringBuilder m = merchants[i];
        StringBuilder ind = industries[i];
        for (int j = i; j < count - 1; j++) {
            holdIds[j] = holdIds[j + 1];
            merchants[j] = merchants[j + 1];
            industries[j] = industries[j + 1];
            amounts[j] = amounts[j + 1];
        }
        holdIds[count - 1] = 0;
        merchants[count - 1] = m;
        industries[count - 1] = ind;
        amounts[count - 1] = a;
    }

    /** Lowers entry {@code i} by {@code amountMinor} (at most its amount); removes it at 0. */
    public void reduce(int i, long amountMinor) {
        amounts[i] -= amountMinor;
        if (amounts[i] <= 0) {
            remove(i);
        }
    }

    /** The first drawn tranche (the oldest), or -1. */
    public int oldestDrawn() {
        for (int i = 0; i < count; i++) {
            if (holdIds[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    // ---- encoding ----------------------------------------------------------------------------------------------

    /** Bytes {@link #encode} writes. */
    public int encodedLength() {
        int n = 1 + 1 + 2 * region.length() + 1 + 2 * group.length() + 2;
        for (int i = 0; i < count; i++) {
            n += 8 + 1 + 2 * merchants[i].length() + 1 + 2 * industries[i].length() + 8;
        }
        return n;
    }

    /** Writes the record at {@code out[0..]}; returns the length. */
    public int encode(MutableDirectBuffer out) {
        int at = 0;
        out.putByte(at++, FORMAT);
        at = putString(out, at, region);
        at = putString(out, at, group);
        out.putShort(at, (short) count);
        at += 2;
        for (int i = 0; i < count; i++) {
            out.putLong(at, holdIds[i]);
            at += 8;
            at = putString(out, at, merchants[i]);
            at = putString(out, at, industries[i]);
            out.putLong(at, amounts[i]);
            at += 8;
        }
        return at;
    }

    /** Reads a record {@link #encode} wrote. */
    public ExposureRecord decode(DirectBuffer in, int offset, int length) {
        clear();
        int at = offset;
        byte format = in.getByte(at++);
        if (format != FORMAT) {
            throw new IllegalStateException("exposure record of format " + format + "; this build reads " + FORMAT);
        }
        at = getString(in, at, region);
        at = getString(in, at, group);
        int n = in.getShort(at) & 0xffff;
        at += 2;
        grow(n);
        for (int i = 0; i < n; i++) {
            holdIds[i] = in.getLong(at);
            at += 8;
            at = getString(in, at, merchants[i]);
            at = getString(in, at, industries[i]);
            amounts[i] = in.getLong(at);
            at += 8;
        }
        count = n;
        if (at - offset != length) {
            throw new IllegalStateException("exposure record of " + length + " bytes decoded to " + (at - offset));
        }
        return this;
    }

    private static int putString(MutableDirectBuffer out, int at, CharSequence s) {
        int n = s.length();
        out.putByte(at++, (byte) n);
        for (int i = 0; i < n; i++) {
            out.putChar(at, s.charAt(i));
            at += 2;
        }
        return at;
    }

    private static int getString(DirectBuffer in, int at, StringBuilder s) {
        int n = in.getByte(at++) & 0xff;
        s.setLength(0);
        for (int i = 0; i < n; i++) {
            s.append(in.getChar(at));
            at += 2;
        }
        return at;
    }

    private void grow(int n) {
        if (n <= holdIds.length) {
            return;
        }
        int size = Math.max(n, holdIds.length * 2);
        holdIds = java.util.Arrays.copyOf(holdIds, size);
        amounts = java.util.Arrays.copyOf(amounts, size);
        StringBuilder[] m = builders(size);
        StringBuilder[] ind = builders(size);
        System.arraycopy(merchants, 0, m, 0, merchants.length);
        System.arraycopy(industries, 0, ind, 0, industries.length);
        merchants = m;
        industries = ind;
    }

    private static void set(StringBuilder to, CharSequence from) {
        to.setLength(0);
        int n = Math.min(MAX_KEY_CHARS, from.length());
        for (int i = 0; i < n; i++) {
            to.append(from.charAt(i));
        }
    }

    /** Whether two char sequences hold the same chars. */
    public static boolean equal(CharSequence a, CharSequence b) {
        int n = a.length();
        if (n != b.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (a.charAt(i) != b.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("region=").append(region).append(" group=").append(group);
        for (int i = 0; i < count; i++) {
            sb.append(" [").append(holdIds[i] == 0 ? "drawn" : Long.toHexString(holdIds[i])).append(' ')
                    .append(merchants[i]).append('/').append(industries[i]).append(' ').append(amounts[i]).append(']');
        }
        return sb.toString();
    }
}
