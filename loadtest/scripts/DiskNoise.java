import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A neighbour that writes to the disk: does write-back stall a server that writes nothing to the disk itself?
 * Run it next to a server whose data directory is on tmpfs ({@code tmpfs-parts.sh OUT tmpfs}) and compare the
 * server's tail with and without it (docs/perf-notes/2026-11-28-file-system-and-the-tail.md).
 *
 * <ul>
 *   <li>{@code random}: writes one long into a random page of a sparse 600 MB file through a shared mapping, the
 *       way Formica's stores dirty their pages;
 *   <li>{@code sequential}: appends 4 KiB blocks with {@code pwrite}, the way a journal copier would, wrapping at
 *       600 MB.
 * </ul>
 * PAGES is pages per second, paced in 1 ms steps. It prints its progress every 5 s and deletes the file at the
 * end, or when it is stopped with SIGTERM. Measurement only: the file must be on the disk under test, not on tmpfs.
 *
 * <pre>java loadtest/scripts/DiskNoise.java random|sequential FILE PAGES SECONDS</pre>
 */
public final class DiskNoise {
    private static final long FILE_BYTES = 600L << 20;
    private static final int PAGE = 4096;

    private DiskNoise() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || !(args[0].equals("random") || args[0].equals("sequential"))) {
            System.err.println("usage: java DiskNoise.java random|sequential FILE PAGES_PER_SECOND SECONDS");
            System.exit(2);
        }
        boolean random = args[0].equals("random");
        Path file = Path.of(args[1]);
        int pagesPerSecond = Integer.parseInt(args[2]);
        long durationNs = Long.parseLong(args[3]) * 1_000_000_000L;
        SplittableRandom rnd = new SplittableRandom(42);
        // deletes the file at every exit: the end of the run, an error, or SIGTERM
        Runtime.getRuntime().addShutdownHook(new Thread(() -> file.toFile().delete()));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); FileChannel ch = raf.getChannel()) {
            MappedByteBuffer map = null;
            if (random) {
                raf.setLength(FILE_BYTES);
                map = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES);
            }
            ByteBuffer block = ByteBuffer.allocateDirect(PAGE);
            long start = System.nanoTime();
            long nextPrint = start + 5_000_000_000L;
            long written = 0;
            long position = 0;
            while (System.nanoTime() - start < durationNs) {
                long due = (System.nanoTime() - start) * pagesPerSecond / 1_000_000_000L;
                for (; written < due; written++) {
                    if (random) {
                        map.putLong(rnd.nextInt((int) (FILE_BYTES / PAGE)) * PAGE, written);   // 600 MB: an int index
                    } else {
                        block.clear();
                        block.putLong(0, written);
                        ch.write(block, position);
                        position = (position + PAGE) % FILE_BYTES;
                    }
                }
                if (System.nanoTime() >= nextPrint) {
                    System.out.printf("%d s: %d pages%n", (System.nanoTime() - start) / 1_000_000_000L, written);
                    nextPrint += 5_000_000_000L;
                }
                Thread.sleep(1);
            }
            System.out.printf("%s: %d pages in %d s%n", args[0], written, durationNs / 1_000_000_000L);
        }
    }
}
