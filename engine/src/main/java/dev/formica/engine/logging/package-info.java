/**
 * The process's log lines: Logback through SLF4J, as JSON lines or text ({@link
 * dev.formica.engine.logging.LogFormat}); docs/observability.md, Logs.
 */
package dev.formica.engine.logging;
