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
 * The shard log's {@code fdatasync} alone, growing against preallocated, on the disk under test: each step appends
 * BYTES to a file that grows with each write and syncs it ({@code force(false)}, {@code fdatasync}), then writes
 * BYTES into a file that was filled with zeros and synced beforehand and syncs that, one after the other, so both
 * see the same moments of a noisy box; a pause of GAP_MICROS after each pair. Prints the percentiles of each
 * (docs/perf-notes/2026-12-06-fsync-tail.md). The files are made in DIR (which must be on the disk under test, not
 * tmpfs) and deleted at the end.
 *
 * <pre>java loadtest/scripts/FsyncTail.java DIR [SYNCS=5000] [BYTES=1500] [GAP_MICROS=1000]</pre>
 */
public final class FsyncTail {
    private FsyncTail() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int syncs = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int bytes = args.length > 2 ? Integer.parseInt(args[2]) : 1500;
        long gapNanos = TimeUnit.MICROSECONDS.toNanos(args.length > 3 ? Long.parseLong(args[3]) : 1000);
        Files.createDirectories(dir);
        Path growing = dir.resolve("fsync-tail-growing.bin");
        Path zeroed = dir.resolve("fsync-tail-zeroed.bin");
        long size = (long) syncs * bytes + (1 << 20);
        ByteBuffer data = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i++) {
            data.put(i, (byte) (i * 31 + 7));
        }
        long[] grow = new long[syncs];
        long[] pre = new long[syncs];
        try (FileChannel g = FileChannel.open(growing, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                FileChannel z = FileChannel.open(zeroed, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < size; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    z.write(zeros, at + zeros.position());
                }
            }
            z.force(true);
            g.force(true);
            for (int i = 0; i < syncs; i++) {
                long at = (long) i * bytes;
                grow[i] = writeAndSync(g, data, at);
                pre[i] = writeAndSync(z, data, at);
                LockSupport.parkNanos(gapNanos);
            }
        } finally {
            Files.deleteIfExists(growing);
            Files.deleteIfExists(zeroed);
        }
        print("growing file ", grow);
        print("preallocated ", pre);
    }

    private static long writeAndSync(FileChannel ch, ByteBuffer data, long at) throws IOException {
        data.clear();
        long t = System.nanoTime();
        while (data.hasRemaining()) {
            ch.write(data, at + data.position());
        }
        ch.force(false);
        return System.nanoTime() - t;
    }

    private static void print(String name, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%s write+fdatasync us: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (%d syncs)%n", name,
                at(s, 0.5), at(s, 0.9), at(s, 0.99), at(s, 0.999), s[s.length - 1] / 1000, s.length);
    }

    private static long at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1000;
    }
}
