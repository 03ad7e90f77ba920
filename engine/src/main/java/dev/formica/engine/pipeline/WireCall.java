package dev.formica.engine.pipeline;

/**
 * A call whose request and answer travel as protobuf wire bytes past the shard: the server keeps the bytes the
 * request was parsed from (the shard journals them as they are, instead of serialising the request again) and
 * takes a Decide's answer as the bytes the shard wrote ({@link DecisionResult}, {@link WireWriter}), which it hands
 * to gRPC without parsing them into a message and serialising that again. A plain {@link Sink} gets the parsed
 * message instead (tests, tools, the sandbox).
 *
 * <p>Thread contract: {@link #requestBytes} is read on the shard thread while the command runs; the answer methods
 * are called once, as {@link Sink}'s.
 */
public interface WireCall<T> extends Sink<T> {
    /** The request's bytes as the caller sent them (a valid message of the request type); null when not kept. */
    default byte[] requestBytes() {
        return null;
    }

    /**
     * The answer as its response message's wire bytes, exactly protobuf's serialisation of that message (a replayed
     * answer with its {@code replayed} field set). The callee owns them: usually a buffer of the shard's pool, which
     * it gives back ({@link AnswerBytes#release}) once it no longer reads them, and never reads after.
     */
    void onAnswerBytes(AnswerBytes response);
}
