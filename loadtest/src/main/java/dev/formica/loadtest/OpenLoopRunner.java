package dev.formica.loadtest;

import dev.formica.v1.Outcome;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Sends requests on a fixed timetable whatever the target does (open loop) and records two latencies
 * per request: from its intended send time (coordinated-omission corrected) and from its actual send.
 *
 * <p>Thread contract: {@link #run} is called once, by one thread, which becomes the interval
 * sampler. With sender threads ({@code --sender threads}) it starts {@code senders} threads that each own every
 * {@code senders}-th index and park until the intended time of their next request; with event loops
 * ({@code --sender loop}, {@link #run(List, List, IntervalListener, ProgressListener)}) each loop's
 * {@link LoopLane} owns every {@code loops}-th index and sends it from a timer on that loop. Completions arrive on
 * any thread and record into {@link Recorder}s; the sampler swaps the interval histograms once a second. Tests
 * drive the same steps by hand with an injected {@link LoadClock}: {@link #start()},
 * {@link #runSender(int)}, {@link #sampleInterval()}, {@link #result()}.
 *
 * <p>In-flight cap: a request that finds no free slot at its intended time is counted as
 * backlogged and waits for one (a sender thread blocks; a loop lane holds it and goes on serving answers, each
 * lane with its share of the cap); its latency still counts from the intended time. If no slot frees
 * before the drain deadline it is dropped (never sent) and counted as such.
 */
public final class OpenLoopRunner {
    /** Latencies above this are clamped (and show as this value). */
    public static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(5);
    static final int SIGNIFICANT_DIGITS = 3;
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** A send this late after its intended time means the generator (or the box) could not keep up. */
    static final long LATE_SEND_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long START_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** {@link #intendedOf(long)} of an index the run does not send. */
    static final long NO_CALL = Long.MAX_VALUE;

    /** Receives each 1-second interval; called on the sampling thread. */
    public interface IntervalListener {
        void onInterval(Histogram corrected, Histogram service);
    }

    /** Receives a progress tick about once a second; called on the sampling thread. */
    public interface ProgressListener {
        void onTick(OpenLoopRunner runner, Histogram lastCorrected);
    }

    private final String name;
    private final String profile;
    private final Schedule schedule;
    private final long warmupNanos;
    private final long durationNanos;
    private final long maxRequests;
    private final int senders;
    private final long drainNanos;
    private final LoadClock clock;
    private final LoadTarget target;
    private final int maxInFlight;
    private final Semaphore permits;
    private final Supplier<Map<String, Long>> followUps;

    private final Recorder correctedRecorder = new Recorder(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    private final Recorder serviceRecorder = new Recorder(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    /** Corrected latency of admitted (OK) and of shed (RESOURCE_EXHAUSTED) requests, for overload runs. */
    private final Recorder admittedRecorder = new Recorder(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    private final Recorder shedRecorder = new Recorder(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    private final Histogram totalCorrected = new Histogram(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    private final Histogram totalService = new Histogram(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    private Histogram intervalCorrected;
    private Histogram intervalService;

    private final LongAdder sent = new LongAdder();
    private final LongAdder warmupSent = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder backlogged = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder okInWindow = new LongAdder();
    private final LongAdder lateSends = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lastCompletion = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLongArray statusCounts = new AtomicLongArray(Status.Code.values().length);
    private final AtomicLongArray outcomeCounts = new AtomicLongArray(Outcome.values().length);
    /** Measured failed answers by {@link RunResult#errorKind}; touched only by answers that failed. */
    private final ConcurrentHashMap<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger lanesRunning = new AtomicInteger();

    private volatile long t0;
    private volatile long measureStart;
    private CpuMeter cpu;
    private CpuMeter.Reading cpuAtStart;
    private volatile long scheduleEnd;

    /**
     * @param name label in reports
     * @param profile what the timetable is, for reports
     * @param schedule intended send offsets (the warm-up is its first {@code warmupNanos})
     * @param warmupNanos leading part of the timetable that is sent but not measured
     * @param durationNanos measured part of the timetable after the warm-up
     * @param maxRequests bound on requests sent, warm-up included
     * @param senders sender threads, &gt;= 1
     * @param maxInFlight cap on requests in flight, &gt;= 1
     * @param drainNanos how long to wait for answers after the timetable ends
     * @param clock time source and parking
     * @param target where requests go
     * @param followUps counts of follow-up calls, read at the end
     */
    public OpenLoopRunner(String name, String profile, Schedule schedule, long warmupNanos, long durationNanos,
            long maxRequests, int senders, int maxInFlight, long drainNanos, LoadClock clock, LoadTarget target,
            Supplier<Map<String, Long>> followUps) {
        if (senders < 1 || maxInFlight < 1 || durationNanos <= 0 || warmupNanos < 0 || maxRequests < 1) {
            throw new IllegalArgumentException("senders, max-in-flight, duration and max-requests must be positive");
        }
        this.name = name;
        this.profile = profile;
        this.schedule = schedule;
        this.warmupNanos = warmupNanos;
        this.durationNanos = durationNanos;
        this.maxRequests = maxRequests;
        this.senders = senders;
        this.drainNanos = drainNanos;
        this.clock = clock;
        this.target = target;
        this.maxInFlight = maxInFlight;
        this.permits = new Semaphore(maxInFlight);
        this.followUps = followUps;
    }

    /** Also measures the CPU the measured part of the run cost (client, and server when it can); returns this. */
    OpenLoopRunner cpu(CpuMeter meter) {
        this.cpu = meter;
        return this;
    }

    /** Runs the whole timetable with sender threads, samples intervals each second, waits for answers. */
    public RunResult run(IntervalListener intervals, ProgressListener progress) throws InterruptedException {
        start();
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < senders; k++) {
            int lane = k;
            Thread t = new Thread(() -> runSender(lane), "loadtest-sender-" + k);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        try {
            sample(() -> anyAlive(threads), intervals, progress);
        } finally {
            stopped.set(true);
            for (Thread t : threads) {
                t.interrupt();
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
        return finish(intervals, progress);
    }

    /**
     * Runs the whole timetable from event loops: lane {@code k} sends every {@code loops.size()}-th request, from
     * {@code k}, on {@code loops.get(k)} to {@code targets.get(k)} (whose channels that loop serves), with its share
     * of the in-flight cap; samples intervals each second on the calling thread and waits for answers.
     */
    public RunResult run(List<? extends SenderLoop> loops, List<? extends LoadTarget> targets,
            IntervalListener intervals, ProgressListener progress) throws InterruptedException {
        List<LoopLane> lanes = lanes(loops, targets);
        start();
        lanesRunning.set(lanes.size());
        lanes.forEach(LoopLane::start);
        try {
            sample(() -> lanesRunning.get() > 0, intervals, progress);
        } finally {
            stopped.set(true);
            lanes.forEach(LoopLane::stop);
        }
        return finish(intervals, progress);
    }

    /** The loop sender's lanes: the in-flight cap split between them, none without a slot. */
    List<LoopLane> lanes(List<? extends SenderLoop> loops, List<? extends LoadTarget> targets) {
        int n = loops.size();
        if (n < 1 || n != targets.size() || n > maxInFlight) {
            throw new IllegalArgumentException("a target per loop, and at most max-in-flight loops: " + n);
        }
        List<LoopLane> lanes = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int bound = maxInFlight / n + (k < maxInFlight % n ? 1 : 0);
            lanes.add(new LoopLane(this, loops.get(k), targets.get(k), k, n, bound));
        }
        return lanes;
    }

    /** Samples each second while {@code sending}, then while answers are due (up to the drain bound). */
    private void sample(BooleanSupplier sending, IntervalListener intervals, ProgressListener progress) {
        long nextTick = t0 + TICK_NANOS;
        while (sending.getAsBoolean()) {
            // the first CPU reading is taken when the warm-up ends (or sending starts), not at the next tick
            boolean awaitingCpu = cpu != null && cpuAtStart == null;
            clock.parkUntil(awaitingCpu ? Math.min(nextTick, measureStart) : nextTick);
            if (awaitingCpu && clock.nanoTime() >= measureStart) {
                cpuAtStart = cpu.sample();
            }
            if (clock.nanoTime() < nextTick) {
                continue;
            }
            nextTick += TICK_NANOS;
            tick(intervals, progress);
        }
        long giveUp = Math.max(clock.nanoTime(), scheduleEnd) + drainNanos;
        long now;
        while (inFlight.get() > 0 && (now = clock.nanoTime()) < giveUp) {
            clock.parkUntil(Math.min(now + DRAIN_POLL_NANOS, nextTick));
            if (clock.nanoTime() >= nextTick) {
                nextTick += TICK_NANOS;
                tick(intervals, progress);
            }
        }
    }

    private RunResult finish(IntervalListener intervals, ProgressListener progress) {
        tick(intervals, progress);
        RunResult r = result();
        if (cpu != null && cpuAtStart != null) {
            r.withCpu(cpuAtStart, cpu.sample());
        }
        return r;
    }

    /** Fixes the start of the timetable at the current time plus a small lead. */
    void start() {
        t0 = clock.nanoTime() + START_LEAD_NANOS;
        measureStart = t0 + warmupNanos;
        scheduleEnd = measureStart + durationNanos;
    }

    /** Sends every {@code senders}-th request from {@code lane}, each at its intended time. */
    void runSender(int lane) {
        long giveUp = giveUp();
        for (long i = lane; i < maxRequests && !stopped.get(); i += senders) {
            long intended = intendedOf(i);
            if (intended == NO_CALL) {
                return;
            }
            clock.parkUntil(intended);
            boolean measured = measured(intended);
            reached(intended, measured, clock.nanoTime());
            if (!permits.tryAcquire()) {
                backlog(measured);
                if (!acquireBefore(giveUp)) {
                    drop(intended, measured, clock.nanoTime());
                    continue;
                }
            }
            send(target, i, intended, measured, null);
        }
    }

    /** The intended time of request {@code index}, or {@link #NO_CALL} when the run does not send it. */
    long intendedOf(long index) {
        if (index >= maxRequests) {
            return NO_CALL;
        }
        long offset = schedule.offsetNanos(index);
        if (offset == Schedule.END || t0 + offset >= scheduleEnd) {
            return NO_CALL;
        }
        return t0 + offset;
    }

    boolean measured(long intended) {
        return intended >= measureStart;
    }

    long now() {
        return clock.nanoTime();
    }

    boolean stopped() {
        return stopped.get();
    }

    /** When a call still waiting for a slot is dropped. */
    long giveUp() {
        return scheduleEnd + drainNanos;
    }

    /** A sender reached a call due at {@code intended} at {@code now}: late by more than a millisecond, counted. */
    void reached(long intended, boolean measured, long now) {
        if (measured && now - intended > LATE_SEND_NANOS) {
            lateSends.increment();
        }
    }

    /** A call found no free slot at its time. */
    void backlog(boolean measured) {
        if (measured) {
            backlogged.increment();
        }
    }

    /** A call found no free slot before {@link #giveUp()}: never sent, counted, its wait recorded. */
    void drop(long intended, boolean measured, long now) {
        if (measured) {
            dropped.increment();
            correctedRecorder.recordValue(clamp(now - intended));
        }
    }

    /** Sends request {@code index}, holding a slot: the semaphore's (lane null) or {@code lane}'s. */
    void send(LoadTarget to, long index, long intended, boolean measured, LoopLane lane) {
        Pending pending = new Pending(intended, clock.nanoTime(), measured, lane);
        (measured ? sent : warmupSent).increment();
        inFlight.incrementAndGet();
        try {
            to.send(index, pending);
        } catch (RuntimeException e) {
            pending.complete(Status.fromThrowable(e).getCode(), null);
        }
    }

    /** A loop lane has sent or dropped its last call. */
    void laneDone() {
        lanesRunning.decrementAndGet();
    }

    /** Swaps the interval histograms into the totals; returns the corrected interval (recycled next time). */
    Histogram sampleInterval() {
        intervalCorrected = correctedRecorder.getIntervalHistogram(intervalCorrected);
        intervalService = serviceRecorder.getIntervalHistogram(intervalService);
        totalCorrected.add(intervalCorrected);
        totalService.add(intervalService);
        return intervalCorrected;
    }

    /** The totals so far; call after the last {@link #sampleInterval()}. */
    RunResult result() {
        long end = Math.min(scheduleEnd, Math.max(lastCompletion.get(), measureStart));
        long window = end > measureStart ? end - measureStart : durationNanos;
        // the kinds before the statuses: an answer still arriving is in a kind only once its status counted it, so
        // the error rows of a report never exceed their status's row
        Map<String, Long> kinds = errorKinds();
        long[] statuses = new long[statusCounts.length()];
        for (int i = 0; i < statuses.length; i++) {
            statuses[i] = statusCounts.get(i);
        }
        long[] outcomes = new long[outcomeCounts.length()];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = outcomeCounts.get(i);
        }
        long measuredSent = sent.sum();
        long done = completed.sum();
        return new RunResult(name, target.name(), profile, measuredSent, done, backlogged.sum(), dropped.sum(),
                Math.max(0, measuredSent - done), lateSends.sum(), okInWindow.sum(), window, statuses, outcomes,
                totalCorrected.copy(), totalService.copy(), followUps.get())
                .withByStatus(admittedRecorder.getIntervalHistogram(), shedRecorder.getIntervalHistogram())
                .withErrorKinds(kinds);
    }

    private Map<String, Long> errorKinds() {
        Map<String, Long> m = new HashMap<>();
        errorKinds.forEach((kind, n) -> m.put(kind, n.sum()));
        return m;
    }

    /** Seconds since the start of the timetable (negative before it). */
    public double elapsedSeconds() {
        return (clock.nanoTime() - t0) / 1e9;
    }

    /** Length of the whole timetable, warm-up included, seconds. */
    public double totalSeconds() {
        return (warmupNanos + durationNanos) / 1e9;
    }

    public String name() {
        return name;
    }

    /** Requests sent so far, warm-up included. */
    public long sentSoFar() {
        return sent.sum() + warmupSent.sum();
    }

    /** Measured answers so far. */
    public long completedSoFar() {
        return completed.sum();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Measured answers that were not OK, so far. */
    public long errorsSoFar() {
        return completed.sum() - statusCounts.get(Status.Code.OK.value());
    }

    private void tick(IntervalListener intervals, ProgressListener progress) {
        Histogram last = sampleInterval();
        if (intervals != null) {
            intervals.onInterval(intervalCorrected, intervalService);
        }
        if (progress != null) {
            progress.onTick(this, last);
        }
    }

    private boolean acquireBefore(long deadline) {
        try {
            long wait = deadline - clock.nanoTime();
            return wait > 0 && permits.tryAcquire(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped.set(true);
            return false;
        }
    }

    private static boolean anyAlive(List<Thread> threads) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static long clamp(long nanos) {
        return Math.max(0, Math.min(nanos, HIGHEST_TRACKABLE_NANOS));
    }

    /** One request in flight; completes once. */
    private final class Pending extends AtomicBoolean implements LoadTarget.Completion {
        private final long intended;
        private final long sentAt;
        private final boolean measured;
        /** The loop lane whose slot this holds; null: a permit of the semaphore. */
        private final LoopLane lane;

        Pending(long intended, long sentAt, boolean measured, LoopLane lane) {
            this.intended = intended;
            this.sentAt = sentAt;
            this.measured = measured;
            this.lane = lane;
        }

        @Override
        public void fail(Status.Code code, String reason) {
            finish(code, null, reason);
        }

        @Override
        public void complete(Status.Code code, Outcome outcome) {
            finish(code, outcome, "");
        }

        private void finish(Status.Code code, Outcome outcome, String reason) {
            if (!compareAndSet(false, true)) {
                return;
            }
            long now = clock.nanoTime();
            inFlight.decrementAndGet();
            if (lane == null) {
                permits.release();
            }
            try {
                record(now, code, outcome, reason);
            } finally {
                if (lane != null) {
                    lane.released(); // after recording: the calls it sends now are not in this answer's time
                }
            }
        }

        private void record(long now, Status.Code code, Outcome outcome, String reason) {
            if (!measured) {
                return;
            }
            correctedRecorder.recordValue(clamp(now - intended));
            serviceRecorder.recordValue(clamp(now - sentAt));
            statusCounts.incrementAndGet(code.value());
            if (code == Status.Code.OK) {
                admittedRecorder.recordValue(clamp(now - intended));
            } else {
                errorKinds.computeIfAbsent(RunResult.errorKind(code, reason), k -> new LongAdder()).increment();
                if (code == Status.Code.RESOURCE_EXHAUSTED) {
                    shedRecorder.recordValue(clamp(now - intended));
                }
            }
            if (code == Status.Code.OK) {
                if (outcome != null && outcome != Outcome.UNRECOGNIZED) {
                    outcomeCounts.incrementAndGet(outcome.getNumber());
                }
                if (now <= scheduleEnd) {
                    okInWindow.increment();
                }
            }
            lastCompletion.accumulateAndGet(now, Math::max);
            completed.increment();
        }
    }
}
