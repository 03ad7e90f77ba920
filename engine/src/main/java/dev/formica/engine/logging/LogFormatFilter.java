package dev.formica.engine.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * A Logback filter of {@code logback.xml}: lets an event through to its appender only while that appender's
 * {@link #setFormat format} is the {@link LogFormat#active() active} one, so exactly one of the JSON and text
 * appenders writes each line.
 *
 * <p>Thread contract: configured once by Logback, then called from any logging thread.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
    private LogFormat format = LogFormat.JSON;

    /** {@code json} or {@code text}: the format of the appender this filter sits on. */
    public void setFormat(String format) {
        this.format = LogFormat.parse(format);
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return LogFormat.active() == format ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
