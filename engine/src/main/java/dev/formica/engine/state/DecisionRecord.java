package dev.formica.engine.state;

/**
 * One idempotency record as read back by {@link DecisionRecords#get}: the kind of call, when it was decided, and
 * the serialized protobuf response to replay. Immutable once built; the payload array is owned by the record
 * (do not modify it), so it may be handed between threads.
 *
 * @param kind      caller-defined call kind (e.g. decide, confirm)
 * @param createdMs when the original response was produced
 * @param fingerprint a hash of the request's meaningful fields: the same key with another fingerprint is a
 *                  different request reusing the id, and is refused
 * @param payload   the serialized response, at most {@link StateConfig#MAX_PAYLOAD_BYTES}
 */
public record DecisionRecord(byte kind, long createdMs, long fingerprint, byte[] payload) {
}
