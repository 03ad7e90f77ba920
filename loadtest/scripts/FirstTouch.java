import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.PosixAPI;

/**
 * The cost of a first touch of fresh anonymous memory on this machine, on 4 KiB pages and advised for transparent huge
 * pages (what {@code HugePages} does for the velocity table): each round takes 512 MB the process has never touched
 * (never freed, so the kernel cannot hand back pages already mapped), writes it once (the first touch: faults,
 * allocation, zeroing) and once more (the plain write, for comparison). Run it in fresh JVMs with both orders: the
 * first rounds of a process and the later ones differ.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar loadtest/scripts/FirstTouch.java huge,4k,huge,4k
 * java -cp benchmarks/target/benchmarks.jar loadtest/scripts/FirstTouch.java 4k,huge,4k,huge
 * </pre>
 */
public final class FirstTouch {
    private static final long BYTES = 512L << 20;
    private static final long HUGE = 2L << 20;

    public static void main(String[] args) throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        sun.misc.Unsafe unsafe = (sun.misc.Unsafe) f.get(null);
        PosixAPI posix = PosixAPI.posix();
        for (String kind : args[0].split(",")) {
            long raw = unsafe.allocateMemory(BYTES + HUGE);
            long at = (raw + HUGE - 1) & -HUGE;
            if (kind.equals("huge")) {
                posix.madvise(at, BYTES, MAdviseFlag.MADV_HUGEPAGE);
            }
            long t0 = System.nanoTime();
            unsafe.setMemory(at, BYTES, (byte) 1);
            long t1 = System.nanoTime();
            unsafe.setMemory(at, BYTES, (byte) 2);
            long t2 = System.nanoTime();
            System.out.printf("%-4s first touch of 512 MB %5.0f ms, second write %4.0f ms%n", kind, (t1 - t0) / 1e6,
                    (t2 - t1) / 1e6);
        }
    }
}
