package dev.cmcp.gateway.attest.tpm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The PCRs a quote covers, bank by bank, in the order their values enter the quote's digest.
 *
 * @param banks at least one bank; no bank twice
 */
public record PcrSelection(List<Bank> banks) {

  /** Digest sizes of the banks a quote may cover. */
  static final Map<String, Integer> DIGEST_SIZES = Map.of("sha1", 20, "sha256", 32, "sha384", 48, "sha512", 64);

  /** PC Client TPMs have 24 PCRs. */
  static final int PCR_COUNT = 24;

  // After the constants above: parse needs them while this class initialises.
  /** The firmware, boot loader and Secure Boot state of a PC Client platform. */
  public static final PcrSelection DEFAULT = parse("sha256:0,1,2,3,4,5,6,7");

  /**
   * @param algorithm {@code sha1}, {@code sha256}, {@code sha384} or {@code sha512}
   * @param indexes distinct PCR indexes in ascending order, as the TPM orders them
   */
  public record Bank(String algorithm, List<Integer> indexes) {
    public Bank {
      if (!DIGEST_SIZES.containsKey(algorithm)) {
        throw new IllegalArgumentException("PCR bank \"" + algorithm + "\" is not one of sha1, sha256, sha384, sha512");
      }
      indexes = List.copyOf(indexes);
      if (indexes.isEmpty()) {
        throw new IllegalArgumentException("PCR bank " + algorithm + " selects no PCR");
      }
      for (int i = 0; i < indexes.size(); i++) {
        int index = indexes.get(i);
        if (index < 0 || index >= PCR_COUNT) {
          throw new IllegalArgumentException("PCR " + algorithm + ":" + index + " is outside 0-" + (PCR_COUNT - 1));
        }
        if (i > 0 && index <= indexes.get(i - 1)) {
          throw new IllegalArgumentException("PCR bank " + algorithm + ": indexes must be distinct and ascending, not " + indexes);
        }
      }
    }

    int digestSize() {
      return DIGEST_SIZES.get(algorithm);
    }
  }

  public PcrSelection {
    banks = List.copyOf(banks);
    if (banks.isEmpty()) {
      throw new IllegalArgumentException("a PCR selection needs at least one bank");
    }
    if (banks.stream().map(Bank::algorithm).distinct().count() != banks.size()) {
      throw new IllegalArgumentException("a PCR selection names a bank twice: " + banks);
    }
  }

  /**
   * Reads tpm2-tools' notation: banks joined by {@code +}, each {@code <bank>:<list>}, the list of
   * indexes and ranges separated by commas, e.g. {@code sha256:0-7} or {@code sha256:0,2,4+sha1:0}.
   *
   * @throws IllegalArgumentException with a message for the user
   */
  public static PcrSelection parse(String text) {
    List<Bank> banks = new ArrayList<>();
    for (String part : text.strip().split("\\+", -1)) {
      int colon = part.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("PCR selection \"" + text + "\": \"" + part + "\" is not <bank>:<pcrs>, e.g. sha256:0-7");
      }
      Set<Integer> indexes = new TreeSet<>();
      for (String item : part.substring(colon + 1).split(",", -1)) {
        String[] range = item.strip().split("-", -1);
        if (range.length > 2 || !range[0].matches("[0-9]{1,2}") || (range.length == 2 && !range[1].matches("[0-9]{1,2}"))) {
          throw new IllegalArgumentException("PCR selection \"" + text + "\": \"" + item + "\" is not a PCR index or range");
        }
        int from = Integer.parseInt(range[0]);
        int to = range.length == 2 ? Integer.parseInt(range[1]) : from;
        if (to < from) {
          throw new IllegalArgumentException("PCR selection \"" + text + "\": range " + item + " runs backwards");
        }
        for (int pcr = from; pcr <= to; pcr++) {
          if (!indexes.add(pcr)) {
            throw new IllegalArgumentException("PCR selection \"" + text + "\": PCR " + pcr + " is listed twice");
          }
        }
      }
      banks.add(new Bank(part.substring(0, colon).strip(), new ArrayList<>(indexes)));
    }
    return new PcrSelection(banks);
  }

  /** tpm2-tools' notation, e.g. {@code sha256:0,1,2,3,4,5,6,7}. */
  @Override
  public String toString() {
    return banks.stream()
        .map(b -> b.algorithm() + ":" + b.indexes().stream().map(String::valueOf).collect(Collectors.joining(",")))
        .collect(Collectors.joining("+"));
  }
}
