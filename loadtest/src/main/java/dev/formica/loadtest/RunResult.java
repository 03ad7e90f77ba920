package dev.formica.loadtest;

import dev.formica.v1.Outcome;
import io.grpc.Status;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one open-loop run measured, warm-up excluded. Latencies are nanoseconds: {@link #corrected()}
 * from the intended send time (coordinated omission corrected), {@link #service()} from the actual
 * send. Immutable once built; the histograms must not be modified by readers.
 */
public final class RunResult {
    private final String name;
    private final String rpc;
    private final String profile;
    private final long sent;
    private final long completed;
    private final long backlogged;
    private final long dropped;
    private final long unfinished;
    private final long lateSends;
    private final long okInWindow;
    private final long windowNanos;
    private final long[] statusCounts;
    private final long[] outcomeCounts;
    private final Histogram corrected;
    private final Histogram service;
    private final Map<String, Long> followUps;
    private Map<String, Long> errorKinds = Map.of();
    private Histogram admitted;
    private Histogram shed;
    private double clientCpuMicros = Double.NaN;
    private double serverCpuMicros = Double.NaN;

    RunResult(String name, String rpc, String profile, long sent, long completed, long backlogged, long dropped,
            long unfinished, long lateSends, long okInWindow, long windowNanos, long[] statusCounts,
            long[] outcomeCounts, Histogram corrected, Histogram service, Map<String, Long> followUps) {
        this.name = name;
        this.rpc = rpc;
        this.profile = profile;
        this.sent = sent;
        this.completed = completed;
        this.backlogged = backlogged;
        this.dropped = dropped;
        this.unfinished = unfinished;
        this.lateSends = lateSends;
        this.okInWindow = okInWindow;
        this.windowNanos = windowNanos;
        this.statusCounts = statusCounts.clone();
        this.outcomeCounts = outcomeCounts.clone();
        this.corrected = corrected;
        this.service = service;
        this.followUps = Collections.unmodifiableMap(new LinkedHashMap<>(followUps));
    }

    /** Adds the CPU the measured part cost, read when it started and ended (per measured request); returns this. */
    RunResult withCpu(CpuMeter.Reading from, CpuMeter.Reading to) {
        this.clientCpuMicros = CpuMeter.microsPerRequest(from.clientNanos(), to.clientNanos(), sent);
        this.serverCpuMicros = CpuMeter.microsPerRequest(from.serverNanos(), to.serverNanos(), sent);
        return this;
    }

    /** The load generator's process CPU per request sent, microseconds; NaN when not measured. */
    public double clientCpuMicros() {
        return clientCpuMicros;
    }

    /** The server's process CPU per request sent, microseconds; NaN when not measured (no --server-metrics-port). */
    public double serverCpuMicros() {
        return serverCpuMicros;
    }

    /** Adds the corrected latencies of admitted (OK) and shed (RESOURCE_EXHAUSTED) requests; returns this. */
    RunResult withByStatus(Histogram admitted, Histogram shed) {
        this.admitted = admitted;
        this.shed = shed;
        return this;
    }

    /** Adds the failed answers by {@link #errorKind}; returns this. */
    RunResult withErrorKinds(Map<String, Long> kinds) {
        this.errorKinds = Map.copyOf(kinds);
        return this;
    }

    /**
     * The key a failed answer is counted under: its status code, and the server's {@code ErrorInfo} reason after a
     * slash when it gave one ({@code "RESOURCE_EXHAUSTED/OVERLOADED"}; {@code "DEADLINE_EXCEEDED"} for a deadline
     * the client hit).
     */
    static String errorKind(Status.Code code, String reason) {
        return reason == null || reason.isEmpty() ? code.name() : code.name() + "/" + reason;
    }

    /** Measured failed answers by {@link #errorKind}, the most frequent first (ties by name). */
    public Map<String, Long> errorKinds() {
        Map<String, Long> m = new LinkedHashMap<>();
        errorKinds.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    /**
     * What made up {@link #errorShare()}: the failed answers by kind, then the requests the tool dropped (no
     * in-flight slot) and those never answered, each with its count; {@code "none"} when there were none.
     */
    public String errorBreakdown() {
        StringBuilder b = new StringBuilder();
        errorKinds().forEach((kind, n) -> b.append(b.length() == 0 ? "" : ", ").append(kind).append(' ').append(n));
        if (dropped > 0) {
            b.append(b.length() == 0 ? "" : ", ").append("dropped by the tool ").append(dropped);
        }
        if (unfinished > 0) {
            b.append(b.length() == 0 ? "" : ", ").append("unanswered ").append(unfinished);
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    /** Corrected latency of requests answered OK; null when not recorded. */
    public Histogram admitted() {
        return admitted;
    }

    /** Corrected latency of requests shed with RESOURCE_EXHAUSTED; null when not recorded. */
    public Histogram shed() {
        return shed;
    }

    /** The label of the run in reports, e.g. "decide" or "decide@1250/s". */
    public String name() {
        return name;
    }

    public String rpc() {
        return rpc;
    }

    public String profile() {
        return profile;
    }

    /** Measured requests sent (after the warm-up). */
    public long sent() {
        return sent;
    }

    /** Measured requests answered, successfully or not. */
    public long completed() {
        return completed;
    }

    /** Measured requests that had to wait for an in-flight slot (sent late, measured from intended time). */
    public long backlogged() {
        return backlogged;
    }

    /** Measured requests never sent: no in-flight slot freed before the run gave up. */
    public long dropped() {
        return dropped;
    }

    /** Measured requests still unanswered when the run stopped waiting. */
    public long unfinished() {
        return unfinished;
    }

    /** Measured requests sent more than 1 ms after their intended time (the generator fell behind). */
    public long lateSends() {
        return lateSends;
    }

    /** The measured window, nanoseconds. */
    public long windowNanos() {
        return windowNanos;
    }

    /** Successful answers per second within the measured window. */
    public double throughput() {
        return windowNanos <= 0 ? 0 : okInWindow * 1e9 / windowNanos;
    }

    /** Requests offered per second in the measured window (sent or dropped). */
    public double offeredRate() {
        return windowNanos <= 0 ? 0 : (sent + dropped) * 1e9 / windowNanos;
    }

    /** Answers by gRPC status name, only the non-zero ones, OK first. */
    public Map<String, Long> statusCounts() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int code = 0; code < statusCounts.length; code++) {
            if (statusCounts[code] > 0) {
                m.put(Status.fromCodeValue(code).getCode().name(), statusCounts[code]);
            }
        }
        return m;
    }

    /** Answers that were not OK. */
    public long errors() {
        return completed - statusCounts[Status.Code.OK.value()];
    }

    /** Share of offered requests that failed, were dropped or never finished, 0..1. */
    public double errorShare() {
        long offered = sent + dropped;
        return offered == 0 ? 0 : (double) (errors() + dropped + unfinished) / offered;
    }

    /** Count of OK decisions with {@code outcome}. */
    public long outcome(Outcome outcome) {
        int n = outcome.getNumber();
        return n >= 0 && n < outcomeCounts.length ? outcomeCounts[n] : 0;
    }

    /** Latency from the intended send time, nanoseconds. */
    public Histogram corrected() {
        return corrected;
    }

    /** Latency from the actual send time, nanoseconds. */
    public Histogram service() {
        return service;
    }

    /** Follow-up calls (Confirm/Cancel) by "rpc status", e.g. "confirm OK". */
    public Map<String, Long> followUps() {
        return followUps;
    }
}
