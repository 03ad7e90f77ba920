package dev.formica.engine.pipeline;

import dev.formica.engine.risk.ConcentrationGuard;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.state.ExposureBook;
import dev.formica.engine.state.ExposureRecord;
import dev.formica.engine.state.ShardState;
import dev.formica.v1.Profile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

/**
 * One shard's part of the concentration limits: each line's exposure record (what its held and drawn balance is
 * attributed to, {@link ExposureRecord}) kept in step with the ledger, and the engine-wide table changed with it
 * through a {@link ConcentrationGuard}. A Decide reserves on the table ({@link #reserve}) and, once approved, records
 * the hold ({@link #hold}); Confirm turns the hold into drawn, Cancel and expiry {@link #release} it, Repay reduces the
 * drawn tranches oldest first, a profile write {@link #move}s the line to its new region or group. Every record write
 * is an operation of the command's log frame; the table is rebuilt from the records at start-up.
 *
 * <p>Thread contract: the shard's single writer (and start-up before the shard runs). Allocation-free on the
 * command paths (reused records, the store's reused buffer); the texts of a decline allocate.
 */
final class ShardExposures {
    private final ShardState state;
    private final ConcentrationGuard guard;
    /** The record of the line a command works on ({@link #reserve} leaves it for {@link #hold}). */
    private final ExposureRecord exposure = new ExposureRecord();
    private final ExposureRecord dropped = new ExposureRecord();
    private final Releasing releasing = new Releasing();
    /**
     * Whether the table holds this shard's records already while {@link #reconcile} runs, so that its repairs must
     * change the table too (a replicated node, whose table follows every group it hosts); false: the table is filled
     * from the records after the reconciliation ({@link #addAllToTable}).
     */
    private boolean tableHoldsRecords;

    ShardExposures(ShardState state, ConcentrationTable table) {
        this.state = state;
        this.guard = new ConcentrationGuard(table);
    }

    /** The table holds this shard's records from now on: {@link #reconcile}'s repairs change it (replicated nodes). */
    void tableHoldsRecords() {
        tableHoldsRecords = true;
    }

    /**
     * Keeps {@code table} the sum of the exposure records a replayed frame changes: each record a frame replaces is
     * taken off, the record it stores added (a replicated node's groups, followed or led, after their snapshots were
     * {@linkplain #addAllToTable(ShardState, ConcentrationTable) added}).
     */
    static dev.formica.engine.state.StateOps.ExposureListener follower(ConcentrationTable table) {
        ConcentrationGuard guard = new ConcentrationGuard(table); // add and release keep no state in the guard
        return (before, after) -> {
            if (before != null) {
                count(guard, before, -1);
            }
            if (after != null) {
                count(guard, after, 1);
            }
        };
    }

    /** Adds every exposure record of {@code state} to {@code table} (a group's snapshot as it is loaded). */
    static void addAllToTable(ShardState state, ConcentrationTable table) {
        addAll(state, new ConcentrationGuard(table));
    }

    private static void addAll(ShardState state, ConcentrationGuard guard) {
        state.exposures().forEach((borrowerId, product, record) -> count(guard, record, 1));
    }

    /** Adds ({@code sign} 1) or takes off (-1) every entry of {@code record}. */
    private static void count(ConcentrationGuard guard, ExposureRecord record, int sign) {
        for (int i = 0; i < record.count(); i++) {
            if (sign > 0) {
                guard.add(record.region(), record.industry(i), record.merchant(i), record.group(), record.amount(i));
            } else {
                guard.release(record.region(), record.industry(i), record.merchant(i), record.group(),
                        record.amount(i));
            }
        }
    }

    /** Reads the line's record, or starts one attributed to {@code region} and the profile's group. */
    private void load(String borrowerId, int product, String region, Profile profile) {
        if (!state.exposures().read(borrowerId, product, exposure)) {
            exposure.region(region).group(profile == null ? "" : profile.getGroupId());
        }
    }

    /**
     * Reserves a decision's amount on its region, industry, merchant and group (the line's region and group, fixed
     * while it has exposure); exact against each limit. On false nothing is reserved and
     * {@link #declineReasonFirst} says which limit and the headroom it left.
     *
     * @param region where the borrower is (the profile's registered region, else the request's)
     * @param industry the merchant category of a BUSINESS_LOAN; "" otherwise
     */
    boolean reserve(CompiledRuleSet rules, RegulatoryParameters.Limits limits, String borrowerId, int product,
            String region, Profile profile, String merchant, String industry, long amountMinor) {
        load(borrowerId, product, region, profile);
        return guard.reserve(rules, limits, exposure.region(), industry, merchant, exposure.group(), amountMinor);
    }

    /**
     * Puts the reason of a decline by the last {@link #reserve} (CONCENTRATION_&lt;DIMENSION&gt;, the key and
     * headroom) before the answer's other reasons.
     */
    void declineReasonFirst(DecisionResult answer) {
        answer.reasonFirst(guard.failed().code(), guard.failedText(), guard.failedValue());
    }

