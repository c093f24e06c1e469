package dev.cmcp.gateway.ratelimit;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rate: at most {@code count} calls per {@code period}, as written in {@code @rate_limit("10/minute")}
 * and in the config's {@code rate_limits:}.
 *
 * @param count how many calls a period allows, from 1 to {@link #MAX_COUNT}
 * @param period second, minute, hour or day
 */
public record RateLimit(long count, Duration period) {

  public static final long MAX_COUNT = 1_000_000;
  private static final Pattern WRITTEN = Pattern.compile("\\s*(\\d{1,7})\\s*/\\s*(second|minute|hour|day)\\s*");

  public RateLimit {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException("a rate limit allows from 1 to " + MAX_COUNT + " calls per period, not " + count);
    }
  }

  /**
   * Reads {@code "10/minute"}: a whole number, a slash, and {@code second}, {@code minute},
   * {@code hour} or {@code day}.
   *
   * @throws IllegalArgumentException saying what to write instead
   */
  public static RateLimit parse(String written) {
    Matcher matcher = WRITTEN.matcher(written.toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException("\"" + written + "\" is not a rate; write calls per period, like \"10/minute\" "
          + "(periods: second, minute, hour, day)");
    }
    Duration period = switch (matcher.group(2)) {
      case "second" -> Duration.ofSeconds(1);
      case "minute" -> Duration.ofMinutes(1);
      case "hour" -> Duration.ofHours(1);
      default -> Duration.ofDays(1);
    };
    return new RateLimit(Long.parseLong(matcher.group(1)), period);
  }

  /** The time between calls at the steady rate, in nanoseconds. */
  long intervalNanos() {
    return period.toNanos() / count;
  }

  @Override
  public String toString() {
    String unit = switch ((int) period.toSeconds()) {
      case 1 -> "second";
      case 60 -> "minute";
      case 3600 -> "hour";
      default -> "day";
    };
    return count + "/" + unit;
  }
}
