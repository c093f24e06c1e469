package dev.cmcp.verify.evidence.snp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI specification, "ATTESTATION_REPORT
 * Structure"), versions 2 to 5: 1184 little-endian bytes, of which 0x000-0x29F are signed and
 * 0x2A0-0x49F hold the signature. {@link #parse} checks the length and the few fields whose
 * values decide how the rest is read; every accessor then reads a fixed offset inside the
 * copied 1184 bytes.
 */
final class SnpReport {
  static final int SIZE = 0x4A0;
  static final int SIGNED_LENGTH = 0x2A0;
  static final int MIN_VERSION = 2;
  static final int MAX_VERSION = 5;
  static final int ECDSA_P384_SHA384 = 1;

  static final int SIGNING_KEY_VCEK = 0;
  static final int SIGNING_KEY_VLEK = 1;
  static final int SIGNING_KEY_NONE = 7;

  private static final int POLICY_RESERVED_ONE_BIT = 17;
  private static final int POLICY_DEBUG_BIT = 19;

  private final byte[] bytes;
  private final ByteBuffer le;

  private SnpReport(byte[] bytes) {
    this.bytes = bytes;
    this.le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Reads the report at the start of {@code evidence} (anything after it is not the report's). */
  static SnpReport parse(byte[] evidence) throws SnpProblem {
    if (evidence.length < SIZE) {
      throw new SnpProblem("evidence is " + evidence.length + " bytes; an SEV-SNP ATTESTATION_REPORT is "
          + SIZE + " (0x4A0) bytes");
    }
    SnpReport report = new SnpReport(Arrays.copyOf(evidence, SIZE));
    long version = report.version();
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new SnpProblem("VERSION is " + version + "; this verifier reads report versions "
          + MIN_VERSION + " to " + MAX_VERSION);
    }
    if (report.signatureAlgo() != ECDSA_P384_SHA384) {
      throw new SnpProblem("SIGNATURE_ALGO is " + report.signatureAlgo()
          + "; only 1 (ECDSA P-384 with SHA-384) is defined");
    }
    if ((report.policy() & (1L << POLICY_RESERVED_ONE_BIT)) == 0) {
      throw new SnpProblem("POLICY bit 17 is 0; the specification fixes it at 1");
    }
    int signingKey = report.signingKey();
    if (signingKey != SIGNING_KEY_VCEK && signingKey != SIGNING_KEY_VLEK && signingKey != SIGNING_KEY_NONE) {
      throw new SnpProblem("SIGNING_KEY is " + signingKey + ", a reserved value");
    }
    return report;
  }

  long version() {
    return u32(0x00);
  }

  long guestSvn() {
    return u32(0x04);
  }

  long policy() {
    return le.getLong(0x08);
  }

  boolean debugAllowed() {
    return (policy() & (1L << POLICY_DEBUG_BIT)) != 0;
  }

  /** The guest policy's bits in words: {@code abi 0.0, smt, debug}. */
  String policyFlags() {
    long policy = policy();
    List<String> flags = new ArrayList<>();
    flags.add("abi " + ((policy >>> 8) & 0xFF) + "." + (policy & 0xFF));
    String[] names = {"smt", null, "migrate_ma", "debug", "single_socket", "cxl_allow", "mem_aes_256_xts",
        "rapl_dis", "ciphertext_hiding_dram", "page_swap_disable"};
    for (int bit = 16; bit < 64; bit++) {
      if ((policy & (1L << bit)) != 0 && bit != POLICY_RESERVED_ONE_BIT) {
        int index = bit - 16;
        flags.add(index < names.length ? names[index] : "reserved bit " + bit);
      }
    }
    return String.join(", ", flags);
  }

  byte[] familyId() {
    return range(0x10, 16);
  }

  byte[] imageId() {
    return range(0x20, 16);
  }

  long vmpl() {
    return u32(0x30);
  }

  long signatureAlgo() {
    return u32(0x34);
  }

  long currentTcb() {
    return le.getLong(0x38);
  }

  long platformInfo() {
    return le.getLong(0x40);
  }

  /** PLATFORM_INFO's bits in words: {@code smt_en, tsme_en}. */
  String platformInfoFlags() {
    String[] names = {"smt_en", "tsme_en", "ecc_en", "rapl_dis", "ciphertext_hiding_dram_en", "alias_check_complete"};
    List<String> flags = new ArrayList<>();
    for (int bit = 0; bit < 64; bit++) {
      if ((platformInfo() & (1L << bit)) != 0) {
        flags.add(bit < names.length ? names[bit] : "reserved bit " + bit);
      }
    }
    return flags.isEmpty() ? "none" : String.join(", ", flags);
  }

  boolean authorKeyEnabled() {
    return (bytes[0x48] & 0x01) != 0;
  }

  boolean chipKeyMasked() {
    return (bytes[0x48] & 0x02) != 0;
  }

  /** 0 VCEK, 1 VLEK, 7 none. */
  int signingKey() {
    return (bytes[0x48] >>> 2) & 0x07;
  }

  byte[] reportData() {
    return range(0x50, 64);
  }

  byte[] measurement() {
    return range(0x90, 48);
  }

  byte[] hostData() {
    return range(0xC0, 32);
  }

  byte[] idKeyDigest() {
    return range(0xE0, 48);
  }

  byte[] authorKeyDigest() {
    return range(0x110, 48);
  }

  byte[] reportId() {
    return range(0x140, 32);
  }

  byte[] reportIdMa() {
    return range(0x160, 32);
  }

  long reportedTcb() {
    return le.getLong(0x180);
  }

  /** CPUID family, model and stepping of the chip: version 3 and later only. */
  Optional<int[]> cpuid() {
    if (version() < 3) {
      return Optional.empty();
    }
    return Optional.of(new int[] {bytes[0x188] & 0xFF, bytes[0x189] & 0xFF, bytes[0x18A] & 0xFF});
  }

  byte[] chipId() {
    return range(0x1A0, 64);
  }

  long committedTcb() {
    return le.getLong(0x1E0);
  }

  /** {@code major.minor build N} of the running firmware. */
  String currentFirmware() {
    return firmware(0x1E8);
  }

  String committedFirmware() {
    return firmware(0x1EC);
  }

  long launchTcb() {
    return le.getLong(0x1F0);
  }

  /** Bytes 0x000-0x29F: what the signature covers. */
  byte[] signedBody() {
    return range(0, SIGNED_LENGTH);
  }

  /** The 512-byte SIGNATURE field: R (72 bytes) and S (72 bytes), little-endian, then reserved zeros. */
  byte[] signature() {
    return range(SIGNED_LENGTH, SIZE - SIGNED_LENGTH);
  }

  private String firmware(int offset) {
    // BUILD, MINOR, MAJOR: in that order at offset, offset + 1, offset + 2.
    return (bytes[offset + 2] & 0xFF) + "." + (bytes[offset + 1] & 0xFF) + " build " + (bytes[offset] & 0xFF);
  }

  private long u32(int offset) {
    return Integer.toUnsignedLong(le.getInt(offset));
  }

  private byte[] range(int offset, int length) {
    return Arrays.copyOfRange(bytes, offset, offset + length);
  }
}
