package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;

final class StateTestSupport {

    static final long T0 = 1_700_000_000_000L;
    static final long DAY = 24L * 60 * 60 * 1000;

    private StateTestSupport() {
    }

    static StateConfig smallConfig() {
        return StateConfig.defaults().withSizes(10_000, 10_000, 10_000);
    }

    static ShardState open(Path dir) throws IOException {
        return ShardState.open(dir, smallConfig(), T0);
    }
}
