package dev.cmcp.gateway.mcp;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An RFC 6570 URI template as a matcher: does a URI come from this template? Each expression
 * stands for what its operator can expand to ({@code {id}} no {@code /}, {@code {+path}} anything
 * but a fragment, {@code {/seg}} path segments, {@code {?q}} a query, ...); literals must match
 * exactly.
 */
record UriTemplate(String template, Pattern pattern) {

  private static final Pattern EXPRESSION = Pattern.compile("\\{([+#./;?&]?)[^{}]*}");
  /** More expressions than any real template has: each costs the matcher a level of backtracking. */
  private static final int MAX_EXPRESSIONS = 8;

  /** The matcher for {@code template}; empty when it is not a template this reads (unbalanced braces, too many expressions). */
  static Optional<UriTemplate> parse(String template) {
    String literals = EXPRESSION.matcher(template).replaceAll("");
    if (literals.indexOf('{') >= 0 || literals.indexOf('}') >= 0) {
      return Optional.empty();
    }
    StringBuilder regex = new StringBuilder();
    Matcher expression = EXPRESSION.matcher(template);
    int literalFrom = 0;
    int expressions = 0;
    while (expression.find()) {
      if (++expressions > MAX_EXPRESSIONS) {
        return Optional.empty();
      }
      regex.append(literal(template.substring(literalFrom, expression.start())));
      regex.append(switch (expression.group(1)) {
        case "+" -> "[^#]*";
        case "#" -> "(?:#.*)?";
        case "." -> "(?:\\.[^/?#]*)*";
        case "/" -> "(?:/[^/?#]*)*";
        case ";" -> "(?:;[^/?#]*)*";
        case "?" -> "(?:\\?[^#]*)?";
        case "&" -> "(?:&[^#]*)*";
        default -> "[^/?#]*";
      });
      literalFrom = expression.end();
    }
    regex.append(literal(template.substring(literalFrom)));
    return Optional.of(new UriTemplate(template, Pattern.compile(regex.toString())));
  }

  boolean matches(String uri) {
    return pattern.matcher(uri).matches();
  }

  private static String literal(String text) {
    return text.isEmpty() ? "" : Pattern.quote(text);
  }
}
