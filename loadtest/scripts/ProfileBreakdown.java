import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Folded stacks (async-profiler {@code collapsed}, one stack per line, "frame;frame;... count") of a Decide run and an
 * Echo run at the same rate, summed per component, as microseconds of CPU per request: samples x 1 ms / requests.
 * A stack goes to the first component whose pattern it matches, so the list runs from the most specific to the
 * most general. Run by profile-server.sh: {@code java ProfileBreakdown.java REQUESTS decide.collapsed echo.collapsed};
 * by profile-loadtest.sh with {@code --client} first, for the load tool's own stacks (its components instead).
 */
public final class ProfileBreakdown {
    private static final double INTERVAL_US = 1000.0;

    /** Component name to the pattern a stack must contain (searched, not matched whole). */
    private static final Map<String, Pattern> COMPONENTS = new LinkedHashMap<>();

    private static void server() {
        c("GC and JIT threads", "^(\\[)?(ZWorker|ZDriver|ZDirector|ZStat|ZUnmapper|ZRuntimeWorker|G1|GC Thread|C1 Compiler"
                + "|C2 Compiler|VM Thread|Sweeper)|^\\[(GC|gc)|^(Z[A-Z][a-z]+)");
        c("log writer: fdatasync", "LogWriter.*(force|fdatasync|sync)");
        c("log writer: write and loop", "LogWriter");
        c("shard: log append (window, CRC)", "ShardLog|LogBuffer|LogWriter\\$Log\\.append|StateOps");
        c("shard: velocity windows", "VelocityWindows");
        c("shard: idempotency records", "DecisionRecords");
        c("shard: Chronicle Map (ledger, profiles, holds)", "ShardProcessor.*net/openhft|ShardProcessor.*net\\.openhft");
        c("shard: rules, features, scoring", "ShardProcessor.*(RiskEvaluator|CompiledRuleSet|Expr|dev\\.cel|dev/cel|Scorecard)");
        c("shard: response protobuf", "ShardProcessor.*(protobuf|DecisionResponse|InstallmentPlanner)");
        c("shard: pricing and funding", "ShardProcessor.*(AllInRateCap|InstallmentPlanner|Funding)");
        c("shard: rest of the decision", "ShardProcessor");
        c("shard: park, wake, idle", "ShardAgent.*(park|Park|unpark|futex|idle)|formica-shard.*(park|Park)");
        c("shard: queue and replies", "ShardAgent|Replies|formica-shard");
        c("event loop: write to the socket", "(writev|write0|sendmsg|doWriteBytes|flush0|Native\\.write)");
        c("event loop: read from the socket", "(readv|read0|recvmsg|doReadBytes|Native\\.read)");
        c("event loop: epoll and wake-ups", "(epoll|eventfd|EpollEventLoop\\.(wakeup|epollWait))");
        c("server: validation, interceptors, services", "dev[./]formica[./]engine[./]server");
        c("server: protobuf parse and serialise", "com[./]google[./]protobuf");
        c("server: metrics (HdrHistogram, Prometheus)", "(HdrHistogram|prometheus|metrics)");
        c("gRPC and Netty (HTTP/2, framing, executor)", "(io[./]grpc|netty)");
        c("other", "");
    }

    /** The load tool's components: what it does per call, from building the request to recording the answer. */
    private static void client() {
        c("GC and JIT threads", "^(\\[)?(ZWorker|ZDriver|ZDirector|ZStat|ZUnmapper|ZRuntimeWorker|G1|GC Thread|C1 Compiler"
                + "|C2 Compiler|VM Thread|Sweeper)|^\\[(GC|gc)|^(Z[A-Z][a-z]+)");
        c("follow-ups (Confirm, Cancel)", "(onDecision|followUp)");
        c("request: build (RequestFactory)", "RequestFactory");
        c("request: serialise (protobuf)", "(ProtoLiteUtils|MessageMarshaller|RequestBytes).*stream|writeTo|drainTo");
        c("response: parse", "(parseFrom|parsePartialFrom|CodedInputStream|DecisionSummary|ProtoLiteUtils.*parse)");
        c("recording (HdrHistogram, counters)", "(HdrHistogram|OpenLoopRunner\\$Pending)");
        c("sender: park and wake", "runSender.*(park|Park|futex|LockSupport)");
        c("sender: call start and deadline", "(runSender|LoopLane|GrpcLoadTarget\\.send)"); // threads or loop
        c("event loop: write to the socket", "(writev|write0|sendmsg|doWriteBytes|flush0|Native\\.write)");
        c("event loop: read from the socket", "(readv|read0|recvmsg|doReadBytes|Native\\.read)");
        c("event loop: epoll and wake-ups", "(epoll|eventfd|EpollEventLoop\\.(wakeup|epollWait))");
        c("gRPC and Netty (HTTP/2, framing, executor)", "(io[./]grpc|netty)");
        c("sampler, reports", "(OpenLoopRunner|CpuMeter|HlogSink|LatencyTimeline|ProgressBar)");
        c("other", "");
    }

    private static void c(String name, String pattern) {
        COMPONENTS.put(name, Pattern.compile(pattern));
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("--client")) {
            client();
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            server();
        }
        double requests = Double.parseDouble(args[0]);
        Map<String, long[]> sums = new LinkedHashMap<>();
        for (String name : COMPONENTS.keySet()) {
            sums.put(name, new long[2]);
        }
        for (int run = 0; run < 2; run++) {
            List<String> lines = Files.readAllLines(Path.of(args[1 + run]));
            for (String line : lines) {
                int space = line.lastIndexOf(' ');
                if (space < 0) {
                    continue;
                }
                long count = Long.parseLong(line.substring(space + 1).trim());
                String stack = line.substring(0, space);
                for (Map.Entry<String, Pattern> e : COMPONENTS.entrySet()) {
                    if (e.getValue().matcher(stack).find()) {
                        sums.get(e.getKey())[run] += count;
                        break;
                    }
                }
            }
        }
        System.out.printf("%-48s %10s %10s %10s%n", "component (us of CPU per request)", "Decide", "Echo", "D - E");
        double[] total = new double[2];
        for (Map.Entry<String, long[]> e : sums.entrySet()) {
            double d = e.getValue()[0] * INTERVAL_US / requests;
            double x = e.getValue()[1] * INTERVAL_US / requests;
            total[0] += d;
            total[1] += x;
            if (d + x > 0) {
                System.out.printf("%-48s %10.1f %10.1f %10.1f%n", e.getKey(), d, x, d - x);
            }
        }
        System.out.printf("%-48s %10.1f %10.1f %10.1f%n", "total", total[0], total[1], total[0] - total[1]);
    }
}
