package dev.cmcp.verify.claim;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Where a gateway ran, as {@code trace.runtime.platform} names it. */
public enum Platform {
  SEV_SNP("sev-snp"),
  TDX("tdx"),
  TPM("tpm"),
  OPAQUE("opaque"),
  /** Development only: no hardware root of trust. */
  SOFTWARE("software");

  private final String jsonName;

  Platform(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }

  static Platform fromJsonName(String name, String field) throws ClaimException {
    for (Platform platform : values()) {
      if (platform.jsonName.equals(name)) {
        return platform;
      }
    }
    throw new ClaimException(field + ": unknown platform \"" + name + "\" (expected one of "
        + Arrays.stream(values()).map(Platform::jsonName).collect(Collectors.joining(", ")) + ")");
  }
}
