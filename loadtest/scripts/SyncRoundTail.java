import dev.formica.engine.log.LogChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One round of the log writer's syncs alone, on the disk under test, through the engine's own segment channels
 * ({@code LogChannel.FILES}): LOGS preallocated files (zeros written and synced beforehand, as the segment preparer
 * does) each get BYTES appended, then are made durable either one after the other ({@code fdatasync} each, the
 * writer before the shared flush) or sharing one cache flush (every log's write started, all but the last written
 * out with {@code sync_file_range}, one {@code fdatasync} of the last: {@code SyncRound}). The two kinds alternate
 * round by round so that both see the same moments of a noisy box; a pause of GAP_MICROS after each round. Prints
 * each kind's round percentiles (docs/perf-notes/2026-12-07-shared-flush.md). The files are made in DIR (on the
 * disk under test, not tmpfs) and deleted at the end.
 *
 * <pre>java -cp tools/target/formica.jar loadtest/scripts/SyncRoundTail.java DIR [ROUNDS=3000] [LOGS=2]
 *     [BYTES=1500] [GAP_MICROS=1000]</pre>
 */
public final class SyncRoundTail {
    private SyncRoundTail() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        int logs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int bytes = args.length > 3 ? Integer.parseInt(args[3]) : 1500;
        long gapNanos = TimeUnit.MICROSECONDS.toNanos(args.length > 4 ? Long.parseLong(args[4]) : 1000);
        Files.createDirectories(dir);
        long size = (long) rounds * bytes + (1 << 20);
        ByteBuffer data = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i++) {
            data.put(i, (byte) (i * 31 + 7));
        }
        Path[] files = new Path[logs];
        LogChannel[] channels = new LogChannel[logs];
        long[] each = new long[rounds / 2];
        long[] shared = new long[rounds / 2];
        try {
            for (int k = 0; k < logs; k++) {
                files[k] = dir.resolve("sync-round-" + k + ".bin");
                zeroed(files[k], size);
                channels[k] = LogChannel.FILES.open(files[k], 0);
            }
            if (channels[0].device() == null) {
                System.out.println("no write-out on this file system: both kinds sync each log");
            }
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                for (LogChannel ch : channels) {
                    data.clear();
                    ch.append(data);
                }
                if (i % 2 == 0) {
                    for (LogChannel ch : channels) {
                        ch.sync();
                    }
                    each[i / 2] = System.nanoTime() - t;
                } else {
                    for (LogChannel ch : channels) {
                        ch.startWrite();
                    }
                    for (int k = 0; k < logs - 1; k++) {
                        if (!channels[k].writeOut()) {
                            channels[k].sync();
                        }
                    }
                    channels[logs - 1].sync();
                    shared[i / 2] = System.nanoTime() - t;
                }
                LockSupport.parkNanos(gapNanos);
            }
        } finally {
            for (int k = 0; k < logs; k++) {
                if (channels[k] != null) {
                    channels[k].close();
                }
                if (files[k] != null) {
                    Files.deleteIfExists(files[k]);
                }
            }
        }
        print("fdatasync each    ", each);
        print("one shared flush  ", shared);
    }

    private static void zeroed(Path file, long size) throws IOException {
        try (FileChannel z = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < size; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    z.write(zeros, at + zeros.position());
                }
            }
            z.force(true);
        }
    }

    private static void print(String name, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%s write+round us: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (%d rounds)%n", name,
                at(s, 0.5), at(s, 0.9), at(s, 0.99), at(s, 0.999), s[s.length - 1] / 1000, s.length);
    }

    private static long at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1000;
    }
}
