package dev.formica.engine.replication;

import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.LongBinaryOperator;

/**
 * The test hooks of {@link GroupMembers} and {@link GroupMoves} (package-private there) for tests of other packages
 * that run whole engines: a membership change or a move held in flight, and a replica's commit index as a move sees
 * it.
 */
public final class ReplicationTestHooks {
    private ReplicationTestHooks() {
    }

    /**
     * Holds every change of {@code members} that passed its checks until the future {@code hold} answers for its
     * group completes; null releases the hook (changes already held wait for their future).
     */
    public static void holdChanges(GroupMembers members, IntFunction<CompletableFuture<Void>> hold) {
        members.heldBeforeChange = hold;
    }

    /**
     * Holds every move of {@code moves} that passed its checks, before its placement entry, until the future
     * {@code hold} answers for its group completes; null releases the hook (moves already held wait for their future).
     */
    public static void holdMoves(GroupMoves moves, IntFunction<CompletableFuture<Void>> hold) {
        moves.heldBeforePlacement = hold;
    }

    /** What a move of {@code moves} sees as a node's commit index, given the reported one; null: the reported. */
    public static void seeCommitIndex(GroupMoves moves, LongBinaryOperator seen) {
        moves.commitSeen = seen == null ? (node, reported) -> reported : seen;
    }
}
