package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Base64UrlTest {

  private static final byte[] BYTES = {(byte) 0xfb, (byte) 0xff, 0x01};

  @Test
  void encodedBytesDecodeBackIdentically() throws Exception {
    assertThat(Base64Url.encode(BYTES)).isEqualTo("-_8B");
    assertThat(Base64Url.decode("-_8B", IllegalStateException::new)).containsExactly(BYTES);
  }

  @Test
  void paddedSpellingIsRefused() {
    assertThatThrownBy(() -> Base64Url.decode("AQ==", IllegalStateException::new))
        .hasMessage("not canonical base64url without padding");
  }

  @Test
  void strayBitsAfterTheLastByteAreRefused() {
    // "AR" and "AQ" both decode to 0x01: only the canonical spelling is accepted.
    assertThat(Base64Url.decode("AQ", IllegalStateException::new)).containsExactly(0x01);
    assertThatThrownBy(() -> Base64Url.decode("AR", IllegalStateException::new))
        .hasMessage("not canonical base64url without padding");
  }

  @Test
  void standardAlphabetIsRefused() {
    assertThatThrownBy(() -> Base64Url.decode("+/8B", IllegalStateException::new)).hasMessage("not base64url");
  }

  @Test
  void wrongLengthNamesExpectedAndFound() {
    assertThatThrownBy(() -> Base64Url.decode("-_8B", 32, reason -> new IllegalStateException("x: " + reason)))
        .hasMessage("x: expected 32 bytes, found 3");
  }
}
