package dev.formica.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineConfigurationTest {
    @TempDir
    Path dir;

    @Test
    void shouldUseNamedDefaults() {
        EngineConfiguration c = new EngineConfiguration().conclude();
        assertEquals(EngineConfiguration.DEFAULT_PORT, c.port());
        assertEquals(Path.of("data"), c.dataDir());
        assertEquals(Duration.ofMinutes(15), c.holdTtl());
        assertEquals(Runtime.getRuntime().availableProcessors(), c.shards());
        assertEquals("127.0.0.1", c.host());
    }

    @Test
    void shouldReadYamlFile() throws Exception {
        Path file = dir.resolve("formica.yaml");
        Files.writeString(file, "port: 6000\ndataDir: /tmp/f\nholdTtl: 10m\nshards: 3\nshardMode: caller_drains\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(6000, c.port());
        assertEquals(Path.of("/tmp/f"), c.dataDir());
        assertEquals(Duration.ofMinutes(10), c.holdTtl());
        assertEquals(3, c.shards());
        assertEquals(EngineConfiguration.ShardMode.CALLER_DRAINS, c.shardMode());
    }

    @Test
    void shouldReadRiskAndJournalSettingsFromYaml() throws Exception {
        Path file = dir.resolve("risk.yaml");
        Files.writeString(file, "journalEnabled: false\njournalRetention: 3d\ntimeZone: UTC\n"
                + "profileCacheEntries: 500\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(false, c.journalEnabled());
        assertEquals(Duration.ofDays(3), c.journalRetention());
        assertEquals("UTC", c.timeZone());
        assertEquals(500, c.profileCacheEntries());
        assertTrue(new EngineConfiguration().conclude().journalEnabled(), "on by default");
        assertThrows(IllegalStateException.class, () -> new EngineConfiguration().timeZone("Mars/Olympus").conclude());
    }

    @Test
    void shouldReadLatencySettingsAndRejectAnIntervalOfPartSeconds() throws Exception {
        Path file = dir.resolve("latency.yaml");
        Files.writeString(file, "latencyRecording: off\nlatencyInterval: 10s\nlatencyLogMaxBytes: 1048576\n"
                + "latencyLogMaxAge: 30m\nlatencyLogFiles: 4\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(false, c.latencyRecording());
        assertEquals(Duration.ofSeconds(10), c.latencyInterval());
        assertEquals(1_048_576, c.latencyLogMaxBytes());
        assertEquals(Duration.ofMinutes(30), c.latencyLogMaxAge());
        assertEquals(4, c.latencyLogFiles());
        assertTrue(new EngineConfiguration().conclude().latencyRecording(), "on by default");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .latencyInterval(Duration.ofMillis(1500)).conclude());
        assertTrue(e.getMessage().contains("latencyInterval must be whole seconds"), e.getMessage());
        Files.writeString(file, "latencyRecording: maybe\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> EngineConfiguration.fromYaml(file));
        assertTrue(bad.getMessage().contains("'latencyRecording'"), bad.getMessage());
    }

    @Test
    void shouldRejectUnknownSettingNamingFileAndKey() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "prot: 6000\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EngineConfiguration.fromYaml(file));
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("'prot'"), e.getMessage());
    }

    @Test
    void shouldFailConflictingSettingsWithWhatToChange() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .holdTtl(Duration.ofHours(30)).conclude());
        assertTrue(e.getMessage().contains("raise idempotencyWindow"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration().port(7000).metricsPort(7000)
                .conclude());
        assertTrue(e.getMessage().contains("metricsPort"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration().queueCapacity(1000).conclude());
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
    }

    @Test
    void shouldReadTheAdmissionLimitAndRefuseBoundsThatDoNotFit() throws Exception {
        EngineConfiguration fixed = new EngineConfiguration().conclude();
        assertEquals(EngineConfiguration.AdmissionLimit.FIXED, fixed.admissionLimit(), "FIXED by default");
        assertEquals(256, fixed.admissionLimitMax());
        Path file = dir.resolve("admission.yaml");
        Files.writeString(file, "admissionLimit: adaptive\nmaxInFlightDecisions: 64\nadmissionLimitMax: 512\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(EngineConfiguration.AdmissionLimit.ADAPTIVE, c.admissionLimit());
        assertEquals(64, c.maxInFlightDecisions());
        assertEquals(512, c.admissionLimitMax());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .admissionLimit(EngineConfiguration.AdmissionLimit.ADAPTIVE).admissionLimitMax(100).conclude());
        assertTrue(e.getMessage().contains("admissionLimitMax must be maxInFlightDecisions (128)"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .admissionLimit(EngineConfiguration.AdmissionLimit.ADAPTIVE).maxInFlightDecisions(0).conclude());
        assertTrue(e.getMessage().contains("needs maxInFlightDecisions >= 1"), e.getMessage());
        new EngineConfiguration().maxInFlightDecisions(0).admissionLimitMax(1).conclude(); // FIXED ignores the bound
    }

    @Test
    void shouldParseDurations() {
        assertEquals(Duration.ofMillis(500), EngineConfiguration.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(30), EngineConfiguration.parseDuration("30s"));
        assertEquals(Duration.ofHours(24), EngineConfiguration.parseDuration("24h"));
        assertEquals(Duration.ofMinutes(15), EngineConfiguration.parseDuration("PT15M"));
        assertThrows(IllegalArgumentException.class, () -> EngineConfiguration.parseDuration("15 minutes"));
    }

    @Test
    void shouldNotChangeAfterConclude() {
        EngineConfiguration c = new EngineConfiguration().conclude();
        assertThrows(IllegalStateException.class, () -> c.port(1));
    }
}
