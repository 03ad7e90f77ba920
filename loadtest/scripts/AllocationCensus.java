import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Every allocation of a JMH benchmark method, by site: reads a JFR recording of a fork run with TLABs off, where each
 * allocation takes the slow path and is a {@code jdk.ObjectAllocationOutsideTLAB} event with its stack (also from
 * C2-compiled code, after escape analysis), keeps the events whose stack holds {@code METHOD} (a class and method
 * name), and sums their bytes by type and top ten frames over the recording's last {@code SECONDS} (the measured
 * iterations). JFR's allocation samples, one per new TLAB, are too few at a few bytes per op.
 *
 * <pre>
 * # notlab.jfc: the JDK's lib/jfr/profile.jfc with jdk.ObjectAllocationOutsideTLAB enabled (stackTrace true)
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar 'ShardProcessorBenchmark.decide$' \
 *   -prof gc -p log=memory -f 1 -wi 10 -i 5 \
 *   -jvmArgsAppend "-XX:-UseTLAB -XX:StartFlightRecording=filename=notlab.jfr,settings=notlab.jfc"
 * java -Xmx4g loadtest/scripts/AllocationCensus.java notlab.jfr 5.5 \
 *   dev.formica.benchmarks.ShardProcessorBenchmark.decide
 * </pre>
 */
public class AllocationCensus {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        double seconds = Double.parseDouble(args[1]);
        String method = args.length > 2 ? args[2] : "dev.formica.benchmarks.ShardProcessorBenchmark.decide";
        List<RecordedEvent> kept = new ArrayList<>();
        long end = Long.MIN_VALUE;
        try (RecordingFile r = new RecordingFile(file)) {
            while (r.hasMoreEvents()) {
                RecordedEvent e = r.readEvent();
                if (!e.getEventType().getName().equals("jdk.ObjectAllocationOutsideTLAB")) {
                    continue;
                }
                RecordedStackTrace st = e.getStackTrace();
                if (st == null) {
                    continue;
                }
                boolean bench = false;
                for (RecordedFrame f : st.getFrames()) {
                    String m = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                    if (m.equals(method)) {
                        bench = true;
                        break;
                    }
                }
                if (!bench) {
                    continue;
                }
                kept.add(e);
                end = Math.max(end, e.getStartTime().toEpochMilli());
            }
        }
        Map<String, long[]> sites = new HashMap<>();
        long total = 0;
        long n = 0;
        for (RecordedEvent e : kept) {
            if (e.getStartTime().toEpochMilli() < end - (long) (seconds * 1000)) {
                continue;
            }
            StringBuilder k = new StringBuilder(e.getClass("objectClass").getName());
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            for (int i = 0; i < Math.min(10, frames.size()); i++) {
                RecordedFrame f = frames.get(i);
                String t = f.getMethod().getType().getName();
                k.append(" < ").append(t.substring(t.lastIndexOf('.') + 1)).append('.').append(f.getMethod().getName())
                        .append(':').append(f.getLineNumber());
            }
            long size = e.getLong("allocationSize");
            long[] v = sites.computeIfAbsent(k.toString(), x -> new long[2]);
            v[0] += size;
            v[1]++;
            total += size;
            n++;
        }
        System.out.println(n + " allocations, " + total + " bytes in the last " + seconds + " s");
        sites.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(30)
                .forEach(x -> System.out.println(x.getValue()[0] + " B  n=" + x.getValue()[1] + "  " + x.getKey()));
    }
}
