package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.client.FormicaException;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The replicated tests' resend: only after a retryable refusal, and only once the group is served again. */
class WhenServedTest {
    private static FormicaException refused(Status status) {
        return FormicaException.of(status, new Metadata());
    }

    @Test
    void aRetryableRefusalIsSentAgainOnlyOnceTheGroupIsServed() {
        List<String> events = new ArrayList<>();
        AtomicInteger polls = new AtomicInteger();
        AtomicInteger sends = new AtomicInteger();
        String answer = WhenServed.call(group -> {
            assertEquals(2, group);
            events.add("poll");
            return polls.incrementAndGet() % 3 == 0; // served at the third look after each refusal
        }, 2, () -> {
            events.add("send");
            if (sends.incrementAndGet() < 3) {
                throw refused(Status.UNAVAILABLE.withDescription("no leader"));
            }
            return "answered";
        });
        assertEquals("answered", answer);
        assertEquals(List.of("send", "poll", "poll", "poll", "send", "poll", "poll", "poll", "send"), events);
    }

    @Test
    void anyOtherRefusalIsThrownAtOnceWithoutWaiting() {
        AtomicInteger polls = new AtomicInteger();
        AtomicInteger sends = new AtomicInteger();
        FormicaException invalid = refused(Status.INVALID_ARGUMENT.withDescription("amount_minor: must be > 0"));
        FormicaException thrown = assertThrows(FormicaException.class, () -> WhenServed.call(group -> {
            polls.incrementAndGet();
            return true;
        }, 0, () -> {
            sends.incrementAndGet();
            throw invalid;
        }));
        assertSame(invalid, thrown);
        assertEquals(1, sends.get());
        assertEquals(0, polls.get());
    }
}
