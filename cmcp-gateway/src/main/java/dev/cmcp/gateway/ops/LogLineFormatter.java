package dev.cmcp.gateway.ops;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.cmcp.gateway.config.LogFormat;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Writes one log record as one line: a JSON object ({@code timestamp}, {@code level}, {@code
 * logger}, {@code message}, then each {@link LogField}, then {@code trace_id} and {@code span_id}
 * when a traced request is served on the logging thread, then {@code exception}), or the same in
 * words. The JSON is rendered here, with Jackson's string escaping, rather than through an object
 * tree: a log line is on the request path and should cost little.
 *
 * <p>Every text value (the message and each field) is cut at {@link #MAX_VALUE_CHARS} characters
 * and a stack trace at {@link #MAX_TRACE_CHARS}, with the length said: a value an agent chose
 * (a tool name, a URI) must not turn one line into megabytes on stderr.
 */
final class LogLineFormatter extends Formatter {

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** The most of one message or field value a line shows; the rest is replaced by its length. */
  static final int MAX_VALUE_CHARS = 2048;
  static final int MAX_TRACE_CHARS = 16 * 1024;

  private final LogFormat format;

  LogLineFormatter(LogFormat format) {
    this.format = format;
  }

  @Override
  public String format(LogRecord record) {
    StringBuilder line = new StringBuilder(256);
    String message = formatMessage(record);
    if (format == LogFormat.JSON) {
      line.append("{\"timestamp\":\"").append(TIMESTAMP.format(record.getInstant()))
          .append("\",\"level\":\"").append(levelName(record.getLevel()))
          .append("\",\"logger\":");
      quote(line, record.getLoggerName());
      line.append(",\"message\":");
      quote(line, message);
      for (LogField field : fields(record)) {
        line.append(',');
        quote(line, field.name());
        line.append(':');
        jsonValue(line, field.value());
      }
      SpanContext span = Span.current().getSpanContext();
      if (span.isValid()) {
        line.append(",\"trace_id\":\"").append(span.getTraceId()).append("\",\"span_id\":\"").append(span.getSpanId()).append('"');
      }
      if (record.getThrown() != null) {
        line.append(",\"exception\":");
        quote(line, clip(stackTrace(record.getThrown()), MAX_TRACE_CHARS));
      }
      return line.append("}\n").toString();
    }
    line.append(TIMESTAMP.format(record.getInstant())).append(' ').append(levelName(record.getLevel())).append(' ')
        .append(record.getLoggerName()).append(": ");
    appendOneLine(line, message);
    for (LogField field : fields(record)) {
      line.append(' ').append(field.name()).append('=');
      appendOneLine(line, String.valueOf(field.value()));
    }
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      line.append(" trace_id=").append(span.getTraceId()).append(" span_id=").append(span.getSpanId());
    }
    if (record.getThrown() != null) {
      line.append('\n').append(clip(stackTrace(record.getThrown()), MAX_TRACE_CHARS).stripTrailing());
    }
    return line.append('\n').toString();
  }

  /** The names of System.Logger's levels, which the code logs with, rather than java.util.logging's. */
  static String levelName(Level level) {
    int value = level.intValue();
    if (value >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (value >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (value >= Level.INFO.intValue()) {
      return "INFO";
    }
    return value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
  }

  private static Iterable<LogField> fields(LogRecord record) {
    Object[] parameters = record.getParameters();
    if (parameters == null) {
      return java.util.List.of();
    }
    java.util.List<LogField> fields = new java.util.ArrayList<>(parameters.length);
    for (Object parameter : parameters) {
      if (parameter instanceof LogField field) {
        fields.add(field);
      }
    }
    return fields;
  }

  private static void jsonValue(StringBuilder line, Object value) {
    switch (value) {
      case null -> line.append("null");
      case Boolean bool -> line.append(bool);
      case Long number -> line.append(number);
      case Integer number -> line.append(number);
      case Double number when Double.isFinite(number) -> line.append(number);
      case Collection<?> items -> {
        line.append('[');
        boolean first = true;
        for (Object item : items) {
          if (!first) {
            line.append(',');
          }
          first = false;
          jsonValue(line, item);
        }
        line.append(']');
      }
      default -> quote(line, value.toString());
    }
  }

  /**
   * Text an agent may have chosen (a tool name, a resource URI, its client name) made safe for one
   * line: a name holding a line break could otherwise add a forged line ("allow ... workflow=admin")
   * under the gateway's name. Control characters and Unicode line separators are written as a Java
   * escape (backslash, u, four hex digits). The JSON format gets the same from its string escaping.
   */
  static void appendOneLine(StringBuilder line, String value) {
    String text = clip(value, MAX_VALUE_CHARS);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        line.append("\\u").append(String.format("%04x", (int) c));
      } else {
        line.append(c);
      }
    }
  }

  private static void quote(StringBuilder line, String text) {
    line.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text == null ? "" : clip(text, MAX_VALUE_CHARS), line);
    line.append('"');
  }

  /** {@code text}, or its first {@code limit} characters and how many there were. */
  static String clip(String text, int limit) {
    if (text.length() <= limit) {
      return text;
    }
    return text.substring(0, limit) + "...[truncated: " + text.length() + " characters]";
  }

  private static String stackTrace(Throwable thrown) {
    StringWriter text = new StringWriter();
    thrown.printStackTrace(new PrintWriter(text));
    return text.toString();
  }
}
