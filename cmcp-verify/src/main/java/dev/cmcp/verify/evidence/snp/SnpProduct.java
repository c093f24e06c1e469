package dev.cmcp.verify.evidence.snp;

import java.util.Optional;

/**
 * The EPYC product lines whose SEV-SNP reports this verifier reads. Each has its own AMD root
 * key (ARK), pinned here by the SHA-256 of its DER encoding as AMD's Key Distribution Service
 * publishes it ({@code https://kdsintf.amd.com/vcek/v1/<Product>/cert_chain}), and its own
 * TCB_VERSION layout.
 */
public enum SnpProduct {
  MILAN("Milan", "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"),
  GENOA("Genoa", "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"),
  TURIN("Turin", "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a");

  private final String displayName;
  private final String arkSha256;

  SnpProduct(String displayName, String arkSha256) {
    this.displayName = displayName;
    this.arkSha256 = arkSha256;
  }

  /** {@code Milan}, as AMD's certificates and KDS paths spell it. */
  public String displayName() {
    return displayName;
  }

  /** Lower-case hex SHA-256 of AMD's ARK certificate (DER) for this product line. */
  public String arkSha256() {
    return arkSha256;
  }

  /** Reads {@code milan}, {@code Genoa}, ... (what an operator types). */
  public static SnpProduct parse(String name) {
    for (SnpProduct product : values()) {
      if (product.displayName.equalsIgnoreCase(name.trim())) {
        return product;
      }
    }
    throw new IllegalArgumentException("unknown SEV-SNP product line \"" + name + "\" (expected milan, genoa or turin)");
  }

  /** From a VCEK's product-name extension: {@code Milan-B0}, {@code Genoa-B1}, {@code Turin-B0}, ... */
  static Optional<SnpProduct> fromProductName(String productName) {
    String line = productName.split("-", 2)[0];
    for (SnpProduct product : values()) {
      if (product.displayName.equalsIgnoreCase(line)) {
        return Optional.of(product);
      }
    }
    return Optional.empty();
  }

  /** From the CPUID family and model a version 3+ report carries. */
  static Optional<SnpProduct> fromCpuid(int family, int model) {
    if (family == 0x19 && model <= 0x0F) {
      return Optional.of(MILAN);
    }
    // Genoa proper, and Bergamo/Siena, which share Genoa's keys.
    if (family == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))) {
      return Optional.of(GENOA);
    }
    if (family == 0x1A && model <= 0x1F) {
      return Optional.of(TURIN);
    }
    return Optional.empty();
  }

  /** Splits a raw little-endian TCB_VERSION into its levels, per this product line's layout. */
  TcbVersion tcb(long raw) {
    return switch (this) {
      // Milan and Genoa: BOOT_LOADER byte 0, TEE byte 1, bytes 2-5 reserved, SNP byte 6, MICROCODE byte 7.
      case MILAN, GENOA -> TcbVersion.of(byteAt(raw, 0), byteAt(raw, 1), byteAt(raw, 6), byteAt(raw, 7));
      // Turin: FMC byte 0, BOOT_LOADER byte 1, TEE byte 2, SNP byte 3, bytes 4-6 reserved, MICROCODE byte 7.
      case TURIN -> new TcbVersion(byteAt(raw, 1), byteAt(raw, 2), byteAt(raw, 3), byteAt(raw, 7), byteAt(raw, 0));
    };
  }

  private static int byteAt(long raw, int index) {
    return (int) (raw >>> (8 * index)) & 0xFF;
  }
}
