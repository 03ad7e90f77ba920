import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Does the segment preparer slow the log writer's {@code fdatasync}? One thread does what the writer does (BYTES
 * written into a preallocated, synced file, {@code force(false)}, a pause of GAP_MICROS: about 1,300 syncs a
 * second, as at 1,700 Decides a second), while a second thread zeroes files at the preparer's 32 MiB/s in one of
 * several ways: idle; 256 KiB chunks each synced (what {@code SegmentPreparer} does); 32 KiB and 64 KiB chunks each
 * synced; 256 KiB chunks not synced (one sync per 64 MiB file); a file sized first and then filled in synced
 * 256 KiB chunks. The ways take turns in blocks of BLOCK_S seconds, ROUNDS times, so each sees the same noise of
 * a shared box. Prints the sync's percentiles and slow-sync counts per way
 * (docs/perf-notes/2026-12-06-sync-tail.md). DIR must be on the disk under test; its files are deleted at the end.
 *
 * <pre>java loadtest/scripts/PrepareTail.java DIR [BLOCK_S=8] [ROUNDS=3] [BYTES=1500] [GAP_MICROS=500]</pre>
 */
public final class PrepareTail {
    static final String[] MODES = {"idle", "chunk256+sync", "chunk32+sync", "chunk256-nosync", "presized256+sync",
            "chunk64+sync/2ms"};
    static volatile int mode = 0;
    static volatile boolean running = true;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int blockS = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int bytes = args.length > 3 ? Integer.parseInt(args[3]) : 1500;
        long gap = TimeUnit.MICROSECONDS.toNanos(args.length > 4 ? Long.parseLong(args[4]) : 500);
        Files.createDirectories(dir);
        Path live = dir.resolve("live.bin");
        long liveSize = 64L << 20;
        ByteBuffer zeros = ByteBuffer.allocateDirect(256 << 10);
        try (FileChannel ch = FileChannel.open(live, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < liveSize; at += zeros.capacity()) {
                zeros.clear();
                ch.write(zeros, at);
            }
            ch.force(true);
        }
        List<List<Long>> lat = new ArrayList<>();
        for (int i = 0; i < MODES.length; i++) {
            lat.add(new ArrayList<>());
        }
        Thread zeroer = new Thread(() -> zero(dir), "zeroer");
        zeroer.start();
        Thread writer = new Thread(() -> {
            ByteBuffer data = ByteBuffer.allocateDirect(bytes);
            try (FileChannel ch = FileChannel.open(live, StandardOpenOption.WRITE)) {
                long pos = 0;
                while (running) {
                    data.clear();
                    if (pos + bytes > liveSize) {
                        pos = 0;
                    }
                    ch.write(data, pos);
                    pos += bytes;
                    int m = mode;
                    long t = System.nanoTime();
                    ch.force(false);
                    long d = System.nanoTime() - t;
                    synchronized (lat) {
                        lat.get(m).add(d);
                    }
                    LockSupport.parkNanos(gap);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, "writer");
        writer.start();
        for (int r = 0; r < rounds; r++) {
            for (int m = 0; m < MODES.length; m++) {
                mode = m;
                Thread.sleep(TimeUnit.SECONDS.toMillis(blockS));
            }
        }
        running = false;
        writer.join();
        zeroer.join();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        System.out.printf("%-18s %7s %7s %7s %7s %7s %7s %6s %6s%n", "zeroing", "syncs", "p50", "p99", "p99.9",
                "max ms", ">2.5ms", ">5ms", ">25ms");
        for (int m = 0; m < MODES.length; m++) {
            long[] v = lat.get(m).stream().mapToLong(Long::longValue).sorted().toArray();
            int n = v.length;
            System.out.printf("%-18s %7d %7.2f %7.2f %7.2f %7.1f %7d %6d %6d%n", MODES[m], n, v[n / 2] / 1e6,
                    v[(int) (n * 0.99)] / 1e6, v[(int) (n * 0.999)] / 1e6, v[n - 1] / 1e6,
                    Arrays.stream(v).filter(x -> x > 2_500_000).count(),
                    Arrays.stream(v).filter(x -> x > 5_000_000).count(),
                    Arrays.stream(v).filter(x -> x > 25_000_000).count());
        }
    }

    /** 32 MiB/s in every way that writes: files of 64 MiB, new names, deleted at the end. */
    static void zero(Path dir) {
        long fileBytes = 64L << 20;
        ByteBuffer zeros = ByteBuffer.allocateDirect(256 << 10);
        int file = 0;
        try {
            while (running) {
                int m = mode;
                if (m == 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                    continue;
                }
                int chunk = m == 2 ? 32 << 10 : m == 5 ? 64 << 10 : 256 << 10;
                long pause = TimeUnit.SECONDS.toNanos(1) * chunk / (32L << 20);
                Path p = dir.resolve("zero-" + file++ + ".bin");
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    if (m == 4) {
                        ch.write(ByteBuffer.allocate(1), fileBytes - 1);
                        ch.force(true);
                    }
                    for (long at = 0; at < fileBytes && running && mode == m; at += chunk) {
                        zeros.clear().limit(chunk);
                        ch.write(zeros, at);
                        if (m != 3) {
                            ch.force(false);
                        }
                        LockSupport.parkNanos(pause);
                    }
                    ch.force(true);
                }
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
