import java.io.InputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * What checking a snapshot's checksum costs a start-up, the two ways: "stream" is what start-up did before the sixth
 * session ({@code ShardSnapshot.verify}: the file read through a 64 KiB array and checksummed, then mapped for the
 * load, whose reads fault each page of the mapping in: here one byte read per page stands for them); "mapped" is
 * {@code ShardSnapshot.readIfValid}: the file mapped once and checksummed over the mapping, the load then reading
 * pages already mapped. Prints each round's wall time and the process's user and system CPU over it (from
 * {@code /proc/self/stat}). The file should be in the page cache, as a snapshot just written or read is; run it
 * with a snapshot of {@code RestartBenchmark}'s kept data directory, alternating the orders.
 *
 * <pre>
 * java loadtest/scripts/SnapshotCheck.java /tmp/restart-1m/shard-0/snapshots/NNN.snap stream,mapped,stream,mapped
 * </pre>
 */
public final class SnapshotCheck {
    private static final int PAGE = 4096;

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long size = Files.size(file);
        for (String kind : args[1].split(",")) {
            long[] before = stat();
            long t0 = System.nanoTime();
            long result = kind.equals("stream") ? stream(file, size) : mapped(file, size);
            long t1 = System.nanoTime();
            long[] after = stat();
            System.out.printf("%-6s %,d bytes: %5.0f ms, user %.2f s, system %.2f s, %,d minor faults (%d)%n", kind,
                    size, (t1 - t0) / 1e6, (after[2] - before[2]) / 100.0, (after[3] - before[3]) / 100.0,
                    after[0] - before[0], result);
        }
    }

    /** The checksum through a 64 KiB array, then the file mapped and each page read once. */
    private static long stream(Path file, long size) throws Exception {
        CRC32C crc = new CRC32C();
        byte[] chunk = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            long left = size - 4;
            while (left > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
                crc.update(chunk, 0, n);
                left -= n;
            }
        }
        long touched = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            for (int at = 0; at < size; at += PAGE) {
                touched += mapped.get(at);
            }
        }
        return crc.getValue() + touched;
    }

    /** The checksum over the mapping (its pages faulted in by it). */
    private static long mapped(Path file, long size) throws Exception {
        CRC32C crc = new CRC32C();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            crc.update(mapped.duplicate().position(0).limit((int) size - 4));
        }
        return crc.getValue();
    }

    /** Minor faults, major faults, user and system clock ticks (10 ms) of this process. */
    private static long[] stat() throws Exception {
        String line = Files.readString(Path.of("/proc/self/stat"));
        String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(f[7]), Long.parseLong(f[9]), Long.parseLong(f[11]), Long.parseLong(f[12])};
    }
}
