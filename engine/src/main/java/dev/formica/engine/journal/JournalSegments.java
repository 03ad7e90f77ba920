package dev.formica.engine.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The on-disk layout of a journal: segment files named by their creation time, and the frame format.
 *
 * <pre>
 *   &lt;data-dir&gt;/journal/shard-k/0001780000000000.fjl   one segment, pre-sized (sparse), memory-mapped
 *   segment = 64-byte header (magic, version, shard, start ms) then frames, 8-byte aligned:
 *   frame   = int length (written last, with release semantics; 0 = not yet written, -1 = end of segment)
 *             int type (1 = feature layout, 2 = decision) then the payload
 * </pre>
 *
 * <p>Thread contract: stateless helpers, any thread.
 */
final class JournalSegments {
    static final String SUFFIX = ".fjl";
    static final int MAGIC = 0x4C4E4A46;
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 64;
    static final int HEADER_SHARD_OFFSET = 8;
    static final int HEADER_START_MS_OFFSET = 16;
    static final int FRAME_HEADER_BYTES = 8;
    static final int END_OF_SEGMENT = -1;
    static final int TYPE_LAYOUT = 1;
    static final int TYPE_DECISION = 2;
    static final long DAY_MS = 86_400_000L;

    private JournalSegments() {
    }

    static int align(int length) {
        return (length + 7) & ~7;
    }

    static String fileName(long startMs) {
        return String.format("%016d%s", startMs, SUFFIX);
    }

    static long startMsOf(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
    }

    /** Segment files of one shard's journal, oldest first. */
    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> segments = new ArrayList<>(files.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(SUFFIX) && n.length() == 16 + SUFFIX.length();
            }).toList());
            segments.sort((a, b) -> Long.compare(startMsOf(a), startMsOf(b)));
            return segments;
        }
    }

    /**
     * Deletes whole segments whose every decision is older than {@code cutoffMs}: a segment's decisions all
     * precede the start of the next one. The newest segment is never deleted. Returns how many were deleted.
     */
    static int deleteBefore(Path dir, long cutoffMs) throws IOException {
        List<Path> segments = list(dir);
        int deleted = 0;
        for (int i = 0; i + 1 < segments.size(); i++) {
            if (startMsOf(segments.get(i + 1)) <= cutoffMs) {
                Files.deleteIfExists(segments.get(i));
                deleted++;
            } else {
                break;
            }
        }
        return deleted;
    }
}
