import java.util.Arrays;
import java.util.Random;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.impl.CompiledMapQueryContext;
import net.openhft.chronicle.values.Values;

/**
 * Whether a snapshot's entries put into a Chronicle Map segment by segment load faster than in the file's order (a
 * random segment each): 780,000 inserts of random long keys with 100-byte values (a shard's holds at the 1 M
 * borrower restart) into a map sized for 600,000 as the holds' map is, through a query context as {@code HoldBook.put}
 * inserts, in random order and then (a fresh map) in the order of the keys' segments, three rounds; the time to find
 * each key's segment (a query context, no lock) and sort is printed apart.
 *
 * <pre>
 * java @tools/target/jvm.options -Xms2g -Xmx2g -cp tools/target/formica.jar loadtest/scripts/ChronicleInsertOrder.java
 * </pre>
 */
public final class ChronicleInsertOrder {
    static ChronicleMap<LongValue, byte[]> map() {
        return ChronicleMap.of(LongValue.class, byte[].class).name("x").entries(600_000)
                .constantValueSizeBySample(new byte[100]).maxBloatFactor(1.5).create();
    }

    static long insert(ChronicleMap<LongValue, byte[]> m, long[] ids) {
        LongValue k = Values.newHeapInstance(LongValue.class);
        byte[] v = new byte[100];
        long t = System.nanoTime();
        for (long id : ids) {
            k.setValue(id);
            try (ExternalMapQueryContext<LongValue, byte[], ?> c = m.queryContext(k)) {
                c.updateLock().lock();
                if (c.entry() == null) {
                    c.insert(c.absentEntry(), c.wrapValueAsData(v));
                }
            }
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    public static void main(String[] a) {
        int n = 780_000;
        Random r = new Random(1);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextLong();
        }
        for (int round = 0; round < 3; round++) {
            ChronicleMap<LongValue, byte[]> m = map();
            long random = insert(m, ids);
            m.close();
            m = map();
            long t = System.nanoTime();
            LongValue k = Values.newHeapInstance(LongValue.class);
            long[] keyed = new long[n];
            int[] seg = new int[n];
            for (int i = 0; i < n; i++) {
                k.setValue(ids[i]);
                try (ExternalMapQueryContext<LongValue, byte[], ?> c = m.queryContext(k)) {
                    seg[i] = ((CompiledMapQueryContext<?, ?, ?>) c).segmentIndex();
                }
            }
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> Integer.compare(seg[x], seg[y]));
            long[] sorted = new long[n];
            for (int i = 0; i < n; i++) {
                sorted[i] = ids[order[i]];
            }
            long sortMs = (System.nanoTime() - t) / 1_000_000;
            long bySegment = insert(m, sorted);
            System.out.println("round " + round + ": random order " + random + " ms; by segment " + bySegment
                    + " ms (+ " + sortMs + " ms to find and sort the segments; " + m.segments() + " segments)");
            m.close();
        }
    }
}