    /** Gives back the last successful {@link #reserve} (the decision did not go through, e.g. no funding). */
    void undo() {
        guard.undo();
    }

    /** Records an approved hold in the record {@link #reserve} read (same command, nothing in between). */
    void hold(String borrowerId, int product, long holdId, String merchant, String industry, long amountMinor) {
        if (exposure.full() && exposure.makeRoom(dropped)) {
            // the oldest drawn tranche loses its merchant and industry; region and group still count it
            guard.release("", dropped.industry(0), dropped.merchant(0), "", dropped.amount(0));
        }
        exposure.add(holdId, merchant, industry, amountMinor);
        state.exposures().write(borrowerId, product, exposure);
    }

    /** Whether an amount would fit a (shadow) rule set's limits now; reserves nothing. */
    boolean fits(CompiledRuleSet rules, RegulatoryParameters.Limits limits, String borrowerId, int product,
            String region, Profile profile, String merchant, String industry, long amountMinor) {
        load(borrowerId, product, region, profile);
        return guard.fits(rules, limits, exposure.region(), industry, merchant, exposure.group(), amountMinor);
    }

    /** A hold became drawn: same merchant, same keys; the table does not move. */
    void confirm(String borrowerId, int product, long holdId) {
        if (state.exposures().read(borrowerId, product, exposure)) {
            int entry = exposure.indexOfHold(holdId);
            if (entry >= 0) {
                exposure.confirm(entry);
                state.exposures().write(borrowerId, product, exposure);
            }
        }
    }

    /** A hold's exposure leaves the line's record and the concentration table (Cancel, expiry). */
    void release(CharSequence borrowerId, int product, long holdId) {
        releasing.holdId = holdId;
        state.exposures().update(borrowerId, product, exposure, releasing); // one look-up, not a read and a write
    }

    /** {@link #release}'s change to the record: the hold's entry out of it and out of the table. */
    private final class Releasing implements ExposureBook.Change {
        long holdId;

        @Override
        public boolean apply(ExposureRecord record) {
            int entry = record.indexOfHold(holdId);
            if (entry < 0) {
                return false;
            }
            guard.release(record.region(), record.industry(entry), record.merchant(entry), record.group(),
                    record.amount(entry));
            record.remove(entry);
            return true;
        }
    }

    /** A repayment reduces the line's drawn tranches oldest first, and the concentration table with them. */
    void repay(String borrowerId, int product, long amountMinor) {
        if (!state.exposures().read(borrowerId, product, exposure)) {
            return;
        }
        long left = amountMinor;
        for (int entry = exposure.oldestDrawn(); left > 0 && entry >= 0; entry = exposure.oldestDrawn()) {
            long take = Math.min(left, exposure.amount(entry));
            guard.release(exposure.region(), exposure.industry(entry), exposure.merchant(entry), exposure.group(),
                    take);
            exposure.reduce(entry, take);
            left -= take;
        }
        state.exposures().write(borrowerId, product, exposure);
    }

    /**
     * A profile write: a line whose exposure is attributed to another region or group than the profile now names
     * moves all of it to the new keys, with no limit check (the exposure exists; a move is not a loan). A profile
     * without a region keeps the line's.
     */
    void move(Profile profile) {
        String borrowerId = profile.getBorrowerId();
        for (LoanProduct each : LoanProduct.values()) {
            int product = each.number();
            if (!state.exposures().read(borrowerId, product, exposure)) {
                continue;
            }
            String region = profile.getRegion();
            boolean regionMoves = !region.isEmpty() && !ExposureRecord.equal(region, exposure.region());
            boolean groupMoves = !ExposureRecord.equal(profile.getGroupId(), exposure.group());
            if (!regionMoves && !groupMoves) {
                continue;
            }
            long total = exposure.total();
            guard.release(regionMoves ? exposure.region() : "", "", "", groupMoves ? exposure.group() : "", total);
            if (regionMoves) {
                exposure.region(region);
            }
            exposure.group(profile.getGroupId());
            guard.add(regionMoves ? exposure.region() : "", "", "", groupMoves ? exposure.group() : "", total);
            state.exposures().write(borrowerId, product, exposure);
        }
    }

    /** Adds every record of this shard to the concentration table (start-up, after {@link #reconcile}). */
    void addAllToTable() {
        addAll(state, guard);
    }

    /** Sets the region and group a new record of the borrower is attributed to (the reconciliation's repairs). */
    @FunctionalInterface
    interface Attribution {
        void attribute(String borrowerId, ExposureRecord record);
    }

