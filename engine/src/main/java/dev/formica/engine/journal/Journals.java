package dev.formica.engine.journal;

import dev.formica.engine.log.FrameLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finding and reading every shard's journal of a data directory, merged in time order; and the short
 * pseudonym tools print instead of an id.
 *
 * <p>Thread contract: a {@link Merged} belongs to one thread; the static helpers are thread-safe.
 */
public final class Journals {
    /** Sub-directory of the data directory that holds the journals. */
    public static final String DIR = "journal";

    private Journals() {
    }

    /** The log directory of one shard, which holds its journal (the audit records of its frames). */
    public static Path shardDir(Path dataDir, int shard) {
        return dataDir.resolve("shard-" + shard).resolve("log");
    }

    /**
     * The shard log directories under {@code dir}, which may be a data directory, its former {@code journal}
     * directory (its parent is used), or one shard's log directory.
     */
    public static List<Path> shardDirs(Path dir) {
        try {
            if (dir.getFileName() != null && dir.getFileName().toString().equals(DIR) && !Files.isDirectory(dir)
                    && dir.getParent() != null) {
                dir = dir.getParent();
            }
            if (Files.isDirectory(dir) && !dev.formica.engine.log.LogSegments.existing(dir).isEmpty()
                    && !Files.isDirectory(dir.resolve("shard-0"))) {
                return List.of(dir);
            }
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> children = Files.list(dir)) {
                return children.filter(p -> Files.isDirectory(p.resolve("log"))
                        && p.getFileName().toString().startsWith("shard-"))
                        .sorted(java.util.Comparator.comparingInt(Journals::shardNumber)).map(p -> p.resolve("log"))
                        .toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list journals in " + dir, e);
        }
    }

    private static int shardNumber(Path shardDir) {
        try {
            return Integer.parseInt(shardDir.getFileName().toString().substring("shard-".length()));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /**
     * Opens the journals of the given logs for reading in time order: a data directory's local shard logs and, on a
     * replicated node, its groups' Raft logs ({@code replay.AuditTrail} finds both).
     */
    public static Merged open(List<FrameLog> logs) {
        return new Merged(logs);
    }

    /**
     * A short, stable pseudonym of an id for terminal output: the first 10 hex digits of its SHA-256. It
     * lets an analyst see that two lines concern the same borrower without printing who; it is not
     * anonymisation (anyone holding a candidate id can recompute it).
     */
    public static String pseudonym(String id) {
        if (id.isEmpty()) {
            return "-";
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder(10);
            for (int i = 0; i < 5; i++) {
                sb.append(Character.forDigit((d[i] >> 4) & 0xF, 16)).append(Character.forDigit(d[i] & 0xF, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every shard's journal merged by decision time (ties by shard). {@link #next()} returns null at the
     * current end; with a live writer, later calls return what was appended since (the merge is exact for
     * what each call sees).
     *
     * <p>Thread contract: one thread.
     */
    public static final class Merged implements AutoCloseable {
        private final List<JournalReader> readers = new ArrayList<>();
        private final PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> a.entry.timeMs() != b.entry.timeMs()
                ? Long.compare(a.entry.timeMs(), b.entry.timeMs()) : Integer.compare(a.reader, b.reader));
        private final Set<Integer> queued = new HashSet<>();

        private record Head(JournalEntry entry, int reader) {
        }

        Merged(List<FrameLog> logs) {
            for (FrameLog log : logs) {
                readers.add(JournalReader.open(log));
            }
        }

        /** Shards (journal directories, or replicated groups) found. */
        public int shards() {
            return readers.size();
        }

        /** What an operator should know about the logs' extent (entries purged before them), one line each. */
        public List<String> notes() {
            return readers.stream().map(JournalReader::note).filter(Objects::nonNull).toList();
        }

        public JournalEntry next() {
            for (int r = 0; r < readers.size(); r++) {
                if (!queued.contains(r)) {
                    JournalEntry e = readers.get(r).next();
                    if (e != null) {
                        heads.add(new Head(e, r));
                        queued.add(r);
                    }
                }
            }
            Head head = heads.poll();
            if (head == null) {
                return null;
            }
            queued.remove(head.reader);
            return head.entry;
        }

        @Override
        public void close() {
            readers.forEach(JournalReader::close);
        }
    }
}
