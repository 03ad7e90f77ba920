package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BorrowerDocumentsTest {

    @TempDir
    Path tmp;

    private ShardState state;
    private BorrowerDocuments profiles;

    @BeforeEach
    void open() throws IOException {
        state = StateTestSupport.open(tmp.resolve("shard"));
        profiles = state.profiles();
    }

    @AfterEach
    void close() throws IOException {
        state.close();
    }

    @Test
    void shouldReportCreatedThenUpdated() {
        assertNull(profiles.get("b-1"));
        assertFalse(profiles.contains("b-1"));
        assertTrue(profiles.put("b-1", new byte[] {1, 2, 3}));
        assertFalse(profiles.put(new StringBuilder("b-1"), new byte[300]), "second put replaces");
        assertArrayEquals(new byte[300], profiles.get("b-1"));
        assertTrue(profiles.contains(new StringBuilder("b-").append(1)));
        assertEquals(1, profiles.size());
    }

    @Test
    void shouldVisitEveryProfile() {
        profiles.put("b-1", new byte[] {1});
        profiles.put("b-2", new byte[] {2, 2});
        Map<String, Integer> seen = new HashMap<>();
        profiles.forEach((id, bytes) -> seen.put(id.toString(), bytes.length));
        assertEquals(Map.of("b-1", 1, "b-2", 2), seen);
    }
}
