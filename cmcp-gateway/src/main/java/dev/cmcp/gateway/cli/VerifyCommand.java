package dev.cmcp.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.cli.VerifyCli;
import dev.cmcp.verify.collateral.CollateralFetcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cmcp verify}: the offline verifier, from the cmcp-verify library auditors can also embed. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Verify a TRACE claim offline: signature, evidence, binding, hashes, freshness, audit chain.",
        "Exit 0 verified (every check passed on hardware evidence, with the expected bundle hash and measurement given"
            + " or their absence accepted), 3 partially_verified (nothing failed, something not established: never success),"
            + " 1 unverified, 2 bad options."})
final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--claim", paramLabel = "FILE", description = "the claim JSON")
  Path claim;

  @Option(names = "--claims", paramLabel = "DIR",
      description = "every claim under DIR (DIR/*.json and each claims/*.json below it), e.g. the audit folders of several"
          + " replicas side by side; each is"
          + " checked against its epoch's audit-<epoch>.jsonl found beside its claims folder, and the results are summed up;"
          + " the exit code is the worst one")
  Path claims;

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
  public Integer call() throws IOException {
    if ((claim == null) == (claims == null)) {
      System.err.println("cmcp verify: give --claim FILE or --claims DIR (one of them)");
      return VerifyCli.USAGE;
    }
    if (claims != null) {
      return verifyAll();
    }
    return verify(claim, auditLog);
  }

  /** Each claim under {@link #claims} in turn, full report each, then one line per claim. */
  private int verifyAll() throws IOException {
    if (auditLog.isPresent() || auditDir.isPresent()) {
      System.err.println("cmcp verify: --claims finds each claim's audit log itself; leave out --audit-log and --audit-dir");
      return VerifyCli.USAGE;
    }
    List<Path> files;
    try (Stream<Path> found = Files.walk(claims, 4)) {
      // DIR/*.json and every claims/*.json below it (a gateway writes claims to audit_dir/claims):
      // other JSON files beside them (a catalog) are not claims.
      files = found.filter(file -> file.getFileName().toString().endsWith(".json") && Files.isRegularFile(file))
          .filter(file -> file.getParent().equals(claims) || file.getParent().getFileName().toString().equals("claims"))
          .sorted().toList();
    }
    if (files.isEmpty()) {
      System.err.println("cmcp verify: no claim (*.json) under " + claims);
      return VerifyCli.FAILED;
    }
    Map<Path, Integer> results = new TreeMap<>();
    for (Path file : files) {
      System.out.println("== " + file);
      results.put(file, verify(file, logOf(file)));
    }
    System.out.println("== " + files.size() + " claims");
    results.forEach((file, exit) -> System.out.println(word(exit) + " " + file));
    if (results.containsValue(VerifyCli.FAILED) || results.containsValue(VerifyCli.USAGE)) {
      return VerifyCli.FAILED;
    }
    return results.containsValue(VerifyCli.PARTIAL) ? VerifyCli.PARTIAL : VerifyCli.OK;
  }

  private static String word(int exit) {
    return switch (exit) {
      case VerifyCli.OK -> "verified          ";
      case VerifyCli.PARTIAL -> "partially_verified";
      default -> "unverified        ";
    };
  }

  /** A gateway writes claims to audit_dir/claims: the epoch's log is audit_dir/audit-<epoch>.jsonl. */
  private static Optional<Path> logOf(Path claimFile) {
    try {
      JsonNode claim = new StrictJson().parse(Files.readAllBytes(claimFile));
      String epoch = claim.path("gateway").path("audit_chain").path("epoch").asText();
      Path folder = claimFile.toAbsolutePath().getParent();
      for (Path dir : folder.getParent() == null ? List.of(folder) : List.of(folder, folder.getParent())) {
        Path log = dir.resolve("audit-" + epoch + ".jsonl");
        if (!epoch.isEmpty() && Files.isRegularFile(log)) {
          return Optional.of(log);
        }
      }
    } catch (IOException | StrictJson.MalformedJsonException e) {
      // The claim's own verification reports what is wrong with it.
    }
    return Optional.empty();
  }

  private Integer verify(Path claimFile, Optional<Path> log) {
    CollateralFetcher fetcher;
    try {
      fetcher = collateral.fetcher();
    } catch (IllegalArgumentException e) {
      System.err.println("cmcp verify: " + e.getMessage());
      return VerifyCli.USAGE;
    }
    return VerifyCli.run(
        new VerifyCli.Arguments(claimFile, expectedBundleHash, expectedMeasurement, log, certs, allowSoftware,
            acceptAnyBundle, acceptAnyMeasurement, now, json, minTcb, acceptTcbStatus, auditDir, tpmAkCa, tpmEkRoots,
            fetcher),
        System.out, System.err);
  }
}
