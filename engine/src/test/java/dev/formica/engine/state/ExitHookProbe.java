package dev.formica.engine.state;

import dev.formica.engine.risk.BlockLists;
import java.nio.file.Path;
import net.openhft.chronicle.core.shutdown.PriorityHook;

/**
 * Run in a child JVM by {@link ChronicleExitHookTest}: opens a shard's state and the block lists the way the server
 * does, runs Chronicle's exit hooks as the JVM would on SIGTERM (while the server's own hook is still draining), and
 * then uses every map. Prints {@link #OPEN} when all of them still answer; a map closed by the hook throws
 * {@code ChronicleHashClosedException} and the JVM exits non-zero.
 */
public final class ExitHookProbe {
    static final String OPEN = "every map still open after Chronicle's exit hooks";

    private ExitHookProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (ShardState state = ShardState.open(dir.resolve("shard-0"), StateConfig.defaults().withSizes(1_000, 1_000,
                1_000), 0L);
                BlockLists lists = BlockLists.open(dir.resolve("blocklists.dat"))) {
            PriorityHook hook = PriorityHook.getRegisteredHook();
            if (hook != null) { // none registered: no map joined Chronicle's hook
                hook.onShutdown();
            }
            LedgerSnapshot line = new LedgerSnapshot();
            state.ledger().get("b-1", 1, line);
            state.holds().get(1L, new HoldSnapshot());
            state.profiles().contains("b-1");
            state.lineNotes().contains("b-1");
            state.activity().size();
            state.exposures().size();
            lists.contains(BlockLists.Kind.DEVICE, "d-1");
            System.out.println(OPEN);
        }
    }
}
