import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The machine's floor for tail latency: N threads each spin on {@code System.nanoTime()} for a while and
 * count the gaps, the moments a runnable thread was kept off the CPU. On Linux each thread also reads
 * its own run-queue wait from {@code /proc/thread-self/schedstat}: when that wait covers the gaps, the
 * guest's scheduler gave the CPU to another task; when it does not, the hypervisor took the vCPU.
 *
 * <p>Run it without building anything (Java 11+ launches a single source file):
 * <pre>java loadtest/scripts/CpuGaps.java [THREADS=2] [SECONDS=20]</pre>
 * With as many spinning threads as cores, a server thread cannot expect a better p99.9 than the gaps
 * these threads see. Safepoint pauses of the probe's own JVM also show up as gaps (a few, well under
 * 1 ms with ZGC).
 */
public final class CpuGaps {
    private static final long[] BOUNDS_NS = {100_000, 300_000, 1_000_000, 5_000_000, 10_000_000, 20_000_000};
    private static final String[] LABELS = {">0.1ms", ">0.3ms", ">1ms", ">5ms", ">10ms", ">20ms"};

    private CpuGaps() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        long durationNs = (long) (seconds * 1e9);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> spinners = new ArrayList<>();
        String[] reports = new String[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> reports[id] = spin(id, start, durationNs), "cpu-gaps-" + i);
            spinners.add(t);
            t.start();
        }
        System.out.printf("%d spinning thread(s) for %.0f s on %d CPU(s); gaps = time a runnable thread "
                + "did not run%n", threads, seconds, Runtime.getRuntime().availableProcessors());
        start.countDown();
        for (Thread t : spinners) {
            t.join();
        }
        for (String r : reports) {
            System.out.println(r);
        }
    }

    private static String spin(int id, CountDownLatch start, long durationNs) {
        try {
            start.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "thread " + id + ": interrupted";
        }
        long[] counts = new long[BOUNDS_NS.length];
        long[] schedBefore = schedstat();
        long begin = System.nanoTime();
        long end = begin + durationNs;
        long prev = begin;
        long max = 0;
        long gapTotal = 0;
        long now;
        while ((now = System.nanoTime()) < end) {
            long gap = now - prev;
            prev = now;
            if (gap > BOUNDS_NS[0]) {
                gapTotal += gap;
                max = Math.max(max, gap);
                int b = BOUNDS_NS.length - 1;
                while (gap <= BOUNDS_NS[b]) {
                    b--;
                }
                counts[b]++;
            }
        }
        long[] schedAfter = schedstat();
        StringBuilder sb = new StringBuilder("thread " + id + ":");
        for (int b = 0; b < counts.length; b++) {
            sb.append(' ').append(LABELS[b]).append(' ').append(counts[b]);
        }
        sb.append(String.format("; max %.2f ms, all gaps over 0.1 ms %.1f ms", max / 1e6, gapTotal / 1e6));
        if (schedBefore != null && schedAfter != null) {
            sb.append(String.format("; run-queue wait (schedstat) %.1f ms, on CPU %.0f ms of %.0f ms",
                    (schedAfter[1] - schedBefore[1]) / 1e6, (schedAfter[0] - schedBefore[0]) / 1e6,
                    (now - begin) / 1e6));
        }
        return sb.toString();
    }

    /** {on-CPU ns, run-queue wait ns} of the calling thread, or null where /proc does not have them. */
    private static long[] schedstat() {
        try {
            String[] f = Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split("\\s+");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
