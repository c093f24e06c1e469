package dev.cmcp.gateway.redaction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in detectors of {@code @redact_pattern}: kinds of personal data found in free text.
 *
 * <p>Every pattern starts with a look-behind that refuses to begin inside a run of the characters
 * it matches, so a long run costs one scan, not one per position: upstream text is hostile input
 * and must not make redaction quadratic.
 */
public enum Detector {
  /** An e-mail address: {@code local@domain.tld}. */
  EMAIL("email", List.of(Pattern.compile(
      "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*\\.)+[A-Za-z]{2,}")), match -> true),

  /** 13 to 19 digits, optionally grouped by single spaces or dashes, with a valid Luhn check digit. */
  CREDIT_CARD("credit_card", List.of(Pattern.compile("(?<!\\d)\\d(?:[ -]?\\d){12,18}(?!\\d)")), Detector::isCardNumber),

  /** A US social security number, {@code 123-45-6789} or {@code 123 45 6789}, minus the never-issued ranges. */
  SSN("ssn", List.of(Pattern.compile("(?<![\\d-])(?!000|666|9\\d\\d)\\d{3}([- ])(?!00)\\d{2}\\1(?!0000)\\d{4}(?![\\d-])")),
      match -> true),

  /**
   * A telephone number: North American forms ({@code +1-202-555-0101}, {@code (202) 555-0101},
   * {@code 202.555.0101}) and international ones that start with {@code +} and a country code
   * ({@code +44 20 7946 0958}, {@code +442079460958}), 8 to 15 digits in all.
   */
  PHONE("phone", List.of(
      Pattern.compile("(?<![\\w+])(?:\\+?1[ .-]?)?(?:\\(\\d{3}\\)[ .-]?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}(?!\\d)"),
      Pattern.compile("(?<![\\w+])\\+[1-9]\\d{0,3}(?:[ .-]?\\(\\d{1,5}\\)|[ .-]\\d{1,8}){1,7}(?!\\d)"),
      Pattern.compile("(?<![\\w+])\\+[1-9]\\d{7,14}(?!\\d)")),
      Detector::hasPhoneLength);

  private final String annotationName;
  // Immutable in fact: List.of of compiled Patterns, and a reference to a static method.
  @SuppressWarnings("ImmutableEnumChecker")
  private final List<Pattern> patterns;
  @SuppressWarnings("ImmutableEnumChecker")
  private final Predicate<String> accepts;

  Detector(String annotationName, List<Pattern> patterns, Predicate<String> accepts) {
    this.annotationName = annotationName;
    this.patterns = patterns;
    this.accepts = accepts;
  }

  /** The name used in {@code @redact_pattern("...")}. */
  public String annotationName() {
    return annotationName;
  }

  public static Optional<Detector> named(String annotationName) {
    return Arrays.stream(values()).filter(d -> d.annotationName.equals(annotationName)).findFirst();
  }

  /** The text with every match replaced by {@code replacement}, and how many matches there were. */
  Replaced replaceIn(String text, String replacement) {
    String current = text;
    int count = 0;
    List<int[]> spans = candidateSpans(current);
    for (Pattern pattern : patterns) {
      if (spans.isEmpty()) {
        break;
      }
      // Transparent bounds: a look-behind at the start of a span still sees the character before it.
      Matcher matcher = pattern.matcher(current).useTransparentBounds(true).useAnchoringBounds(false);
      StringBuilder out = null;
      int copiedUpTo = 0;
      for (int[] span : spans) {
        int from = span[0];
        while (from < span[1] && matcher.region(from, span[1]).find()) {
          if (!accepts.test(matcher.group())) {
            // A shorter match may start just after: "2 4111 1111 1111 1111" holds a card.
            from = matcher.start() + 1;
            continue;
          }
          if (out == null) {
            out = new StringBuilder(current.length());
          }
          out.append(current, copiedUpTo, matcher.start()).append(replacement);
          copiedUpTo = matcher.end();
          from = matcher.end();
          count++;
        }
      }
      if (out != null) {
        current = out.append(current, copiedUpTo, current.length()).toString();
        spans = candidateSpans(current);
      }
    }
    return new Replaced(current, count);
  }

  /**
   * The runs of characters a match could be made of that hold enough to be one (an {@code @},
   * or eight digits). Only these are handed to the regular expressions, which are slow to try at
   * every position of a long text; a match never extends beyond its run.
   */
  private List<int[]> candidateSpans(String text) {
    List<int[]> spans = new ArrayList<>();
    int start = -1;
    int digits = 0;
    boolean at = false;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '\n';
      if (i < text.length() && isSpanCharacter(c)) {
        if (start < 0) {
          start = i;
          digits = 0;
          at = false;
        }
        digits += c >= '0' && c <= '9' ? 1 : 0;
        at |= c == '@';
      } else if (start >= 0) {
        if (this == EMAIL ? at : digits >= 8) {
          spans.add(new int[] {start, i});
        }
        start = -1;
      }
    }
    return spans;
  }

  private boolean isSpanCharacter(char c) {
    boolean digit = c >= '0' && c <= '9';
    if (this == EMAIL) {
      return digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || "._%+-@".indexOf(c) >= 0;
    }
    return digit || " .()+-".indexOf(c) >= 0;
  }

  /** A text after replacement. */
  record Replaced(String text, int count) {}

  private static boolean isCardNumber(String match) {
    int digits = 0;
    int sum = 0;
    for (int i = match.length() - 1; i >= 0; i--) {
      char c = match.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      int digit = c - '0';
      if (digits % 2 == 1) {
        digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      }
      sum += digit;
      digits++;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }

  private static boolean hasPhoneLength(String match) {
    long digits = match.chars().filter(Character::isDigit).count();
    return digits >= 8 && digits <= 15;
  }
}
