package dev.formica.engine.state;

import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.MMapFlag;
import net.openhft.posix.MMapProt;
import net.openhft.posix.PosixAPI;
import org.agrona.UnsafeApi;

/**
 * The off-heap memory of the idempotency records' chunks ({@link RecordChunks}): anonymous mappings, those the
 * fault-ahead thread will touch placed on 2 MiB boundaries and advised {@code MADV_HUGEPAGE}.
 *
 * <p><b>Why.</b> The first touch of a fresh 8 MiB chunk is 2,048 page faults, 29-32 ms of the fault-ahead thread's CPU
 * on this VM (14-15 µs per 4 KiB page); on transparent huge pages it is four faults and 7.8-23 ms
 * (docs/perf-notes/2026-12-07-what-holds-decide-with-g1.md). The machines this runs on enable transparent huge pages
 * for advised memory only, and the advice takes only on whole, aligned 2 MiB pages: a chunk from {@code malloc} starts
 * 16 bytes into a 4 KiB page, so it is mapped here with a huge page to spare and the unaligned ends given back.
 * Only a chunk that the fault-ahead thread touches first is advised: a chunk a shard thread takes cold keeps small
 * pages, so an event loop never takes a 2 MiB fault (and, with THP {@code defrag} at {@code madvise}, a compaction).
 *
 * <p>Through Chronicle's POSIX binding ({@code net.openhft:posix}, already loaded by Chronicle Core in every process).
 * Where it cannot map memory (not Linux, or no native binding), chunks come from {@code malloc} as before, never
 * advised; whether the advice is honoured is the kernel's business (THP {@code never}: small pages, same as unadvised).
 *
 * <p><b>Threading:</b> stateless; any thread.
 */
final class ChunkMemory {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChunkMemory.class);
    /** A transparent huge page on x86-64 and aarch64 (4 KiB base pages). */
    static final long HUGE_PAGE_BYTES = 2L << 20;
    /** {@code MAP_ANONYMOUS} of Linux on x86-64 and aarch64; {@link MMapFlag} has only SHARED, PRIVATE. */
    private static final int MAP_ANONYMOUS = 0x20;
    private static final PosixAPI POSIX = linuxPosix();

    private ChunkMemory() {
    }

    /** Whether chunks are mapped here (and can be advised), rather than taken from {@code malloc}. */
    static boolean mapsChunks() {
        return POSIX != null;
    }

    /**
     * {@code bytes} of fresh memory for the caller to own until {@link #free}; with {@code huge}, and {@code bytes} a
     * whole number of huge pages, 2 MiB aligned and advised {@code MADV_HUGEPAGE}.
     *
     * @throws OutOfMemoryError when the memory cannot be had (as {@code Unsafe.allocateMemory} throws)
     */
    static long allocate(long bytes, boolean huge) {
        if (POSIX == null) {
            return UnsafeApi.allocateMemory(bytes);
        }
        if (!huge || bytes % HUGE_PAGE_BYTES != 0) {
            return map(bytes);
        }
        long reserved = bytes + HUGE_PAGE_BYTES;
        long raw = map(reserved);
        long aligned = (raw + HUGE_PAGE_BYTES - 1) & -HUGE_PAGE_BYTES;
        long head = aligned - raw;
        if (head > 0) {
            POSIX.munmap(raw, head);
        }
        POSIX.munmap(aligned + bytes, reserved - head - bytes); // never 0: at most a huge page less a base page
        POSIX.madvise(aligned, bytes, MAdviseFlag.MADV_HUGEPAGE); // refused (no THP in the kernel): small pages
        return aligned;
    }

    /** Gives back memory {@link #allocate} gave, whether advised or not. */
    static void free(long address, long bytes) {
        if (POSIX == null) {
            UnsafeApi.freeMemory(address);
        } else {
            POSIX.munmap(address, bytes);
        }
    }

    private static long map(long bytes) {
        try {
            return mapAnonymous(POSIX, bytes);
        } catch (RuntimeException e) { // the binding's PosixRuntimeException: ENOMEM, the map count limit
            OutOfMemoryError error = new OutOfMemoryError("could not map " + bytes + " bytes: " + e.getMessage());
            error.initCause(e);
            throw error;
        }
    }

    private static long mapAnonymous(PosixAPI posix, long bytes) {
        return posix.mmap(0, bytes, MMapProt.PROT_READ_WRITE.value(), MMapFlag.PRIVATE.value() | MAP_ANONYMOUS, -1, 0);
    }

    /**
     * The binding where anonymous memory can be mapped with it (Linux on x86-64 or aarch64, whose {@code
     * MAP_ANONYMOUS} and huge page size these are; one page mapped and unmapped to see), else null.
     */
    private static PosixAPI linuxPosix() {
        String arch = System.getProperty("os.arch", "");
        if (!System.getProperty("os.name", "").startsWith("Linux")
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return null;
        }
        try {
            PosixAPI posix = PosixAPI.posix();
            posix.munmap(mapAnonymous(posix, 4096), 4096);
            return posix;
        } catch (Throwable t) { // no native binding (NoClassDefFoundError, UnsatisfiedLinkError) or no mmap
            LOG.debug("idempotency chunks from malloc, without huge pages: {}", t.toString());
            return null;
        }
    }
}
