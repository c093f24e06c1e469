package dev.cmcp.gateway.cli;

import dev.cmcp.verify.cli.VerifyCli;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmcp verify}: the offline verifier, from the cmcp-verify library auditors can also embed. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Verify a TRACE claim offline: signature, evidence, binding, hashes, freshness, audit chain.",
        "Exit 0 verified (every check passed on hardware evidence, with the expected bundle hash and measurement given"
            + " or their absence accepted), 3 partially_verified (nothing failed, something not established: never success),"
            + " 1 unverified, 2 bad options."})
final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--claim", required = true, paramLabel = "FILE", description = "the claim JSON")
  Path claim;

  @Option(names = "--expected-bundle-hash", paramLabel = "sha256:HEX", description = "the approved policy bundle hash")
  Optional<String> expectedBundleHash;

  @Option(names = "--expected-measurement", paramLabel = "HEX", description = "the expected platform measurement")
  Optional<String> expectedMeasurement;

  @Option(names = "--audit-log", paramLabel = "FILE", description = "the epoch's audit log: replay every entry and link")
  Optional<Path> auditLog;

  @Option(names = "--audit-dir", paramLabel = "DIR",
      description = "the audit folder instead of --audit-log: replay every epoch, follow the links between them, compare the claim's epoch")
  Optional<Path> auditDir;

  @Option(names = "--certs", paramLabel = "DIR",
      description = "certificates, CRLs and collateral for hardware evidence (AMD ASK/ARK and VCEK; Intel SGX Root CA, TCB info, QE identity)")
  Optional<Path> certs;

  @Option(names = "--allow-software",
      description = "accept evidence without an offline root of trust (software, opaque, a TPM quote whose AK is not certified)"
          + " as partially_verified (exit 3) rather than refuse it (exit 1); never verified")
  boolean allowSoftware;

  @Option(names = "--accept-any-bundle",
      description = "verified without --expected-bundle-hash: any policy bundle is accepted (printed as an accepted risk)")
  boolean acceptAnyBundle;

  @Option(names = "--accept-any-measurement",
      description = "verified without --expected-measurement: any code in a genuine TEE is accepted (printed as an accepted risk)")
  boolean acceptAnyMeasurement;

  @Option(names = "--now", paramLabel = "ISO-8601",
      description = "judge freshness, certificates and CRLs at this instant, e.g. 2026-11-25T10:00:00Z")
  Optional<Instant> now;

  @Option(names = "--min-tcb", paramLabel = "TCB",
      description = "SEV-SNP: the lowest REPORTED_TCB accepted, e.g. bootloader=3,tee=0,snp=8,microcode=115 (fmc= on Turin)")
  Optional<String> minTcb;

  @Option(names = "--accept-tcb-status", paramLabel = "STATUS[,STATUS]",
      description = "TDX: TCB statuses accepted besides UpToDate when TCB info is given, e.g. SWHardeningNeeded (never Revoked)")
  Optional<String> acceptTcbStatus;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Override
  public Integer call() {
    return VerifyCli.run(
        new VerifyCli.Arguments(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware,
            acceptAnyBundle, acceptAnyMeasurement, now, json, minTcb, acceptTcbStatus, auditDir),
        System.out, System.err);
  }
}
