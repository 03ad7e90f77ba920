package dev.formica.engine.rules;

import java.util.Arrays;

/**
 * The features of one decision in primitive slots: what rules, the scorecard and the line policy read.
 * A slot number comes from the {@link FeatureLayout}; ints and bools live in {@code longs}, doubles in
 * {@code doubles}, strings in {@code strings}. A slot not set in this decision is absent: expressions
 * read it as 0, 0.0, false or "" and the scorecard gives it its missing points.
 *
 * <p>Thread contract: scratch owned by one shard writer and reused for every decision; not thread-safe.
 */
public final class FeatureVector {
    final long[] longs;
    final double[] doubles;
    final CharSequence[] strings;
    final boolean[] present;

    public FeatureVector(int slots) {
        longs = new long[slots];
        doubles = new double[slots];
        strings = new CharSequence[slots];
        present = new boolean[slots];
    }

    public int capacity() {
        return present.length;
    }

    /** Marks every slot absent; keeps the arrays. */
    public FeatureVector clear() {
        Arrays.fill(present, false);
        Arrays.fill(strings, null);
        return this;
    }

    public FeatureVector setInt(int slot, long value) {
        longs[slot] = value;
        present[slot] = true;
        return this;
    }

    public FeatureVector setBool(int slot, boolean value) {
        longs[slot] = value ? 1 : 0;
        present[slot] = true;
        return this;
    }

    public FeatureVector setDouble(int slot, double value) {
        doubles[slot] = value;
        present[slot] = true;
        return this;
    }

    /** Stores the reference (no copy); a null value leaves the slot absent. */
    public FeatureVector setString(int slot, CharSequence value) {
        if (value != null) {
            strings[slot] = value;
            present[slot] = true;
        }
        return this;
    }

    public boolean isPresent(int slot) {
        return present[slot];
    }

    public long getInt(int slot) {
        return present[slot] ? longs[slot] : 0;
    }

    public boolean getBool(int slot) {
        return present[slot] && longs[slot] != 0;
    }

    public double getDouble(int slot) {
        return present[slot] ? doubles[slot] : 0.0;
    }

    public CharSequence getString(int slot) {
        CharSequence s = strings[slot];
        return present[slot] && s != null ? s : "";
    }
}
