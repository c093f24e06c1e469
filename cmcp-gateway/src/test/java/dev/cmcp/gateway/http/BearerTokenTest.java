package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shared agent token: only the exact token is admitted, and guessing it learns nothing from timing. */
class BearerTokenTest {

  private static final String SECRET = "s3cret-0123456789abcdef";
  private final BearerToken token = new BearerToken(SECRET);

  @Test
  void onlyTheExactTokenIsAdmitted() {
    assertThat(token.admits("Bearer " + SECRET)).isTrue();
    assertThat(token.admits("bearer " + SECRET)).as("the scheme is case-insensitive (RFC 9110)").isTrue();

    assertThat(token.admits(null)).isFalse();
    assertThat(token.admits("")).isFalse();
    assertThat(token.admits("Bearer ")).isFalse();
    assertThat(token.admits(SECRET)).isFalse();
    assertThat(token.admits("Basic " + SECRET)).isFalse();
    assertThat(token.admits("Bearer " + SECRET.substring(0, SECRET.length() - 1))).isFalse();
    assertThat(token.admits("Bearer " + SECRET + "0")).isFalse();
    assertThat(token.admits("Bearer " + SECRET.toUpperCase())).isFalse();
    assertThat(token.admits("Bearer " + SECRET + ", Bearer other")).isFalse();
  }

  @Test
  void tokenIsNotInItsTextForm() {
    assertThat(token.toString()).doesNotContain(SECRET);
  }

  /**
   * A timing attack cannot be tested reliably by timing it (and the tests time nothing), so this
   * checks the code instead: the comparison is {@code MessageDigest.isEqual}, which takes the
   * same time whatever matches, over digests of equal length, and no early-exit equals is used.
   */
  @Test
  void tokenIsComparedInConstantTime() throws Exception {
    String source = Files.readString(Path.of("src/main/java/dev/cmcp/gateway/http/BearerToken.java"));
    String code = source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");

    assertThat(code).contains("MessageDigest.isEqual(expectedDigest, presentedDigest)");
    assertThat(code).contains("Digests.sha256(presented.getBytes(StandardCharsets.UTF_8))");
    assertThat(code).doesNotContain(".equals(").doesNotContain("compareTo(").doesNotContain("Arrays.equals");
  }
}
