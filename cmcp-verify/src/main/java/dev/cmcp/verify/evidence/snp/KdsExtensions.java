package dev.cmcp.verify.evidence.snp;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;

/**
 * The X.509 extensions AMD's Key Distribution Service puts in a VCEK (AMD "Versioned Chip
 * Endorsement Key (VCEK) Certificate and KDS Interface Specification"): the product name, the
 * security patch levels the key was derived for, and the chip's hardware id. Each extension's
 * value is read with a few bounds-checked DER steps; anything else is refused.
 */
final class KdsExtensions {
  static final String PRODUCT_NAME = "1.3.6.1.4.1.3704.1.2";
  static final String BOOTLOADER_SPL = "1.3.6.1.4.1.3704.1.3.1";
  static final String TEE_SPL = "1.3.6.1.4.1.3704.1.3.2";
  static final String SNP_SPL = "1.3.6.1.4.1.3704.1.3.3";
  static final String MICROCODE_SPL = "1.3.6.1.4.1.3704.1.3.8";
  static final String FMC_SPL = "1.3.6.1.4.1.3704.1.3.9";
  static final String HW_ID = "1.3.6.1.4.1.3704.1.4";

  private static final int TAG_INTEGER = 0x02;
  private static final int TAG_OCTET_STRING = 0x04;
  private static final int TAG_IA5_STRING = 0x16;

  /** Milan and Genoa name a chip with 64 bytes, Turin with 8 (the rest of CHIP_ID is then unused). */
  private static final int HW_ID_SIZE = 64;
  private static final int TURIN_HW_ID_SIZE = 8;

  private KdsExtensions() {}

  /** A VCEK, as opposed to an ASK, ARK or VLEK: it names its chip. */
  static boolean isVcek(X509Certificate certificate) {
    return certificate.getExtensionValue(HW_ID) != null;
  }

  /**
   * A VLEK: the versioned loaded endorsement key AMD issues to a cloud provider rather than to
   * one chip. It has no hwID, certifies a TCB like a VCEK, and is issued by the product line's
   * ASVK ({@code SEV-VLEK-<product>}), itself issued by the same ARK.
   */
  static boolean isVlek(X509Certificate certificate) {
    return certificate.getExtensionValue(HW_ID) == null && certificate.getExtensionValue(BOOTLOADER_SPL) != null
        && certificate.getIssuerX500Principal().getName().contains("CN=SEV-VLEK-");
  }

  /** {@code Milan-B0}, {@code Genoa-B1}, ...; empty when absent or unreadable. */
  static Optional<String> productName(X509Certificate vcek) {
    try {
      Optional<byte[]> value = extension(vcek, PRODUCT_NAME);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new String(unwrap(value.get(), TAG_IA5_STRING, "productName"), StandardCharsets.US_ASCII));
    } catch (SnpProblem e) {
      return Optional.empty();
    }
  }

  /** The hardware id, 64 bytes (8 on Turin). */
  static byte[] hwId(X509Certificate vcek) throws SnpProblem {
    byte[] value = extension(vcek, HW_ID)
        .orElseThrow(() -> new SnpProblem("the VCEK has no hwID extension (" + HW_ID + ")"));
    // KDS writes the raw bytes without a DER header; accept a proper OCTET STRING too, should AMD add one.
    if (value.length == HW_ID_SIZE || value.length == TURIN_HW_ID_SIZE) {
      return value;
    }
    byte[] octets = unwrap(value, TAG_OCTET_STRING, "hwID");
    if (octets.length != HW_ID_SIZE && octets.length != TURIN_HW_ID_SIZE) {
      throw new SnpProblem("the VCEK's hwID is " + octets.length + " bytes, not 64 (or 8 on Turin)");
    }
    return octets;
  }

  /** Whether {@code hwId} names the chip of a report's CHIP_ID. */
  static boolean hwIdMatches(byte[] hwId, byte[] chipId) {
    return hwId.length <= chipId.length && Arrays.equals(hwId, Arrays.copyOf(chipId, hwId.length));
  }

  /** The levels the VCEK certifies, in {@code product}'s terms (FMC on Turin only). */
  static TcbVersion tcb(X509Certificate vcek, SnpProduct product) throws SnpProblem {
    int fmc = product == SnpProduct.TURIN ? spl(vcek, FMC_SPL, "fmcSPL") : 0;
    return new TcbVersion(spl(vcek, BOOTLOADER_SPL, "blSPL"), spl(vcek, TEE_SPL, "teeSPL"),
        spl(vcek, SNP_SPL, "snpSPL"), spl(vcek, MICROCODE_SPL, "ucodeSPL"), fmc);
  }

  private static int spl(X509Certificate vcek, String oid, String name) throws SnpProblem {
    byte[] value = extension(vcek, oid)
        .orElseThrow(() -> new SnpProblem("the VCEK has no " + name + " extension (" + oid + ")"));
    byte[] integer = unwrap(value, TAG_INTEGER, name);
    if (integer.length == 0 || integer.length > 2) {
      throw new SnpProblem("the VCEK's " + name + " is not a small INTEGER");
    }
    int level = new BigInteger(integer).intValueExact();
    if (level < 0 || level > 255) {
      throw new SnpProblem("the VCEK's " + name + " is " + level + ", outside 0-255");
    }
    return level;
  }

  /** The extnValue's contents: the JDK hands it back still wrapped in its OCTET STRING. */
  private static Optional<byte[]> extension(X509Certificate certificate, String oid) throws SnpProblem {
    byte[] wrapped = certificate.getExtensionValue(oid);
    if (wrapped == null) {
      return Optional.empty();
    }
    return Optional.of(unwrap(wrapped, TAG_OCTET_STRING, oid));
  }

  /** The contents of one DER element with {@code tag} that spans all of {@code der}. */
  private static byte[] unwrap(byte[] der, int tag, String what) throws SnpProblem {
    if (der.length < 2 || (der[0] & 0xFF) != tag) {
      throw new SnpProblem("the VCEK's " + what + " is not DER tag 0x" + Integer.toHexString(tag));
    }
    int first = der[1] & 0xFF;
    int at = 2;
    int length;
    if (first < 0x80) {
      length = first;
    } else {
      int lengthBytes = first & 0x7F;
      if (lengthBytes == 0 || lengthBytes > 3 || der.length < at + lengthBytes) {
        throw new SnpProblem("the VCEK's " + what + " has a malformed DER length");
      }
      length = 0;
      for (int i = 0; i < lengthBytes; i++) {
        length = (length << 8) | (der[at++] & 0xFF);
      }
    }
    if (at + length != der.length) {
      throw new SnpProblem("the VCEK's " + what + " has a DER length that does not match its bytes");
    }
    return Arrays.copyOfRange(der, at, der.length);
  }
}
