package dev.cmcp.gateway.mcp;

/**
 * Text an agent chose (a tool name, a resource URI, its client name), made safe for one log line.
 *
 * <p>The log is read line by line by people and tools; a name holding a line break could add a
 * forged line ("allow ... workflow=admin") under the gateway's name. Control characters and
 * Unicode line separators are written instead as a Java escape: backslash, u, four hex digits.
 */
final class LogText {

  private LogText() {}

  static String escaped(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        if (out == null) {
          out = new StringBuilder(text.length() + 8).append(text, 0, i);
        }
        out.append(String.format("\\u%04x", (int) c));
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }
}
