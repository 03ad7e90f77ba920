package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The owner's inbox of synced answers ({@code LOOP}, {@code fsync}): the groups the log writer releases reach the
 * owner in order, at its next pass or by one task of the loop per run of releases, never lost and never run twice.
 */
class OwnerInboxTest {
    @Test
    void shouldQueueOneTaskOnTheLoopForGroupsReleasedBeforeItRuns() {
        HeldLoop loop = new HeldLoop();
        OwnerInbox inbox = new OwnerInbox(loop);
        List<String> ran = new ArrayList<>();
        inbox.execute(() -> ran.add("g1"));
        inbox.execute(() -> ran.add("g2"));
        inbox.execute(() -> ran.add("g3"));
        assertEquals(1, loop.tasks.size(), "one wake-up of the loop for three groups");
        assertEquals(1, inbox.wakeUps());

        loop.runAll();
        assertEquals(List.of("g1", "g2", "g3"), ran, "in release order, once each");
        inbox.execute(() -> ran.add("g4"));
        assertEquals(1, loop.tasks.size(), "a group released after the task started queues a new one");
        loop.runAll();
        assertEquals(List.of("g1", "g2", "g3", "g4"), ran);
    }

    @Test
    void shouldRunReleasedGroupsAtTheOwnersPassWithoutWaitingForTheTask() {
        HeldLoop loop = new HeldLoop();
        OwnerInbox inbox = new OwnerInbox(loop);
        List<String> ran = new ArrayList<>();
        inbox.execute(() -> ran.add("g1"));
        inbox.execute(() -> ran.add("g2"));

        inbox.runReleased(); // the owner is awake: it reads a call, and its pass takes what the writer released
        assertEquals(List.of("g1", "g2"), ran);
        assertEquals(2, inbox.atPass());
        loop.runAll(); // the task queued meanwhile finds nothing left
        assertEquals(List.of("g1", "g2"), ran, "nothing twice");
        inbox.execute(() -> ran.add("g3"));
        loop.runAll();
        assertEquals(List.of("g1", "g2", "g3"), ran);
    }

    @Test
    void shouldRunGroupsOnTheReleasingThreadOnceTheLoopIsShutDown() {
        OwnerInbox inbox = new OwnerInbox(task -> {
            throw new RejectedExecutionException("shut down");
        });
        List<String> ran = new ArrayList<>();
        inbox.execute(() -> ran.add("g1"));
        inbox.execute(() -> ran.add("g2"));
        assertEquals(List.of("g1", "g2"), ran, "no answer stays behind a loop that is gone");
    }

    @Test
    void shouldGiveGroupsTheLoopItselfWhenTheInboxIsFull() {
        HeldLoop loop = new HeldLoop();
        OwnerInbox inbox = new OwnerInbox(loop);
        int[] ran = new int[1];
        for (int i = 0; i < OwnerInbox.CAPACITY + 3; i++) {
            inbox.execute(() -> ran[0]++);
        }
        assertEquals(1 + 3, loop.tasks.size(), "one flush, and the three that did not fit as tasks of their own");
        loop.runAll();
        assertEquals(OwnerInbox.CAPACITY + 3, ran[0]);
    }
}
