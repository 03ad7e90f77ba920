package dev.formica.loadtest;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.v1.LoadSummary;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code loadtest}: drives a Formica server open loop (fixed timetable, latency from the intended
 * send time) with Decide and/or Echo, and reports throughput, statuses, outcomes and latency
 * percentiles as text, .hlog, HTML, a PNG percentile plot and a PNG of latency over time.
 *
 * <p>Thread contract: picocli calls {@link #call()} once on one thread, which runs the runs one
 * after the other; each run owns its sender threads (or its lanes on the event loops, which live as long as the
 * command) and ends them before the next starts. Never
 * calls {@code System.exit}: it returns the exit code (0 ok, 1 no successful answer in some run,
 * 2 bad options), so it can be a subcommand of {@code formica}.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = "Open-loop load test of a Formica server: Decide and/or Echo on a fixed timetable; latency is "
                + "measured from each request's intended send time (coordinated omission corrected).")
public final class LoadTestCommand implements Callable<Integer> {
    static final Duration MAX_DURATION = Duration.ofMinutes(10);

    /** How Decide is sent. */
    public enum Mode {
        unary, stream
    }

    /** What sends each call at its time. */
    public enum Sender {
        threads, loop
    }

    /** Which RPC is put under load. */
    public enum TargetRpc {
        decide, echo, both
    }

    /** The shape of the offered rate. */
    public enum ProfileKind {
        constant, double11
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "127.0.0.1:50051",
            description = "Server host:port (default ${DEFAULT-VALUE}); loopback only unless --allow-remote.")
    String target;

    @Option(names = "--allow-remote", description = "Allow a target that is not a loopback address.")
    boolean allowRemote;

    @Option(names = "--server-metrics-port", paramLabel = "PORT", description = "The server's metrics port (serve "
            + "--metrics-port) on the target host: reports the server's CPU per request of each run, read from its "
            + "process_cpu_seconds_total. The load generator's own CPU per request is always reported.")
    Integer serverMetricsPort;

    @Option(names = "--rate", description = "Constant rate, requests/s (default 1000); the start rate of --find-max "
            + "(with --target-rpc both, Decide's; see --echo-rate).")
    Double rate;

    @Option(names = "--profile", defaultValue = "constant",
            description = "constant (--rate) or double11 (--base-rate ramping to --peak-rate). Default "
                    + "${DEFAULT-VALUE}.")
    ProfileKind profile;

    @Option(names = "--base-rate", defaultValue = "500", description = "double11: rate before and after the peak.")
    double baseRate;

    @Option(names = "--peak-rate", defaultValue = "2000", description = "double11: rate at the peak.")
    double peakRate;

    @Option(names = "--ramp", defaultValue = "60s", converter = DurationConverter.class,
            description = "double11: time from base to peak (default ${DEFAULT-VALUE}).")
    Duration ramp;

