package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CedarSourceTest {

  @Test
  void semicolonsInStringsAndCommentsDoNotEndAStatement() {
    String text = "// a; b\npermit(p, a, r) when { \"x;\\\";y\" == 1 };\n  forbid(p, a, r);\n// trailing; comment\n";

    assertThat(new CedarSource(text).statements())
        .extracting(CedarSource.Statement::text)
        .containsExactly("// a; b\npermit(p, a, r) when { \"x;\\\";y\" == 1 };", "\n  forbid(p, a, r);");
  }

  @Test
  void unterminatedLastStatementIsKept() {
    assertThat(new CedarSource("permit(p, a, r);\nforbid(p, a, r)").statements())
        .extracting(CedarSource.Statement::start)
        .containsExactly(0, 16);
  }

  @Test
  void byteOffsetsBecomeCharacterPositions() {
    String text = "é€\n𝄞x";
    CedarSource source = new CedarSource(text);

    // é is 2 UTF-8 bytes, € 3, the newline 1, 𝄞 4 (and two UTF-16 chars).
    assertThat(CedarSource.charIndexOfByte(text, 5)).isEqualTo(2);
    assertThat(source.position(CedarSource.charIndexOfByte(text, 10))).hasToString("2:3");
  }
}
