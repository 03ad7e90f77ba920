/**
 * OpenTelemetry tracing of the gRPC calls, off by default ({@link dev.formica.engine.server.tracing.Tracing}); the
 * server span of a sampled Decide carries its stage timings as events. docs/observability.md, Tracing.
 */
package dev.formica.engine.server.tracing;