    @Option(names = "--hold", defaultValue = "60s", converter = DurationConverter.class,
            description = "double11: time at the peak (default ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--decay", defaultValue = "60s", converter = DurationConverter.class,
            description = "double11: time from peak back to base (default ${DEFAULT-VALUE}).")
    Duration decay;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time per run, after the warm-up (default ${DEFAULT-VALUE}, at most 10m). "
                    + "With --find-max: the budget of each search.")
    Duration duration;

    @Option(names = "--phase", paramLabel = "NAME:RATE:DURATION[:WARMUP]", converter = Phase.Converter.class,
            description = "Instead of --rate, --duration and --warmup: constant-rate runs one after the other in this "
                    + "JVM (repeat the option), each reported as a run of its own, e.g. --phase over:8000:20s:2s.")
    List<Phase> phases = new ArrayList<>();

    @Option(names = "--max-requests", defaultValue = "10000000",
            description = "Bound on requests sent per run, warm-up included (default ${DEFAULT-VALUE}).")
    long maxRequests;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
            description = "Sent at the starting rate before measuring, excluded from results (default "
                    + "${DEFAULT-VALUE}). A fresh server's JIT compiles for about the first 35 s of Decide "
                    + "load on 2 cores: use 60s or more when measuring Decide.")
    Duration warmup;

    @Option(names = "--channels", defaultValue = "4", description = "gRPC channels (connections), default "
            + "${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--shard-ports", negatable = true, defaultValue = "true", fallbackValue = "true", description =
            "Decides to their shard's port where the map names them (LOOP), else --channels. Default on.")
    boolean shardPorts;

    @Option(names = "--senders", defaultValue = "2", description = "Sender lanes (threads or event loops), default "
            + "${DEFAULT-VALUE}.")
    int senders;

    @Option(names = "--sender", defaultValue = "loop", description = "loop: each call sent by a timer on its "
            + "channels' event loop, answers handled there; threads: parked sender threads (the sender before "
            + "2026-12-08). Default ${DEFAULT-VALUE}.")
    Sender sender;

    @Option(names = "--max-in-flight", defaultValue = "10000",
            description = "Cap on requests in flight (--sender loop: a share per lane); a request over the cap waits "
                    + "(counted as backlogged, still measured from its intended time). Default ${DEFAULT-VALUE}.")
    int maxInFlight;

    @Option(names = "--mode", defaultValue = "unary", description = "unary or stream (DecideStream). Default "
            + "${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--target-rpc", defaultValue = "decide",
            description = "decide, echo, or both (Echo then Decide, same profile; with --find-max Decide then Echo, "
                    + "see --echo-rate; reports decide/echo throughput).")
    TargetRpc targetRpc;

    @Option(names = "--borrowers", defaultValue = "100000", description = "Borrowers b0..bN-1 (default "
            + "${DEFAULT-VALUE}).")
    int borrowers;

    @Option(names = "--zipf", defaultValue = "1.0", description = "Zipf exponent of borrower popularity "
            + "(default ${DEFAULT-VALUE}).")
    double zipf;

    @Option(names = "--load-profiles", description = "Load SampleBorrowers b0..bN-1 via ProfileService.Load first.")
    boolean loadProfiles;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the request mix and sample profiles.")
    long seed;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Replay transactions from CSV or JSONL "
                    + "(ts_ms,borrower_id,product,amount_minor,device_id,merchant_id).")
    Path trace;

    @Option(names = "--speedup", defaultValue = "1.0", description = "Trace replay speed factor (default "
            + "${DEFAULT-VALUE}).")
    double speedup;

    @Option(names = "--fraud-burst-share", defaultValue = "0",
            description = "Share 0..1 (or N%%) of requests from one device across many borrowers.",
            converter = ShareConverter.class)
    double fraudBurstShare;

    @Option(names = "--confirm-share", defaultValue = "0", converter = ShareConverter.class,
            description = "Share of approvals followed by Confirm.")
    double confirmShare;

    @Option(names = "--cancel-share", defaultValue = "0", converter = ShareConverter.class,
            description = "Share of approvals followed by Cancel.")
    double cancelShare;

    @Option(names = "--find-max", description = "Step the rate up from --rate until p99 > --slo-p99 or errors > "
            + "--max-errors.")
    boolean findMax;

    @Option(names = "--echo-rate", description = "find-max of both: the start rate of Echo's search (default: the "
            + "rate of Decide's last passing step, at least --rate, so that Echo saturates within its budget).")
    Double echoRate;

    @Option(names = "--echo-first", description = "find-max of both: search Echo first, then Decide, both from --rate "
            + "(the order before 2026-12-07; Echo's overloaded last steps then weigh on Decide's search).")
    boolean echoFirst;

    @Option(names = "--step", defaultValue = "1.25", description = "find-max rate factor per step (default "
            + "${DEFAULT-VALUE}).")
    double step;

    @Option(names = "--step-duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "find-max: measured time per step (default ${DEFAULT-VALUE}).")
    Duration stepDuration;

    @Option(names = "--step-retries", defaultValue = "1", description = "find-max: run a failing step again at the "
            + "same rate this many times before ending the search (default ${DEFAULT-VALUE}; one stall of tens of ms "
            + "fails a step's p99 on a shared machine).")
    int stepRetries;

    @Option(names = "--slo-p99", defaultValue = "5ms", converter = DurationConverter.class,
            description = "find-max: corrected p99 limit (default ${DEFAULT-VALUE}).")
    Duration sloP99;

    @Option(names = "--max-errors", defaultValue = "1%", converter = ShareConverter.class,
            description = "find-max: error share limit (default ${DEFAULT-VALUE}).")
    double maxErrors;

    @Option(names = "--deadline", defaultValue = "2s", converter = DurationConverter.class,
            description = "Deadline of each unary call (default ${DEFAULT-VALUE}).")
    Duration deadline;

    @Option(names = "--echo-bytes", defaultValue = "0", description = "Echo payload size (default ${DEFAULT-VALUE}).")
    int echoBytes;

    @Option(names = "--hlog", paramLabel = "FILE",
            description = "HdrHistogram log; with several runs, -<run> is added before the extension.")
    Path hlog;

    @Option(names = "--report-dir", defaultValue = "target/loadtest-report", paramLabel = "DIR",
            description = "Where the HTML, PNG and .hlog files go (default ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--progress", description = "Show the progress bar even when not on a terminal.")
    boolean progress;

    @Option(names = "--run-id", description = "Prefix of request ids (default: random per run).")
    String runId;

    private CpuMeter cpu;
    /** Each run's latency per second, for latency-over-time.png. */
    private final List<LatencyTimeline> timelines = new ArrayList<>();

    /** For picocli and for registration as a subcommand. */
    public LoadTestCommand() {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        String id = runId != null ? runId : "lt" + Long.toString(System.currentTimeMillis(), 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        List<TraceRecord> records;
        try {
            records = trace == null ? null : TraceReader.read(trace);
        } catch (TraceFormatException | IOException e) {
            throw new ParameterException(spec.commandLine(), "--trace: " + e.getMessage());
        }
        if (records != null && records.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--trace: " + trace + " has no transactions");
        }
        if (loadProfiles) {
            loadProfiles(out);
        }
        ZipfSampler popularity = new ZipfSampler(borrowers, zipf);
        LoadChannels open = LoadChannels.open(target, hostOf(target), shardPorts, channels,
                sender == Sender.loop ? senders : 0);
        cpu = new CpuMeter(serverMetricsPort == null ? null
                : URI.create("http://" + hostForUri(hostOf(target)) + ":" + serverMetricsPort + "/metrics"));
        List<RunResult> results = new ArrayList<>();
        StringBuilder summary = new StringBuilder();
        summary.append(String.format(Locale.ROOT, "formica loadtest  target %s  mode %s  channels %d  senders %d  "
                + "run id %s  sender %s%n", target, mode, channels, senders, id, sender));
        try {
            List<GrpcLoadTarget.Rpc> rpcs = targetRpc == TargetRpc.both ? DecideEchoRatio.order(findMax, echoFirst)
                    : List.of(targetRpc == TargetRpc.echo ? GrpcLoadTarget.Rpc.ECHO : GrpcLoadTarget.Rpc.DECIDE);
            List<RunResult> headline = new ArrayList<>();
            Map<GrpcLoadTarget.Rpc, FindMaxSearch.Outcome> searches = new EnumMap<>(GrpcLoadTarget.Rpc.class);
            for (GrpcLoadTarget.Rpc rpc : rpcs) {
                RequestFactory factory = new RequestFactory(id + "-" + rpc.name().toLowerCase(Locale.ROOT), seed,
                        popularity, fraudBurstShare, records);
                if (findMax) {
                    boolean echoOfBoth = rpc == GrpcLoadTarget.Rpc.ECHO && targetRpc == TargetRpc.both;
                    double start = echoOfBoth ? DecideEchoRatio.echoStartRate(echoRate, startRate(),
                            searches.get(GrpcLoadTarget.Rpc.DECIDE)) : startRate();
                    FindMaxSearch.Outcome o = findMax(rpc, start, open, factory, results);
                    searches.put(rpc, o);
                    summary.append(SummaryText.findMax(rpc.name().toLowerCase(Locale.ROOT), o,
                            echoOfBoth ? "--echo-rate" : "--rate"));
                    if (o.lastPassing() != null) {
                        headline.add(o.lastPassing().result());
                    }
                } else if (!phases.isEmpty()) {
                    for (Phase p : phases) {
                        headline.add(runPhase(rpc, open, id, p, popularity, results, out));
                    }
                } else {
                    headline.add(runOnce(rpc, open, factory, records, results));
                }
            }
            if (!headline.isEmpty()) {
                summary.append(findMax ? "last passing step of each search:\n" : "")
                        .append(SummaryText.table(headline));
            }
            if (targetRpc == TargetRpc.both) {
                summary.append(DecideEchoRatio.text(findMax, headline, searches));
            }
            SummaryText.warnings(headline, summary);
        } finally {
            open.close();
        }
        out.print(summary);
        writeReports(summary.toString(), results, out);
        out.flush();
        for (RunResult r : results) {
            if (r.sent() > 0 && r.completed() - r.errors() == 0) {
                return 1;
            }
        }
        return 0;
    }

    private RunResult runOnce(GrpcLoadTarget.Rpc rpc, LoadChannels open, RequestFactory factory,
            List<TraceRecord> records, List<RunResult> results) throws IOException, InterruptedException {
        Schedule schedule;
        String description;
        if (trace != null) {
            schedule = TraceReader.schedule(records, speedup);
            description = "trace " + trace.getFileName() + " x" + speedup;
        } else {
            RateProfile p = profile == ProfileKind.double11
                    ? RateProfile.double11(baseRate, peakRate, seconds(ramp), seconds(hold), seconds(decay))
                    : RateProfile.constant(rate == null ? 1000 : rate);
            schedule = p.withWarmup(seconds(warmup));
            description = p.description();
        }
        RunResult r = run(rpcName(rpc), rpc, open, factory, schedule, description, warmup.toNanos(),
                duration.toNanos());
        results.add(r);
        return r;
    }

    /** One {@code --phase}, announced when it starts (a script may start what watches the server then). */
    private RunResult runPhase(GrpcLoadTarget.Rpc rpc, LoadChannels open, String id, Phase p,
            ZipfSampler popularity, List<RunResult> results, PrintWriter out) throws IOException, InterruptedException {
        String label = targetRpc == TargetRpc.both ? p.name() + "-" + rpcName(rpc) : p.name();
        RequestFactory factory = new RequestFactory(id + "-" + label, seed, popularity, fraudBurstShare, null);
        RateProfile constant = RateProfile.constant(p.rate());
        out.printf(Locale.ROOT, "phase %s: %s %s for %.0f s after a %.0f s warm-up, from %s%n", label, rpcName(rpc),
                constant.description(), seconds(p.duration()), seconds(p.warmup()), Instant.now());
        out.flush();
        RunResult r = run(label, rpc, open, factory, constant.withWarmup(seconds(p.warmup())), constant.description(),
                p.warmup().toNanos(), p.duration().toNanos());
        results.add(r);
        return r;
    }

    private double startRate() {
        return rate == null ? 1000 : rate;
    }

    private FindMaxSearch.Outcome findMax(GrpcLoadTarget.Rpc rpc, double startRate, LoadChannels open,
            RequestFactory base, List<RunResult> results) throws InterruptedException {
        int maxSteps = (int) Math.max(1, duration.toNanos() / stepDuration.toNanos());
        FindMaxSearch search = new FindMaxSearch(startRate, step, sloP99.toNanos(), maxErrors, maxSteps, stepRetries);
        return search.search((i, stepRate) -> {
            // warm up once, before the first step; later steps start warm
            long warm = i == 0 ? warmup.toNanos() : 0;
            RateProfile p = RateProfile.constant(stepRate);
            String label = String.format(Locale.ROOT, "%s@%.0f/s", rpcName(rpc), stepRate);
            RequestFactory factory = new RequestFactory(base.requestId(i), seed + i, new ZipfSampler(borrowers, zipf),
                    fraudBurstShare, null);
            try {
                RunResult r = run(label, rpc, open, factory, p.withWarmup(warm / 1e9), p.description(), warm,
                        stepDuration.toNanos());
                results.add(r);
                return r;
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + label + " report: " + e.getMessage(), e);
            }
        });
    }

    private RunResult run(String label, GrpcLoadTarget.Rpc rpc, LoadChannels open, RequestFactory factory,
            Schedule schedule, String description, long warmupNanos, long durationNanos)
            throws IOException, InterruptedException {
        List<GrpcLoadTarget> loads = new ArrayList<>();
        for (List<ManagedChannel> each : open.channels()) { // one target per loop, or one for the sender threads
            loads.add(new GrpcLoadTarget(rpc, mode == Mode.stream, each, factory, deadline.toNanos(), echoBytes,
                    confirmShare, cancelShare).routeByPartition(open.partitionLanes()).stride(open.loops().size()));
        }
        boolean showProgress = progress || System.console() != null;
        ProgressBar bar = showProgress ? new ProgressBar(System.err) : null;
        LatencyTimeline timeline = new LatencyTimeline(label);
        timelines.add(timeline);
        try (HlogSink sink = new HlogSink(hlogFile(label), "formica loadtest " + label + " " + description)) {
            OpenLoopRunner.IntervalListener intervals = (corrected, service) -> {
                timeline.onInterval(corrected, service);
                sink.onInterval(corrected, service);
            };
            OpenLoopRunner runner = new OpenLoopRunner(label, description, schedule, warmupNanos, durationNanos,
                    maxRequests, senders, maxInFlight, deadline.toNanos() + TimeUnit.SECONDS.toNanos(1),
                    LoadClock.SYSTEM, loads.get(0), () -> GrpcLoadTarget.followUpCounts(loads)).cpu(cpu);
            return open.loops().isEmpty() ? runner.run(intervals, bar)
                    : runner.run(open.loops(), loads, intervals, bar);
        } finally {
            if (bar != null) {
                bar.finish();
            }
            loads.forEach(GrpcLoadTarget::close);
        }
    }

    private void loadProfiles(PrintWriter out) {
        long start = System.nanoTime();
        try (FormicaClient client = FormicaClient.builder().target(target).retryPolicy(RetryPolicy.none())
                .streamDeadline(Duration.ofMinutes(5)).build()) {
            LoadSummary s = client.loadProfiles(new SampleBorrowers(borrowers, seed));
            out.printf(Locale.ROOT, "loaded profiles b0..b%d: received %d, loaded %d, rejected %d in %.1f s%n",
                    borrowers - 1, s.getReceived(), s.getLoaded(), s.getRejected(), (System.nanoTime() - start) / 1e9);
            out.flush();
        }
    }

    private void writeReports(String summary, List<RunResult> results, PrintWriter out) throws IOException {
        List<PercentilePlot.Line> lines = new ArrayList<>();
        for (RunResult r : results) {
            lines.add(new PercentilePlot.Line(r.name(), r.corrected()));
        }
        Path png = reportDir.resolve("latency-percentiles.png");
        PercentilePlot.write(lines, "Formica " + targetRpc + " latency from intended send time", png);
        Path html = reportDir.resolve("index.html");
        String command = "loadtest " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        Path overTime = reportDir.resolve("latency-over-time.png");
        TimelinePlot.write(timelines, "Formica " + targetRpc + " p99 and answers per second over time", overTime);
        HtmlReport.write(html, "Formica load test", command, summary, List.of(
                new HtmlReport.Figure("Latency by percentile", png),
                new HtmlReport.Figure("Latency over time", overTime)));
        out.printf("report: %s, %s, %s, hlog per run in %s%n", html, png, overTime, hlog != null ? hlog : reportDir);
    }

    private Path hlogFile(String label) {
        String safe = label.replace("/s", "ps").replaceAll("[^A-Za-z0-9@._-]", "_");
        boolean several = targetRpc == TargetRpc.both || findMax || !phases.isEmpty();
        if (hlog == null) {
            return reportDir.resolve(safe + ".hlog");
        }
        if (!several) {
            return hlog;
        }
        String name = hlog.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String withRun = dot > 0 ? name.substring(0, dot) + "-" + safe + name.substring(dot) : name + "-" + safe;
        return hlog.resolveSibling(withRun);
    }

    private String rpcName(GrpcLoadTarget.Rpc rpc) {
        return rpc == GrpcLoadTarget.Rpc.ECHO ? "echo" : mode == Mode.stream ? "decide-stream" : "decide";
    }

    /** Rejects conflicting or out-of-range options with a message naming the option to change. */
    void validate() {
        CommandLine cl = spec.commandLine();
        requireLoopback(cl);
        if (duration.isZero() || duration.isNegative() || duration.compareTo(MAX_DURATION) > 0) {
            throw new ParameterException(cl, "--duration: must be > 0 and at most 10m, was " + duration);
        }
        if (warmup.isNegative() || warmup.compareTo(MAX_DURATION) > 0) {
            throw new ParameterException(cl, "--warmup: must be 0..10m, was " + warmup);
        }
        if (maxRequests < 1) {
            throw new ParameterException(cl, "--max-requests: must be >= 1");
        }
        if (channels < 1 || channels > 64 || senders < 1 || senders > 16 || maxInFlight < 1) {
            throw new ParameterException(cl, "--channels 1..64, --senders 1..16 and --max-in-flight >= 1");
        }
        if (sender == Sender.loop && maxInFlight < senders) {
            throw new ParameterException(cl, "--max-in-flight: at least --senders with --sender loop (a share each)");
        }
        if (rate != null && !(rate > 0 && rate <= 1_000_000)) {
            throw new ParameterException(cl, "--rate: must be in (0, 1000000] requests/s, was " + rate);
        }
        if (profile == ProfileKind.double11) {
            if (rate != null) {
                throw new ParameterException(cl, "--rate conflicts with --profile double11: use "
                        + "--base-rate/--peak-rate");
            }
            if (!(baseRate > 0 && peakRate > 0 && peakRate <= 1_000_000)) {
                throw new ParameterException(cl, "--base-rate and --peak-rate: must be > 0 (peak at most 1000000)");
            }
            if (ramp.isNegative() || hold.isNegative() || decay.isNegative()) {
                throw new ParameterException(cl, "--ramp, --hold, --decay: must be >= 0");
            }
        }
        if (trace != null && (rate != null || profile == ProfileKind.double11)) {
            throw new ParameterException(cl, "--trace sets the timetable: drop --rate/--profile (use --speedup)");
        }
        if (findMax) {
            if (trace != null || profile == ProfileKind.double11) {
                throw new ParameterException(cl, "--find-max steps a constant --rate: drop --trace/--profile double11");
            }
            if (echoRate != null && !(echoRate > 0 && echoRate <= 1_000_000)) {
                throw new ParameterException(cl, "--echo-rate: must be in (0, 1000000] requests/s, was " + echoRate);
            }
            if (!(step > 1) || stepDuration.isZero() || stepDuration.isNegative()
                    || stepDuration.compareTo(duration) > 0) {
                throw new ParameterException(cl, "--step must be > 1 and --step-duration in (0, --duration]");
            }
        }
        if ((echoRate != null || echoFirst) && !(findMax && targetRpc == TargetRpc.both)) {
            throw new ParameterException(cl, "--echo-rate and --echo-first order the two searches of --find-max "
                    + "--target-rpc both: add those or drop them");
        }
        if (!phases.isEmpty() && (findMax || trace != null || profile == ProfileKind.double11 || rate != null)) {
            throw new ParameterException(cl, "--phase sets each run's rate and duration: drop --rate, --find-max, "
                    + "--trace and --profile double11");
        }
        if (!(speedup > 0)) {
            throw new ParameterException(cl, "--speedup: must be > 0");
        }
        if (confirmShare + cancelShare > 1) {
            throw new ParameterException(cl, "--confirm-share + --cancel-share: must be at most 1");
        }
        if (borrowers < 1 || !(zipf >= 0)) {
            throw new ParameterException(cl, "--borrowers must be >= 1 and --zipf >= 0");
        }
        if (echoBytes < 0 || echoBytes > 65536) {
            throw new ParameterException(cl, "--echo-bytes: 0..65536");
        }
        if (deadline.isZero() || deadline.isNegative()) {
            throw new ParameterException(cl, "--deadline: must be > 0");
        }
        if (serverMetricsPort != null && (serverMetricsPort < 1 || serverMetricsPort > 65535)) {
            throw new ParameterException(cl, "--server-metrics-port: 1..65535");
        }
    }

    private void requireLoopback(CommandLine cl) {
        String host = hostOf(target);
        if (allowRemote) {
            return;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    throw new ParameterException(cl, "--target " + target + " is not a loopback address ("
                            + a.getHostAddress() + "): load stays on this machine unless --allow-remote");
                }
            }
        } catch (UnknownHostException e) {
            throw new ParameterException(cl, "--target: unknown host '" + host + "'");
        }
    }

    /** A host as it goes into a URI: an IPv6 address in brackets. */
    static String hostForUri(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    /** The host part of {@code host:port}, {@code [v6]:port} or {@code scheme:///host:port}. */
    static String hostOf(String target) {
        String t = target;
        int scheme = t.indexOf(":///");
        if (scheme >= 0) {
            t = t.substring(scheme + 4);
        }
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            return close > 0 ? t.substring(1, close) : t;
        }
        int colon = t.lastIndexOf(':');
        return colon > 0 ? t.substring(0, colon) : t;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
