package dev.cmcp.verify.evidence.tdx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/** The real TDX quote and Intel collateral from test-fixtures/tdx, and a time when all of it was valid. */
final class TdxFixtures {

  static final Path DIR = Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures/tdx").normalize();

  /**
   * Inside the PCK chain (2022-09-20 to 2029-09-20), the PCK CRL (2023-06-08 to 07-08), the root
   * CRL (2023-04-03 to 2024-04-02), the TCB info (2023-06-18 to 07-18) and the QE identity
   * (2023-06-08 to 07-08).
   */
  static final Instant NOW = Instant.parse("2023-06-20T00:00:00Z");

  /** Offsets in the fixture quote (header 48, TD report body 584, signature data from 636). */
  static final int TD_REPORT = 48;
  static final int MRTD = TD_REPORT + 136;
  static final int TD_ATTRIBUTES = TD_REPORT + 120;
  static final int QUOTE_SIGNATURE = 636;
  static final int ATTESTATION_KEY = QUOTE_SIGNATURE + 64;
  static final int QE_REPORT = ATTESTATION_KEY + 64 + 6;
  static final int QE_REPORT_DATA = QE_REPORT + 320;
  static final int PCK_CHAIN_PEM = QE_REPORT + 384 + 64 + 2 + 32 + 6;
  static final int SIGNATURE_DATA_END = 4935;

  static final String MRTD_HEX =
      "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb";

  private TdxFixtures() {}

  static byte[] quote() {
    return read(DIR.resolve("tdx_prod_quote_SPR_E4.dat"));
  }

  static byte[] flipBit(byte[] data, int offset) {
    byte[] copy = data.clone();
    copy[offset] ^= 1;
    return copy;
  }

  /** A certs folder with the pinned root and whichever of the fixture's collateral files are named. */
  static Path certsFolder(Path dir, String... collateralFiles) {
    try {
      Files.copy(DIR.resolve("trusted_root.pem"), dir.resolve("trusted_root.pem"));
      for (String file : collateralFiles) {
        Files.copy(DIR.resolve(file), dir.resolve(file));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every collateral file, and the Intel SGX TCB Signing certificate that signed the TCB info and QE identity. */
  static Path fullCertsFolder(Path dir) {
    certsFolder(dir, "pckcrl", "rootcrl.der", "sample_tcbInfo_response", "sample_qeIdentity_response");
    try (InputStream signing = TdxFixtures.class.getResourceAsStream("intel_sgx_tcb_signing.pem")) {
      Files.write(dir.resolve("tcb_signing.pem"), Objects.requireNonNull(signing).readAllBytes());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
