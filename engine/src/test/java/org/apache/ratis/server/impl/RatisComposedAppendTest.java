package org.apache.ratis.server.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.impl.ServerImplUtils.NavigableIndices;
import org.junit.jupiter.api.Test;

/**
 * Why the replicas turn Ratis's composed appends off ({@code raft.server.log.append-entries.compose.enabled=false} in
 * {@code dev.formica.engine.replication.ReplicaNode}): a follower's composed appends key an append in flight by its
 * first index, and a second request from the same index is answered with the first one's completion, whatever it
 * carries beyond it. The follower answers SUCCESS up to the second request's last entry; the entries past the first
 * request's end are never appended. A leader that resends from an index with more entries (after it reset the
 * follower's next index) so records a match index past the follower's log, never goes below it again, and the
 * follower answers INCONSISTENCY forever: the failover test's restarted node that never caught up (docs/cluster.md,
 * "A follower that never caught up"). In this package because the class is Ratis's package-private one (Ratis
 * 3.3.0, unchanged upstream when this was written). Should a Ratis release append the rest, this test fails:
 * then the setting can be measured on again.
 */
class RatisComposedAppendTest {

    private static List<LogEntryProto> entries(long term, long from, long to) {
        return LongStream.rangeClosed(from, to)
                .mapToObj(i -> LogEntryProto.newBuilder().setTerm(term).setIndex(i).build()).toList();
    }

    @Test
    void aSecondLongerRequestFromTheSameIndexCompletesWithoutItsTailAppended() throws Exception {
        NavigableIndices indices = new NavigableIndices();
        List<Long> appended = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> firstWrite = new CompletableFuture<>();
        Function<List<LogEntryProto>, CompletableFuture<Void>> appendLog = batch -> {
            batch.forEach(e -> appended.add(e.getIndex()));
            boolean isFirst = batch.get(batch.size() - 1).getIndex() == 1316;
            return isFirst ? firstWrite : CompletableFuture.completedFuture(null);
        };

        CompletableFuture<Void> first = indices.append(entries(3, 1300, 1316), appendLog);
        // the leader reset its next index to 1300 and sends again, now with the entries that arrived meanwhile
        CompletableFuture<Void> second = indices.append(entries(3, 1300, 1320), appendLog);
        firstWrite.complete(null);
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);

        assertTrue(second.isDone() && !second.isCompletedExceptionally(),
                "the follower would answer the second request SUCCESS, matched up to 1320");
        assertEquals(LongStream.rangeClosed(1300, 1316).boxed().toList(), appended,
                "only the first request's entries were appended: 1317-1320 never were");
    }
}
