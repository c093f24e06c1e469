package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * AMD SEV-SNP: an attestation report signed by the AMD secure processor with the chip's VCEK,
 * obtained through configfs-tsm, with the binding as REPORT_DATA. The measurement is the
 * report's MEASUREMENT, the launch digest of the guest.
 *
 * <p>Evidence: base64url of the canonical JSON
 * {@code {"format":"cmcp-snp-evidence-v1","report":<base64url report>,"certs":<base64url auxblob, or null>}};
 * the auxblob is the certificate table (VCEK, ASK, ARK) when the host supplies one.
 */
public final class SevSnpProvider implements AttestationProvider {

  public static final String EVIDENCE_FORMAT = "cmcp-snp-evidence-v1";
  public static final String ASSURANCE = "confidential-vm";

  static final String TSM_PROVIDER = "sev_guest";

  /** Offsets in the report of the SEV-SNP firmware ABI (ATTESTATION_REPORT, table 23 in revision 1.55). */
  static final int REPORT_BYTES = 0x4A0;
  static final int REPORT_DATA_OFFSET = 0x50;
  static final int MEASUREMENT_OFFSET = 0x90;
  static final int MEASUREMENT_BYTES = 48;

  private static final Path LEGACY_DEVICE = Path.of("/dev/sev-guest");

  private final ConfigfsTsm tsm;
  private final Clock clock;

  SevSnpProvider(ConfigfsTsm tsm, Clock clock) {
    this.tsm = tsm;
    this.clock = clock;
  }

  /** Why this machine offers no SEV-SNP reports; empty when it does. */
  static Optional<String> absence(ConfigfsTsm tsm) throws AttestationException {
    return tsm.absence(TSM_PROVIDER, LEGACY_DEVICE);
  }

  @Override
  public Platform platform() {
    return Platform.SEV_SNP;
  }

  @Override
  public String configName() {
    return "sev-snp";
  }

  @Override
  public RuntimeEvidence attest(Binding binding) throws AttestationException {
    ConfigfsTsm.Report answer = tsm.report(binding.bytes(), TSM_PROVIDER);
    byte[] report = answer.outblob();
    if (report.length != REPORT_BYTES) {
      throw new AttestationException("sev-snp: the report from " + tsm.root() + " has " + report.length
          + " bytes; an SEV-SNP attestation report has " + REPORT_BYTES);
    }
    ConfigfsTsm.warnUnlessBound("sev-snp", report, REPORT_DATA_OFFSET, binding);
    String measurement =
        HexFormat.of().formatHex(Arrays.copyOfRange(report, MEASUREMENT_OFFSET, MEASUREMENT_OFFSET + MEASUREMENT_BYTES));
    ObjectNode document = JsonNodeFactory.instance.objectNode();
    document.put("format", EVIDENCE_FORMAT);
    document.put("report", RuntimeEvidence.base64Url(report));
    answer.auxblob().ifPresentOrElse(
        certs -> document.put("certs", RuntimeEvidence.base64Url(certs)), () -> document.putNull("certs"));
    return RuntimeEvidence.of(Platform.SEV_SNP, ASSURANCE, measurement, document, clock.instant());
  }
}
