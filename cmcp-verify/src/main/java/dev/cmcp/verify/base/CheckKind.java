package dev.cmcp.verify.base;

import java.util.Locale;

/**
 * What every report's check names declare: implemented by the check-name enums ({@code CheckName}
 * of a claim, {@code SnpCheck}, {@code TdxCheck}, {@code TpmCheck}), each constant saying what its
 * skip means for the verdict.
 */
public interface CheckKind {

  /** The enum constant's name, {@code VCEK_SIGNATURE}. */
  String name();

  /** What a skip of this check means for the verdict. */
  Requirement requirement();

  /** {@code vcek_signature}, as reports print a check's name. */
  default String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
