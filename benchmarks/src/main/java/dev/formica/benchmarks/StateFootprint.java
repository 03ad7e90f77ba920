package dev.formica.benchmarks;

import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Off-heap bytes per borrower: fills one shard with N ledger lines and N profiles of about 120 bytes, closes
 * it and prints each file's logical size per entry, then times a clean reopen and the heap it holds. Map files
 * are sparse; compare with {@code du} on the directory
 * it prints (the files are left there). Single-threaded; not a timed test. It measured data format 1's map files;
 * since the shard log the maps are in memory, so it finds no map file to size (BENCHMARKS.md, "Footprint and
 * restart").
 *
 * <pre>
 * java @benchmarks/target/jvm.options -cp benchmarks/target/benchmarks.jar \
 *     dev.formica.benchmarks.StateFootprint [dir] [borrowers]
 * du -k --apparent-size [dir]/shard-0/*; du -k [dir]/shard-0/*
 * </pre>
 */
public final class StateFootprint {

    private StateFootprint() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Paths.get(args[0]) : Files.createTempDirectory("formica-footprint");
        int borrowers = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        long now = 1_700_000_000_000L;
        StateConfig cfg = new StateConfig(borrowers, 1, 1_000, 1_000, StateConfig.DEFAULT_DECISION_GENERATION_MILLIS,
                256, 120, 16, 2.0);
        Path shard = dir.resolve("shard-0");
        byte[] profile = new byte[120];
        StringBuilder id = new StringBuilder(16);
        try (ShardState state = ShardState.open(shard, cfg, now)) {
            for (int i = 0; i < borrowers; i++) {
                id.setLength(0);
                id.append("borrower-");
                for (int p = 1_000_000; p > 1 && i < p; p /= 10) {
                    id.append('0');
                }
                id.append(i);
                profile[0] = (byte) i;
                state.ledger().putLine(id, 1, 1_000_000, now);
                state.profiles().put(id, profile);
            }
            System.out.printf("ledger lines %d, profiles %d%n", state.ledger().size(), state.profiles().size());
        }
        long total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
            for (Path f : files) {
                long size = Files.size(f);
                total += size;
                System.out.printf("%-40s %,15d bytes  %,8.1f bytes/borrower%n", f.getFileName(), size,
                        (double) size / borrowers);
            }
        }
        System.out.printf("%-40s %,15d bytes  %,8.1f bytes/borrower (logical)%n", "total", total,
                (double) total / borrowers);
        // reopen: what a restart costs (a clean close, so no recovery pass), and the heap it needs
        System.gc();
        long heapBefore = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        long t0 = System.nanoTime();
        try (ShardState state = ShardState.open(shard, cfg, now)) {
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            System.gc();
            long heapAfter = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            System.out.printf("reopen %,d ms for %,d borrowers; heap held after reopen %,d KB (delta %,d KB)%n",
                    openMs, state.ledger().size(), heapAfter / 1024, (heapAfter - heapBefore) / 1024);
        }
        System.out.println("files left in " + shard);
    }
}
