package dev.cmcp.gateway.ops;

/**
 * One named value of a structured log record, passed as a parameter of {@link System.Logger#log(
 * System.Logger.Level, String, Object...)}: the JSON format writes it as a member of the line, the
 * text format as {@code name=value} after the message. Values are identifiers, decision words,
 * counts and durations; never an argument or result of a call.
 *
 * @param value a String, Number, Boolean, a collection of them, or null
 */
public record LogField(String name, Object value) {

  public static LogField of(String name, Object value) {
    return new LogField(name, value);
  }

  /** The value alone, so that a message may also name the field as {@code {0}}. */
  @Override
  public String toString() {
    return String.valueOf(value);
  }
}
