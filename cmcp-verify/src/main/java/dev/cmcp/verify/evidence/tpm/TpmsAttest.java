package dev.cmcp.verify.evidence.tpm;

import java.util.ArrayList;
import java.util.List;

/**
 * A TPMS_ATTEST structure of type TPM_ST_ATTEST_QUOTE: what the TPM signs when it quotes PCRs
 * (TPM 2.0 Library, Part 2, sections 10.12.8 and 10.12.12).
 *
 * @param qualifiedSigner the TPM2B_NAME of the signing key's qualified name (hierarchy-dependent)
 * @param extraData the caller's qualifying data, echoed by the TPM
 * @param resetCount TPM resets since the last TPM2_Clear (a reboot increments it)
 * @param safe the TPM's clock has not gone backwards since it was last reported
 * @param pcrSelection the PCRs quoted, in the order their values enter {@code pcrDigest}
 * @param pcrDigest the digest of the selected PCR values, with the signing scheme's hash
 */
record TpmsAttest(
    byte[] qualifiedSigner,
    byte[] extraData,
    long clock,
    long resetCount,
    long restartCount,
    boolean safe,
    long firmwareVersion,
    List<PcrBank> pcrSelection,
    byte[] pcrDigest) {

  /** TPM_GENERATED_VALUE: "\xffTCG"; a restricted signing key never signs data that begins with it. */
  static final long TPM_GENERATED_VALUE = 0xFF544347L;
  static final int TPM_ST_ATTEST_QUOTE = 0x8018;

  /** One TPMS_PCR_SELECTION: a bank and its selected PCR indexes in ascending order. */
  record PcrBank(TpmHash hash, List<Integer> indexes) {
    PcrBank {
      indexes = List.copyOf(indexes);
    }
  }

  // Bounds from the reference implementation's limits: a TPMU_NAME is at most a 2-byte
  // algorithm and a SHA-512 digest; TPM2B_DATA holds a TPMT_HA; HASH_COUNT and the PCR select
  // size are small for any real TPM, and generous here.
  private static final int MAX_NAME = 2 + 64;
  private static final int MAX_DATA = 2 + 64;
  private static final int MAX_BANKS = 16;
  private static final int MAX_SELECT_BYTES = 8;

  TpmsAttest {
    pcrSelection = List.copyOf(pcrSelection);
  }

  static TpmsAttest parse(byte[] bytes) throws TpmFormatException {
    TpmReader in = new TpmReader("TPMS_ATTEST", bytes);
    long magic = in.u32("magic");
    if (magic != TPM_GENERATED_VALUE) {
      throw in.invalid(String.format("magic is 0x%08x, not TPM_GENERATED_VALUE 0xff544347", magic));
    }
    int type = in.u16("type");
    if (type != TPM_ST_ATTEST_QUOTE) {
      throw in.invalid(String.format("type is 0x%04x, not TPM_ST_ATTEST_QUOTE 0x8018", type));
    }
    byte[] qualifiedSigner = in.sized("qualifiedSigner", MAX_NAME);
    byte[] extraData = in.sized("extraData", MAX_DATA);
    long clock = in.u64("clockInfo.clock");
    long resetCount = in.u32("clockInfo.resetCount");
    long restartCount = in.u32("clockInfo.restartCount");
    int safe = in.u8("clockInfo.safe");
    if (safe > 1) {
      throw in.invalid("clockInfo.safe is " + safe + ", not YES (1) or NO (0)");
    }
    long firmwareVersion = in.u64("firmwareVersion");
    List<PcrBank> selection = pcrSelection(in);
    byte[] pcrDigest = in.sized("pcrDigest", 64);
    in.end();
    return new TpmsAttest(qualifiedSigner, extraData, clock, resetCount, restartCount, safe == 1,
        firmwareVersion, selection, pcrDigest);
  }

  /** TPML_PCR_SELECTION: a count, then per bank a hash, a select size and a bit map (bit n of byte n/8 = PCR n). */
  private static List<PcrBank> pcrSelection(TpmReader in) throws TpmFormatException {
    long count = in.u32("pcrSelect.count");
    if (count > MAX_BANKS) {
      throw in.invalid("pcrSelect.count is " + count + ", more than " + MAX_BANKS + " banks");
    }
    List<PcrBank> banks = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      int algorithm = in.u16("pcrSelect.hash");
      TpmHash hash = TpmHash.byId(algorithm)
          .orElseThrow(() -> in.invalid("PCR bank hash " + TpmHash.hexId(algorithm) + " is not one of sha1, sha256, sha384, sha512"));
      if (banks.stream().anyMatch(bank -> bank.hash() == hash)) {
        throw in.invalid("PCR bank " + hash.bankName + " is selected twice");
      }
      int selectBytes = in.u8("pcrSelect.sizeofSelect");
      if (selectBytes > MAX_SELECT_BYTES) {
        throw in.invalid("pcrSelect.sizeofSelect is " + selectBytes + ", more than " + MAX_SELECT_BYTES);
      }
      byte[] bitmap = in.bytes(selectBytes, "pcrSelect.pcrSelect");
      List<Integer> indexes = new ArrayList<>();
      for (int pcr = 0; pcr < selectBytes * 8; pcr++) {
        if ((bitmap[pcr / 8] & (1 << (pcr % 8))) != 0) {
          indexes.add(pcr);
        }
      }
      banks.add(new PcrBank(hash, indexes));
    }
    return banks;
  }
}
