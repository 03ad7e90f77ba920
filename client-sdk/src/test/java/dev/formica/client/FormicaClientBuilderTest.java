package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The builder rejects bad and conflicting options at the call that causes them. */
class FormicaClientBuilderTest {
    private final ManagedChannel channel = InProcessChannelBuilder.forName("builder-test").build();

    @AfterEach
    void tearDown() {
        channel.shutdownNow();
    }

    @Test
    void shouldRejectAChannelAfterTargets() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FormicaClient.builder().target("a:1").channel(channel));
        assertTrue(e.getMessage().contains("conflicts"), e.getMessage());
    }

    @Test
    void shouldRejectATargetAfterAChannel() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FormicaClient.builder().channel(channel).target("a:1"));
        assertTrue(e.getMessage().contains("conflicts"), e.getMessage());
    }

    @Test
    void shouldRejectBuildingWithoutATarget() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FormicaClient.builder().build());
        assertTrue(e.getMessage().contains("no target"), e.getMessage());
    }

    @Test
    void shouldRejectNonPositiveDeadlines() {
        assertThrows(IllegalArgumentException.class, () -> FormicaClient.builder().defaultDeadline(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> FormicaClient.builder().defaultDeadline(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> FormicaClient.builder().streamDeadline(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> FormicaClient.builder().defaultDeadline(null));
    }

    @Test
    void shouldRejectMalformedAndDuplicateTargets() {
        for (String bad : List.of("", " ", "host", "host:", ":80", "host:0", "host:65536", "host:http", "a b:1")) {
            assertThrows(IllegalArgumentException.class, () -> FormicaClient.builder().target(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> FormicaClient.builder().targets(List.of("a:1", "a:1")));
    }

    @Test
    void shouldAcceptHostPortAndUriTargets() {
        FormicaClient.builder().target("localhost:7000").target("[::1]:7000").target("dns:///engine.internal:443");
    }

    @Test
    void shouldRejectBadRetryPolicies() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().initialBackoff(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().multiplier(0.5));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().multiplier(Double.NaN));
        assertThrows(IllegalStateException.class, () -> RetryPolicy.builder()
                .initialBackoff(Duration.ofSeconds(2)).maxBackoff(Duration.ofSeconds(1)).build());
        assertThrows(NullPointerException.class, () -> FormicaClient.builder().retryPolicy(null));
    }
}