    /**
     * Checks every line's exposure record against the ledger and the active holds: each active hold has its entry
     * with its amount, no entry names a hold that is not active, the drawn tranches add up to the drawn balance, and
     * no line without exposure keeps a record. A record that differs is completed (a missing hold or drawn amount is
     * attributed to no merchant and no industry; a new record to the profile's region and group) and written as its
     * own frame, in the ledger's order, then the records of no line. Start-up only: one walk of the records (no
     * look-up per line, nothing allocated per record); a record is compared by its encoding.
     *
     * @param lines    every line of the ledger with its active holds and its drawn balance (the caller walked the
     *                 ledger once for its own check and repaired held to the sum of the active holds)
     * @param attribution sets a new record's region and group (the borrower's profile's; "" without one)
     * @param endFrame ends the frame of one repair
     * @return the records repaired
     */
    long reconcile(RecoveryLines lines, Attribution attribution, Runnable endFrame) {
        LongArrayList ids = new LongArrayList();
        LongArrayList amounts = new LongArrayList();
        ExpandableArrayBuffer before = new ExpandableArrayBuffer(256);
        ExpandableArrayBuffer after = new ExpandableArrayBuffer(256);
        // one walk of the records, each checked against its line (not a look-up per line); the lines whose record
        // differs or is missing, and the records of no line, are repaired after the walk, in the ledger's order
        boolean[] hasRecord = new boolean[lines.lineCount()];
        IntArrayList differ = new IntArrayList();
        List<String> orphans = new ArrayList<>();
        RecoveryLines.Tail borrowerOf = new RecoveryLines.Tail();
        state.exposures().forEachRecord((rawKey, record) -> {
            int l = lines.lineOf(borrowerOf.of(rawKey, 1), rawKey.charAt(0) - '0');
            if (l < 0) {
                orphans.add(rawKey.toString());
                return;
            }
            hasRecord[l] = true;
            int beforeLength = record.encode(before);
            complete(record, lines, l, ids, amounts);
            if (!same(before, beforeLength, after, record.encode(after))) {
                differ.addInt(l);
            }
        });
        for (int l = 0; l < hasRecord.length; l++) {
            if (!hasRecord[l] && lines.held(l) + lines.drawn(l) != 0) {
                differ.addInt(l);
            }
        }
        int[] repairs = differ.toIntArray();
        Arrays.sort(repairs);
        long repaired = 0;
        for (int l : repairs) {
            CharSequence borrowerId = lines.borrowerId(l); // a view: valid until the next lines.borrowerId
            int product = lines.product(l);
            boolean had = state.exposures().read(borrowerId, product, exposure);
            int beforeLength = exposure.encode(before);
            complete(exposure, lines, l, ids, amounts);
            if (!had) {
                attribution.attribute(borrowerId.toString(), exposure);
            }
            if (had && same(before, beforeLength, after, exposure.encode(after))) {
                continue; // not reached: the walk found this record different
            }
            if (tableHoldsRecords) {
                if (had) {
                    count(guard, dropped.decode(before, 0, beforeLength), -1);
                }
                count(guard, exposure, 1);
            }
            state.exposures().write(borrowerId, product, exposure);
            endFrame.run();
            repaired++;
        }
        for (String rawKey : orphans) {
            String borrowerId = rawKey.substring(1);
            int product = rawKey.charAt(0) - '0';
            if (tableHoldsRecords && state.exposures().read(borrowerId, product, exposure)) {
                count(guard, exposure, -1);
            }
            state.exposures().write(borrowerId, product, exposure.clear());
            endFrame.run();
            repaired++;
        }
        return repaired;
    }

    /**
     * Makes {@code record} what line {@code l}'s holds and drawn balance say: an entry with its amount for each
     * active hold, none for a hold that is not active, drawn tranches adding up to the drawn balance.
     */
    private static void complete(ExposureRecord record, RecoveryLines lines, int l, LongArrayList ids,
            LongArrayList amounts) {
        lines.holdsOf(l, ids, amounts);
        for (int i = record.count() - 1; i >= 0; i--) {
            long id = record.holdId(i);
            if (id != 0 && !ids.containsLong(id)) {
                record.remove(i);
            }
        }
        for (int h = 0; h < ids.size(); h++) {
            int i = record.indexOfHold(ids.getLong(h));
            if (i < 0) {
                record.add(ids.getLong(h), "", "", amounts.getLong(h));
            } else if (record.amount(i) != amounts.getLong(h)) {
                record.reduce(i, record.amount(i) - amounts.getLong(h));
            }
        }
        long drawn = lines.drawn(l);
        long recorded = record.total() - record.held();
        for (int i = record.oldestDrawn(); recorded > drawn && i >= 0; i = record.oldestDrawn()) {
            long take = Math.min(recorded - drawn, record.amount(i));
            record.reduce(i, take);
            recorded -= take;
        }
        if (recorded < drawn) {
            record.add(0, "", "", drawn - recorded);
        }
    }

    private static boolean same(ExpandableArrayBuffer a, int aLength, ExpandableArrayBuffer b, int bLength) {
        return aLength == bLength && Arrays.equals(a.byteArray(), 0, aLength, b.byteArray(), 0, bLength);
    }
}
