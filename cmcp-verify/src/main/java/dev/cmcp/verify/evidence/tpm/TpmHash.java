package dev.cmcp.verify.evidence.tpm;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;

/** The hash algorithms of TPM PCR banks and signatures (TPM_ALG_ID, TCG Algorithm Registry). */
enum TpmHash {
  SHA1(0x0004, "sha1", 20, "SHA-1"),
  SHA256(0x000B, "sha256", 32, "SHA-256"),
  SHA384(0x000C, "sha384", 48, "SHA-384"),
  SHA512(0x000D, "sha512", 64, "SHA-512");

  final int algorithmId;
  /** The bank name of the evidence JSON and of tpm2-tools' PCR lists. */
  final String bankName;
  final int digestSize;
  final String jdkName;

  TpmHash(int algorithmId, String bankName, int digestSize, String jdkName) {
    this.algorithmId = algorithmId;
    this.bankName = bankName;
    this.digestSize = digestSize;
    this.jdkName = jdkName;
  }

  static Optional<TpmHash> byId(int algorithmId) {
    return Arrays.stream(values()).filter(h -> h.algorithmId == algorithmId).findFirst();
  }

  static Optional<TpmHash> byBankName(String name) {
    return Arrays.stream(values()).filter(h -> h.bankName.equals(name)).findFirst();
  }

  byte[] digest(byte[] data) {
    try {
      return MessageDigest.getInstance(jdkName).digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no " + jdkName, e);
    }
  }

  static String hexId(int algorithmId) {
    return String.format("0x%04x", algorithmId);
  }
}
