package dev.cmcp.verify.evidence.snp;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The security patch levels of an AMD secure processor's firmware and microcode, as a
 * TCB_VERSION holds them. {@code fmc} exists on Turin only and is 0 elsewhere.
 */
public record TcbVersion(int bootloader, int tee, int snp, int microcode, int fmc) {

  public TcbVersion {
    requireByte("bootloader", bootloader);
    requireByte("tee", tee);
    requireByte("snp", snp);
    requireByte("microcode", microcode);
    requireByte("fmc", fmc);
  }

  /** A Milan or Genoa TCB (no FMC). */
  public static TcbVersion of(int bootloader, int tee, int snp, int microcode) {
    return new TcbVersion(bootloader, tee, snp, microcode, 0);
  }

  /**
   * Reads {@code bootloader=3,tee=0,snp=8,microcode=115} (also {@code bl}, {@code ucode};
   * {@code fmc=} optional), the form an operator gives a minimum TCB in.
   */
  public static TcbVersion parse(String text) {
    Map<String, Integer> parts = new HashMap<>();
    for (String part : text.split(",", -1)) {
      String[] keyValue = part.trim().split("=", 2);
      if (keyValue.length != 2) {
        throw new IllegalArgumentException("TCB \"" + text + "\": expected name=value pairs separated by commas,"
            + " e.g. bootloader=3,tee=0,snp=8,microcode=115");
      }
      String key = switch (keyValue[0].trim().toLowerCase(Locale.ROOT)) {
        case "bl", "bootloader" -> "bootloader";
        case "ucode", "microcode" -> "microcode";
        case "tee", "snp", "fmc" -> keyValue[0].trim().toLowerCase(Locale.ROOT);
        default -> throw new IllegalArgumentException("TCB \"" + text + "\": unknown part \"" + keyValue[0].trim()
            + "\" (expected bootloader, tee, snp, microcode, fmc)");
      };
      int value;
      try {
        value = Integer.parseInt(keyValue[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("TCB \"" + text + "\": " + key + " must be a number 0-255");
      }
      if (parts.put(key, value) != null) {
        throw new IllegalArgumentException("TCB \"" + text + "\": " + key + " given twice");
      }
    }
    for (String required : new String[] {"bootloader", "tee", "snp", "microcode"}) {
      if (!parts.containsKey(required)) {
        throw new IllegalArgumentException("TCB \"" + text + "\": " + required + " missing");
      }
    }
    return new TcbVersion(parts.get("bootloader"), parts.get("tee"), parts.get("snp"), parts.get("microcode"),
        parts.getOrDefault("fmc", 0));
  }

  /** True when every level is at least {@code minimum}'s. */
  public boolean atLeast(TcbVersion minimum) {
    return bootloader >= minimum.bootloader && tee >= minimum.tee && snp >= minimum.snp
        && microcode >= minimum.microcode && fmc >= minimum.fmc;
  }

  /** {@code bootloader=2 tee=0 snp=5 microcode=68}, with {@code fmc=} when there is one. */
  @Override
  public String toString() {
    String levels = "bootloader=" + bootloader + " tee=" + tee + " snp=" + snp + " microcode=" + microcode;
    return fmc == 0 ? levels : "fmc=" + fmc + " " + levels;
  }

  private static void requireByte(String name, int value) {
    if (value < 0 || value > 255) {
      throw new IllegalArgumentException("TCB " + name + " must be 0-255, not " + value);
    }
  }
}
