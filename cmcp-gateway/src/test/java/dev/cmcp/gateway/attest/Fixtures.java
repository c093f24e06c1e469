package dev.cmcp.gateway.attest;

import dev.cmcp.verify.claim.Binding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Real evidence from test-fixtures (see its README), and a binding to write. */
final class Fixtures {

  /** MEASUREMENT of the real SEV-SNP report: bytes 0x90 to 0xBF. */
  static final String SNP_MEASUREMENT =
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
  /** MRTD of the real TDX quote: bytes 184 to 231 (48-byte header, then offset 136 of the TD report body). */
  static final String TDX_MRTD =
      "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb";

  static final Binding BINDING = Binding.of(
      "sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64), "enforcing", "thumbprint-of-the-claim-key");

  private Fixtures() {}

  static byte[] snpReport() {
    return read("snp/attestation.bin");
  }

  static byte[] tdxQuote() {
    return read("tdx/tdx_prod_quote_SPR_E4.dat");
  }

  private static byte[] read(String name) {
    Path root = Path.of(System.getProperty("cmcp.repo.root", ".")).resolve("test-fixtures").normalize();
    try {
      return Files.readAllBytes(root.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("the test fixtures (test-fixtures/) are missing: " + e.getMessage(), e);
    }
  }
}
