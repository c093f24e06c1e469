package dev.cmcp.verify.evidence.tpm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Real quotes from swtpm, made by make-fixtures.sh beside them, and the binding they were made over. */
final class TpmFixtures {

  static final String ECC = "quote-ecc.json";
  static final String RSASSA = "quote-rsassa.json";
  static final String RSAPSS = "quote-rsapss.json";

  private TpmFixtures() {}

  static byte[] json(String name) {
    try (InputStream in = TpmFixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("test resource " + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TpmEvidence evidence(String name) {
    try {
      return TpmEvidence.fromJson(json(name));
    } catch (TpmFormatException e) {
      throw new IllegalStateException("fixture " + name + " does not parse: " + e.getMessage(), e);
    }
  }

  static byte[] binding() {
    return HexFormat.of().parseHex(new String(json("binding.hex"), StandardCharsets.US_ASCII).strip());
  }
}
