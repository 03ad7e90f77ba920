import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * CPU of RestartBenchmark's restarts by part, from a JFR recording of its fork: the execution samples of the thread
 * that opens the pipeline (a stack through {@code RestartBenchmark.restart}), of {@code formica-open-stores} and of the
 * {@code formica-replay-*}
 * threads (snapshot load, replay and reconciliation of each shard), summed per part as seconds (samples x the
 * sampling period) and divided by the restarts. A stack goes to the first part whose pattern it contains, so the
 * list runs from the most specific to the most general. JFR samples Java threads only: GC and kernel work a
 * part causes beside it (page faults are in it) are not seen.
 *
 * <pre>
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar RestartBenchmark -wi 0 -i 2 \
 *     -jvmArgsAppend "-XX:StartFlightRecording=filename=/tmp/r.jfr,settings=profile
 *                     -XX:FlightRecorderOptions:stackdepth=256"
 * java loadtest/scripts/RestartParts.java /tmp/r.jfr 2 [period ms, 10 in settings=profile] [frame regex]
 * </pre>
 *
 * <p>With a frame pattern (e.g. {@code 'ShardProcessor\.recover;'}) it also lists what that frame calls, two
 * frames deep, by CPU.
 */
public final class RestartParts {
    private static final Map<String, Pattern> PARTS = new LinkedHashMap<>();

    static {
        p("snapshot load: idempotency records", "ShardSnapshot\\.read.*DecisionRecords");
        p("snapshot load: holds", "ShardSnapshot\\.read.*HoldBook");
        p("snapshot load: ledger", "ShardSnapshot\\.read.*CreditLedger");
        p("snapshot load: profiles, line notes", "ShardSnapshot\\.read.*BorrowerDocuments");
        p("snapshot load: exposure records", "ShardSnapshot\\.read.*ExposureBook");
        p("snapshot load: activity", "ShardSnapshot\\.read.*BorrowerActivity");
        p("snapshot load: velocity merge", "ShardSnapshot\\.read.*VelocityWindows");
        p("snapshot load: reading the file (DataInputStream, checksum)", "ShardSnapshot\\.(read|verify)");
        p("reconciliation: ShardExposures.reconcile", "ShardExposures\\.reconcile");
        p("reconciliation: ShardProcessor.recover", "ShardProcessor\\.recover");
        p("replay: velocity adds", "LogRecovery.*VelocityWindows");
        p("replay: idempotency records", "LogRecovery.*DecisionRecords");
        p("replay: holds", "LogRecovery.*HoldBook");
        p("replay: exposure records", "LogRecovery.*ExposureBook");
        p("replay: activity", "LogRecovery.*BorrowerActivity");
        p("replay: ledger", "LogRecovery.*CreditLedger");
        p("replay: reading the log, decoding, the rest", "LogRecovery");
        p("Markets.open (velocity table pre-touch, rules)", "Markets\\.open");
        p("ShardState.open", "ShardState\\.open");
        p("concentration table", "addExposuresToTable|addAllToTable");
        p("close", "DecisionPipeline\\.close|ShardState\\.close");
        p("other", "");
    }

    private static void p(String name, String pattern) {
        PARTS.put(name, Pattern.compile(pattern));
    }

    public static void main(String[] args) throws IOException {
        int restarts = Integer.parseInt(args[1]);
        double periodS = (args.length > 2 ? Double.parseDouble(args[2]) : 10) / 1000.0;
        Map<String, Long> samples = new LinkedHashMap<>();
        PARTS.keySet().forEach(k -> samples.put(k, 0L));
        long total = 0;
        Pattern within = args.length > 3 ? Pattern.compile(args[3]) : null;
        Map<String, Long> callees = new java.util.HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            String thread = e.getThread("sampledThread") == null ? "" : e.getThread("sampledThread").getJavaName();
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            StringBuilder stack = new StringBuilder();
            for (int i = frames.size() - 1; i >= 0; i--) { // root first, as the patterns read
                RecordedFrame f = frames.get(i);
                stack.append(f.getMethod().getType().getName()).append('.').append(f.getMethod().getName()).append(';');
            }
            String s = stack.toString();
            if (!(thread != null && (thread.startsWith("formica-replay-") || thread.equals("formica-open-stores")))
                    && !s.contains("RestartBenchmark.restart")) {
                continue; // the @Setup that builds the data directory, the snapshot builder, JMH
            }
            total++;
            if (within != null && within.matcher(s).find()) {
                // the frames called from the first frame of the part asked about, two deep
                String[] names = s.split(";");
                int at = 0;
                while (at < names.length && !within.matcher(names[at] + ";").find()) {
                    at++;
                }
                String callee = at + 1 < names.length ? names[at + 1] : "(self)";
                String next = at + 2 < names.length ? " > " + names[at + 2] : "";
                callees.merge(callee + next, 1L, Long::sum);
            }
            for (Map.Entry<String, Pattern> part : PARTS.entrySet()) {
                if (part.getValue().matcher(s).find()) {
                    samples.merge(part.getKey(), 1L, Long::sum);
                    break;
                }
            }
        }
        System.out.printf("%-62s %8s%n", "part", "CPU s per restart");
        for (Map.Entry<String, Long> e : samples.entrySet()) {
            if (e.getValue() > 0) {
                System.out.printf("%-62s %8.2f%n", e.getKey(), e.getValue() * periodS / restarts);
            }
        }
        System.out.printf("%-62s %8.2f%n", "total", total * periodS / restarts);
        if (within != null) {
            System.out.println();
            System.out.println("called from " + within.pattern() + ", CPU s per restart:");
            callees.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
                    .forEach(e -> System.out.printf("%8.2f  %s%n", e.getValue() * periodS / restarts, e.getKey()));
        }
    }
}
