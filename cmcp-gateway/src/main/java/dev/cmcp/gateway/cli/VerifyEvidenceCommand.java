package dev.cmcp.gateway.cli;

import dev.cmcp.verify.cli.VerifyCli;
import dev.cmcp.verify.cli.VerifyEvidenceCli;
import dev.cmcp.verify.collateral.CollateralFetcher;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cmcp verify-evidence}: checks a raw SEV-SNP report, TDX quote or TPM quote on its own, from the cmcp-verify library. */
@Command(name = "verify-evidence", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Verify raw platform evidence offline (an SEV-SNP report, a TDX quote, a TPM quote), check by named check.")
final class VerifyEvidenceCommand implements Callable<Integer> {

  @Option(names = "--platform", required = true, paramLabel = "sev-snp|tdx|tpm", description = "the platform that produced the evidence")
  String platform;

  @Option(names = "--evidence", required = true, paramLabel = "FILE",
      description = "the raw report (SEV-SNP, optionally followed by the host's certificate table) or quote (TDX); "
          + "for TPM the cmcp-tpm-evidence-v1 JSON, or its base64url as in a claim")
  Path evidence;

  @Option(names = "--certs", paramLabel = "DIR",
      description = "vendor roots and intermediates, the VCEK, CRLs and TDX collateral, as PEM, DER or JSON files in any mix;"
          + " required unless --fetch-collateral (TDX: Intel's root must be here even then)")
  Optional<Path> certs;

  @Option(names = "--report-data", paramLabel = "HEX",
      description = "the 64 bytes (128 hex digits) the evidence's user data must hold (TPM: the binding, whose SHA-256 the quote must carry)")
  Optional<String> reportData;

  @Option(names = "--expected-measurement", paramLabel = "HEX",
      description = "the expected SEV-SNP MEASUREMENT or TDX MRTD (96 hex digits), or TPM PCR digest (64, 96 or 128)")
  Optional<String> expectedMeasurement;

  @Option(names = "--now", paramLabel = "ISO-8601", description = "judge certificates and CRLs at this instant, e.g. 2025-01-01T00:00:00Z")
  Optional<Instant> now;

  @Option(names = "--min-tcb", paramLabel = "TCB",
      description = "SEV-SNP: the lowest REPORTED_TCB accepted, e.g. bootloader=3,tee=0,snp=8,microcode=115 (fmc= on Turin)")
  Optional<String> minTcb;

  @Option(names = "--accept-tcb-status", paramLabel = "STATUS[,STATUS]",
      description = "TDX: TCB statuses accepted besides UpToDate when TCB info is given, e.g. SWHardeningNeeded (never Revoked)")
  Optional<String> acceptTcbStatus;

  @Option(names = "--tpm-ak-ca", paramLabel = "FILE",
      description = "TPM: PEM of the enrollment CA that signed AK certificates (cmcp tpm enroll); with --tpm-ek-roots")
  Optional<Path> tpmAkCa;

  @Option(names = "--tpm-ek-roots", paramLabel = "FILE",
      description = "TPM: PEM of the TPM manufacturers' EK root (and intermediate) certificates; with --tpm-ak-ca")
  Optional<Path> tpmEkRoots;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Mixin
  CollateralOptions collateral;

  @Override
  public Integer call() {
    CollateralFetcher fetcher;
    try {
      fetcher = collateral.fetcher();
    } catch (IllegalArgumentException e) {
      System.err.println("cmcp verify-evidence: " + e.getMessage());
      return VerifyCli.USAGE;
    }
    return VerifyEvidenceCli.run(
        new VerifyEvidenceCli.Arguments(platform, evidence, certs, reportData, expectedMeasurement, now, json, minTcb,
            acceptTcbStatus, fetcher, tpmAkCa, tpmEkRoots),
        System.out, System.err);
  }
}
