import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * What a snapshot being written does to the shard log's {@code fdatasync}, on the disk under test: one thread
 * writes 1,500 bytes into a preallocated (zero-filled, synced) file and {@code fdatasync}s it every GAP_MICROS, as
 * the log writer does; another writes a snapshot-sized file (SNAP_MIB) beside it, in turns: as ShardSnapshot wrote
 * it before 2026-12-06 ({@code bulk}: through a 64 KiB BufferedOutputStream, then one {@code fsync} of the whole
 * file) and in chunks of CHUNK_KIB each written and {@code fdatasync}ed before the next, at most RATE_MIB a second
 * ({@code chunked}, what {@code files.PacedSyncOutputStream} does), with a quiet pause between ({@code idle}). The
 * turns alternate ROUNDS times, so all see the same moments of a noisy box. Each log sync is counted in the turn
 * during which it started; a turn lasts from the snapshot's first write to its last sync. Prints, per turn, the log
 * syncs' percentiles, how many took more than 5 ms, and the time spent in those over 5 ms per snapshot
 * (docs/perf-notes/2026-12-06-fsync-tail.md). Files are made in DIR (on the disk under test, not tmpfs) and deleted.
 *
 * <pre>java loadtest/scripts/SnapshotWriteTail.java DIR [ROUNDS=6] [SNAP_MIB=16] [CHUNK_KIB=1024] [RATE_MIB=64]
 *     [GAP_MICROS=1000]</pre>
 */
public final class SnapshotWriteTail {
    private static final String[] TURNS = {"idle", "bulk", "chunked"};
    private static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private SnapshotWriteTail() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        long snapBytes = (args.length > 2 ? Long.parseLong(args[2]) : 16) << 20;
        int chunk = (args.length > 3 ? Integer.parseInt(args[3]) : 1024) << 10;
        long rate = (args.length > 4 ? Long.parseLong(args[4]) : 64) << 20;
        long gapNanos = TimeUnit.MICROSECONDS.toNanos(args.length > 5 ? Long.parseLong(args[5]) : 1000);
        Files.createDirectories(dir);
        Path logFile = dir.resolve("snapshot-tail-log.bin");
        Path snapFile = dir.resolve("snapshot-tail-snap.bin");
        AtomicInteger turn = new AtomicInteger(-1); // -1: between turns, not counted
        List<List<Long>> samples = new ArrayList<>();
        for (int i = 0; i < TURNS.length; i++) {
            samples.add(new ArrayList<>());
        }
        long logBytes = 256L << 20;
        try (FileChannel log = FileChannel.open(logFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < logBytes; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    log.write(zeros, at + zeros.position());
                }
                log.force(false);
            }
            log.force(true);
            running = true;
            Thread syncer = new Thread(() -> logLoop(log, logBytes, gapNanos, turn, samples), "log");
            syncer.start();
            byte[] content = new byte[1 << 16];
            for (int i = 0; i < content.length; i++) {
                content[i] = (byte) (i * 131 + 17);
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            long[] snapshotNanos = new long[TURNS.length];
            for (int r = 0; r < rounds; r++) {
                int[] order = r % 2 == 0 ? new int[] {0, 1, 2} : new int[] {2, 1, 0};
                for (int t : order) {
                    long start = System.nanoTime();
                    turn.set(t);
                    if (t == 0) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
                    } else if (t == 1) {
                        bulk(snapFile, snapBytes, content);
                    } else {
                        chunked(snapFile, snapBytes, content, chunk, rate);
                    }
                    turn.set(-1);
                    snapshotNanos[t] += System.nanoTime() - start;
                    Files.deleteIfExists(snapFile);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1000)); // let the disk settle
                }
            }
            running = false;
            syncer.join();
            System.out.printf("%d rounds, snapshot %d MiB, chunk %d KiB, at most %d MiB/s, a log sync every %d us%n",
                    rounds, snapBytes >> 20, chunk >> 10, rate >> 20, gapNanos / 1000);
            for (int t = 0; t < TURNS.length; t++) {
                print(TURNS[t], samples.get(t), rounds, snapshotNanos[t] / rounds);
            }
        } finally {
            Files.deleteIfExists(logFile);
            Files.deleteIfExists(snapFile);
        }
    }

    private static volatile boolean running;

    private static void logLoop(FileChannel log, long logBytes, long gapNanos, AtomicInteger turn,
            List<List<Long>> samples) {
        ByteBuffer data = ByteBuffer.allocateDirect(1500);
        long at = 0;
        try {
            while (running) {
                int t = turn.get();
                data.clear();
                long start = System.nanoTime();
                while (data.hasRemaining()) {
                    log.write(data, at + data.position());
                }
                log.force(false);
                long took = System.nanoTime() - start;
                if (t >= 0 && turn.get() == t) {
                    synchronized (samples) {
                        samples.get(t).add(took);
                    }
                }
                at = (at + 1500) % (logBytes - 1500);
                LockSupport.parkNanos(gapNanos);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** As ShardSnapshot.write did: buffered stream writes into the page cache, then one fsync of the whole file. */
    private static void bulk(Path file, long bytes, byte[] content) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (long n = 0; n < bytes; n += content.length) {
                out.write(content);
            }
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Chunks written and fdatasynced one by one, paced to at most {@code rate} bytes a second. */
    private static void chunked(Path file, long bytes, byte[] content, int chunk, long rate) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
        long start = System.nanoTime();
        long written = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (written < bytes) {
                buf.clear();
                while (buf.hasRemaining()) {
                    buf.put(content, 0, Math.min(content.length, buf.remaining()));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
                written += chunk;
                long due = start + written * TimeUnit.SECONDS.toNanos(1) / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            ch.force(true);
        }
    }

    private static void print(String name, List<Long> nanos, int rounds, long turnNanos) {
        long[] s;
        synchronized (nanos) {
            s = nanos.stream().mapToLong(Long::longValue).toArray();
        }
        Arrays.sort(s);
        if (s.length == 0) {
            System.out.printf("%-8s no log syncs%n", name);
            return;
        }
        long slow = 0;
        long slowNanos = 0;
        for (long v : s) {
            if (v > SLOW_NANOS) {
                slow++;
                slowNanos += v;
            }
        }
        System.out.printf("%-8s turn %5.0f ms; log syncs %5d: p50 %5.2f p90 %6.2f p99 %6.2f max %7.2f ms;"
                + " > 5 ms: %4d (%.1f per turn, %.0f ms in them per turn)%n", name, turnNanos / 1e6, s.length,
                ms(s, 0.5), ms(s, 0.9), ms(s, 0.99), s[s.length - 1] / 1e6, slow, (double) slow / rounds,
                slowNanos / 1e6 / rounds);
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }
}
