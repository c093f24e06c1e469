package dev.cmcp.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.base.Digests;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code cmcp token hash}: the token from standard input, its SHA-256 out, nothing else. */
class TokenCommandTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int hash(String input) throws Exception {
    return TokenCommand.Hash.run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void printsTheDigestOfTheTokenWithoutItsNewline() throws Exception {
    String token = "0123456789abcdef0123456789abcdef";

    assertThat(hash(token + "\n")).isZero();

    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(Digests.sha256Hex(token.getBytes(StandardCharsets.UTF_8)) + System.lineSeparator());
  }

  @Test
  void refusesWhatCannotBeAToken() throws Exception {
    assertThat(hash("short\n")).isEqualTo(Main.INVALID_INPUT);
    assertThat(hash("two words that are long enough")).isEqualTo(Main.INVALID_INPUT);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("openssl rand -hex 32");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
