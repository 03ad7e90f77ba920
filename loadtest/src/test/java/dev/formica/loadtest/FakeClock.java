package dev.formica.loadtest;

import java.util.PriorityQueue;

/**
 * A hand-driven clock with scheduled events: parking jumps time forward, firing every event that
 * falls due on the way, in time order. Single-threaded, for tests.
 */
final class FakeClock implements LoadClock {
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private long now = 1_000_000_000L;
    private long sequence;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void parkUntil(long deadlineNanos) {
        advanceTo(deadlineNanos);
    }

    /** Moves time forward by {@code nanos}, firing due events. */
    void advance(long nanos) {
        advanceTo(now + nanos);
    }

    /** Runs {@code action} when time reaches {@code atNanos}. */
    void at(long atNanos, Runnable action) {
        events.add(new Event(atNanos, sequence++, action));
    }

    /** Fires every remaining event. */
    void runAll() {
        while (!events.isEmpty()) {
            Event e = events.poll();
            now = Math.max(now, e.at);
            e.action.run();
        }
    }

    private void advanceTo(long target) {
        while (!events.isEmpty() && events.peek().at <= target) {
            Event e = events.poll();
            now = Math.max(now, e.at);
            e.action.run();
        }
        now = Math.max(now, target);
    }

    private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }
}
