package dev.cmcp.gateway.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * The text of one policy file, for pointing at places in it. Cedar reports positions as UTF-8
 * byte offsets into the text it was given; people want {@code line:column}.
 */
final class CedarSource {

  /** A 1-based line and column (in characters). */
  record Position(int line, int column) {
    @Override
    public String toString() {
      return line + ":" + column;
    }
  }

  /** One {@code ;}-terminated statement (or a trailing unterminated one) and where it starts. */
  record Statement(int start, String text) {}

  private final String text;

  CedarSource(String text) {
    this.text = text;
  }

  String text() {
    return text;
  }

  Position position(int charIndex) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < charIndex && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new Position(line, charIndex - lineStart + 1);
  }

  /** The index in {@code s} of the character that starts at UTF-8 byte {@code byteOffset}. */
  static int charIndexOfByte(String s, int byteOffset) {
    int bytes = 0;
    int i = 0;
    while (i < s.length() && bytes < byteOffset) {
      int codePoint = s.codePointAt(i);
      bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
      i += Character.charCount(codePoint);
    }
    return i;
  }

  /**
   * The text cut after each {@code ;} that is outside a string literal and a comment: each piece
   * is one policy, as Cedar's grammar has no other use for {@code ;}. Only used to say where a
   * parse error is, never to decide what the policies are.
   */
  List<Statement> statements() {
    List<Statement> statements = new ArrayList<>();
    int start = 0;
    boolean inString = false;
    boolean inComment = false;
    boolean hasCode = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inComment) {
        inComment = c != '\n';
      } else if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '/') {
        inComment = true;
        i++;
      } else if (c == ';') {
        statements.add(new Statement(start, text.substring(start, i + 1)));
        start = i + 1;
        hasCode = false;
      } else if (!Character.isWhitespace(c)) {
        inString = c == '"';
        hasCode = true;
      }
    }
    if (hasCode) {
      statements.add(new Statement(start, text.substring(start)));
    }
    return statements;
  }
}
