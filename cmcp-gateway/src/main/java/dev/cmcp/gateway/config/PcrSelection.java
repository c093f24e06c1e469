package dev.cmcp.gateway.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The PCRs a TPM quote covers ({@code attestation.pcr_selection}), written as tpm2-tools writes
 * it: {@code sha256:0,1,2,3,4,5,6,7}.
 *
 * @param bank the hash algorithm of the PCR bank
 * @param pcrs PCR indexes, ascending, without repeats
 */
public record PcrSelection(String bank, List<Integer> pcrs) {

  public static final Set<String> BANKS = Set.of("sha1", "sha256", "sha384", "sha512");

  /** Firmware, boot loader and boot configuration: what a measured boot records. */
  public static final PcrSelection DEFAULT = parse("sha256:0,1,2,3,4,5,6,7");

  /** A PC client TPM has 24 PCRs. */
  private static final int PCR_COUNT = 24;

  public PcrSelection {
    pcrs = List.copyOf(pcrs);
  }

  /**
   * Reads {@code bank:n,n,...}.
   *
   * @throws IllegalArgumentException saying what to write instead
   */
  public static PcrSelection parse(String text) {
    String example = "; write a bank and PCR numbers like sha256:0,1,2,3,4,5,6,7";
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("\"" + text + "\" names no PCR bank" + example);
    }
    String bank = text.substring(0, colon);
    if (!BANKS.contains(bank)) {
      throw new IllegalArgumentException("\"" + bank + "\" is not a PCR bank; use one of "
          + String.join(", ", new TreeSet<>(BANKS)));
    }
    TreeSet<Integer> pcrs = new TreeSet<>();
    for (String number : text.substring(colon + 1).split(",", -1)) {
      String trimmed = number.strip();
      if (!trimmed.matches("\\d{1,2}") || Integer.parseInt(trimmed) >= PCR_COUNT) {
        throw new IllegalArgumentException("\"" + trimmed + "\" is not a PCR number (0-" + (PCR_COUNT - 1) + ")" + example);
      }
      if (!pcrs.add(Integer.parseInt(trimmed))) {
        throw new IllegalArgumentException("PCR " + trimmed + " is listed twice");
      }
    }
    return new PcrSelection(bank, new ArrayList<>(pcrs));
  }

  /** The tpm2-tools spelling, {@code sha256:0,1,2}. */
  @Override
  public String toString() {
    return bank + ":" + pcrs.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
