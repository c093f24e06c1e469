package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.JsonFields;
import java.util.Arrays;
import java.util.Set;

/**
 * AMD SEV-SNP evidence ({@code platform: sev-snp}): the guest's attestation report, signed by
 * the chip's VCEK, and the certificate table the host returned with it, if any.
 *
 * <p>The evidence is base64url of the canonical JSON
 * {@code {"format":"cmcp-snp-evidence-v1","report":<base64url 1184-byte report>,"certs":<base64url certificate table, or null>}}.
 *
 * @param report the 1184-byte ATTESTATION_REPORT
 * @param certificateTable the host's certificate table (VCEK, ASK, ARK), empty when the host sent none
 */
public record SnpEvidence(byte[] report, byte[] certificateTable) implements PlatformEvidence {

  public static final String FORMAT = "cmcp-snp-evidence-v1";
  public static final int REPORT_BYTES = 1184;

  private static final Set<String> FIELDS = Set.of("format", "report", "certs");

  public SnpEvidence {
    if (report.length != REPORT_BYTES) {
      throw new IllegalArgumentException("an SEV-SNP report has " + REPORT_BYTES + " bytes, not " + report.length);
    }
    report = report.clone();
    certificateTable = certificateTable.clone();
  }

  @Override
  public byte[] report() {
    return report.clone();
  }

  @Override
  public byte[] certificateTable() {
    return certificateTable.clone();
  }

  /** The report followed by the certificate table: raw evidence as the SEV-SNP verifier reads it. */
  public byte[] reportAndCertificates() {
    byte[] both = Arrays.copyOf(report, report.length + certificateTable.length);
    System.arraycopy(certificateTable, 0, both, report.length, certificateTable.length);
    return both;
  }

  /** Decodes {@code trace.runtime.evidence} of an SEV-SNP claim. */
  public static SnpEvidence decode(String evidence) throws ClaimException {
    JsonFields<ClaimException> fields = EvidenceDocument.exactly(EvidenceDocument.decode(evidence, Platform.SEV_SNP, FORMAT), FIELDS);
    byte[] report = Base64Url.decode(fields.text("report"), REPORT_BYTES, ClaimException.at(fields.path("report")));
    byte[] table = fields.isNull("certs") ? new byte[0] : Base64Url.decode(fields.text("certs"), ClaimException.at(fields.path("certs")));
    return new SnpEvidence(report, table);
  }
}
