package dev.formica.loadtest;

import java.io.PrintStream;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * A one-line progress bar on stderr, redrawn in place each second: elapsed time, requests sent and
 * answered, in flight, errors, and the last second's corrected p99.
 *
 * <p>Thread contract: called by the runner's sampling thread only.
 */
public final class ProgressBar implements OpenLoopRunner.ProgressListener {
    private static final int BAR = 24;
    private final PrintStream out;

    public ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onTick(OpenLoopRunner runner, Histogram lastCorrected) {
        double total = runner.totalSeconds();
        double elapsed = Math.max(0, Math.min(runner.elapsedSeconds(), total));
        int filled = (int) (BAR * elapsed / total);
        String p99 = lastCorrected.getTotalCount() == 0 ? "-"
                : String.format(Locale.ROOT, "%.2fms", lastCorrected.getValueAtPercentile(99) / 1e6);
        out.print(String.format(Locale.ROOT, "\r%-14s [%s%s] %5.1f/%.0fs sent %d done %d in-flight %d err %d p99 %s   ",
                runner.name(), "#".repeat(filled), ".".repeat(BAR - filled), elapsed, total, runner.sentSoFar(),
                runner.completedSoFar(), runner.inFlight(), runner.errorsSoFar(), p99));
        out.flush();
    }

    /** Ends the line so the next output starts clean. */
    public void finish() {
        out.print("\n");
        out.flush();
    }
}
