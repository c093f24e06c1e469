package dev.cmcp.verify.evidence.snp;

import java.util.Optional;

/**
 * What AMD's Key Distribution Service needs to serve the certificates of one SEV-SNP report:
 * which key signed it, the chip, the product line where the report names it, and the TCB the
 * key was derived for. Read from the report's unsigned fields: nothing here is trusted, it only
 * chooses what to ask for; the verifier then checks what came back as it checks laid-out files.
 *
 * @param vlek the report was signed with the cloud provider's VLEK rather than the chip's VCEK
 * @param product the product line from CPUID (report version 3 and later); empty for version 2
 * @param chipId CHIP_ID, 64 bytes
 * @param reportedTcb REPORTED_TCB as the raw little-endian TCB_VERSION, whose layout depends on the product line
 */
public record KdsIdentity(boolean vlek, Optional<SnpProduct> product, byte[] chipId, long reportedTcb) {

  public KdsIdentity {
    chipId = chipId.clone();
  }

  @Override
  public byte[] chipId() {
    return chipId.clone();
  }

  /**
   * Reads the report at the start of {@code evidence}.
   *
   * @throws IllegalArgumentException naming what is wrong when it is not an SEV-SNP report this verifier reads
   */
  public static KdsIdentity of(byte[] evidence) {
    SnpReport report;
    try {
      report = SnpReport.parse(evidence);
    } catch (SnpProblem e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    Optional<SnpProduct> product = report.cpuid().flatMap(fms -> SnpProduct.fromCpuid(fms[0], fms[1]));
    return new KdsIdentity(report.signingKey() == SnpReport.SIGNING_KEY_VLEK, product, report.chipId(),
        report.reportedTcb());
  }

  /** REPORTED_TCB split into its levels as {@code line} lays them out. */
  public TcbVersion reportedTcb(SnpProduct line) {
    return line.tcb(reportedTcb);
  }
}
