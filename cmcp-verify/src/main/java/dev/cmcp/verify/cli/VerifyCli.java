package dev.cmcp.verify.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.AcceptedRisk;
import dev.cmcp.verify.claim.ClaimException;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.SnpEvidence;
import dev.cmcp.verify.claim.TdxEvidence;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import dev.cmcp.verify.collateral.CollateralException;
import dev.cmcp.verify.collateral.CollateralFetcher;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import dev.cmcp.verify.evidence.snp.TcbVersion;
import dev.cmcp.verify.evidence.tdx.TcbStatus;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The logic of {@code cmcp verify}, free of any command-line library: the gateway's command
 * parses the options into {@link Arguments} and returns {@link #run}'s exit code.
 *
 * <p>Exit codes: 0 {@code verified} and nothing else; 1 a check failed or the claim file cannot
 * be read; 2 an option value is malformed; 3 {@code partially_verified}: no check failed, but
 * something is not established (see {@link VerificationReport#notEstablished}). A script that
 * treats only 0 as success therefore never accepts a claim the report calls partial, such as
 * one signed by any key with software evidence.
 */
public final class VerifyCli {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int PARTIAL = 3;

  /** Claim files are small; a larger file is not a claim and is not read into memory. */
  static final int MAX_CLAIM_BYTES = 16 * 1024 * 1024;

  /**
   * The options of {@code cmcp verify}.
   *
   * @param certs {@code --certs}: the folder of certificates, CRLs and collateral that hardware evidence is checked with
   * @param allowSoftware {@code --allow-software}: accept evidence without an offline root of trust (software, opaque,
   *     TPM with an uncertified AK) as {@code partially_verified} rather than refuse it
   * @param acceptAnyBundle {@code --accept-any-bundle}: no expected bundle hash, and that is intended
   * @param acceptAnyMeasurement {@code --accept-any-measurement}: no expected measurement, and that is intended
   * @param now {@code --now}: judge freshness at this time instead of the clock
   * @param json {@code --json}: print the report as JSON instead of one line per check
   * @param minTcb {@code --min-tcb}: the lowest SEV-SNP REPORTED_TCB accepted, {@code bootloader=3,tee=0,snp=8,microcode=115}
   * @param acceptTcbStatus {@code --accept-tcb-status}: TDX TCB statuses accepted besides UpToDate, comma-separated
   * @param auditDir {@code --audit-dir}: the audit folder, every epoch replayed and linked, the claim's compared
   * @param tpmAkCa {@code --tpm-ak-ca}: PEM of the enrollment CA that signs AK certificates ({@code cmcp tpm enroll})
   * @param tpmEkRoots {@code --tpm-ek-roots}: PEM of the TPM manufacturers' EK roots and intermediates; with
   *     {@code tpmAkCa} (both or neither) an enrolled TPM's claim can be {@code verified}
   * @param collateral {@code --fetch-collateral}: where SEV-SNP and TDX collateral comes from besides {@code certs};
   *     {@link CollateralFetcher#offline()} unless asked
   */
  public record Arguments(
      Path claim,
      Optional<String> expectedBundleHash,
      Optional<String> expectedMeasurement,
      Optional<Path> auditLog,
      Optional<Path> certs,
      boolean allowSoftware,
      boolean acceptAnyBundle,
      boolean acceptAnyMeasurement,
      Optional<Instant> now,
      boolean json,
      Optional<String> minTcb,
      Optional<String> acceptTcbStatus,
      Optional<Path> auditDir,
      Optional<Path> tpmAkCa,
      Optional<Path> tpmEkRoots,
      CollateralFetcher collateral) {

    /** Offline: collateral only from {@code certs}. */
    public Arguments(
        Path claim, Optional<String> expectedBundleHash, Optional<String> expectedMeasurement, Optional<Path> auditLog,
        Optional<Path> certs, boolean allowSoftware, boolean acceptAnyBundle, boolean acceptAnyMeasurement,
        Optional<Instant> now, boolean json, Optional<String> minTcb, Optional<String> acceptTcbStatus,
        Optional<Path> auditDir, Optional<Path> tpmAkCa, Optional<Path> tpmEkRoots) {
      this(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware, acceptAnyBundle,
          acceptAnyMeasurement, now, json, minTcb, acceptTcbStatus, auditDir, tpmAkCa, tpmEkRoots,
          CollateralFetcher.offline());
    }

    /** Without TPM anchors. */
    public Arguments(
        Path claim, Optional<String> expectedBundleHash, Optional<String> expectedMeasurement, Optional<Path> auditLog,
        Optional<Path> certs, boolean allowSoftware, boolean acceptAnyBundle, boolean acceptAnyMeasurement,
        Optional<Instant> now, boolean json, Optional<String> minTcb, Optional<String> acceptTcbStatus,
        Optional<Path> auditDir) {
      this(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware, acceptAnyBundle,
          acceptAnyMeasurement, now, json, minTcb, acceptTcbStatus, auditDir, Optional.empty(), Optional.empty());
    }

    /** Without an audit folder. */
    public Arguments(
        Path claim, Optional<String> expectedBundleHash, Optional<String> expectedMeasurement, Optional<Path> auditLog,
        Optional<Path> certs, boolean allowSoftware, boolean acceptAnyBundle, boolean acceptAnyMeasurement,
        Optional<Instant> now, boolean json, Optional<String> minTcb, Optional<String> acceptTcbStatus) {
      this(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware, acceptAnyBundle,
          acceptAnyMeasurement, now, json, minTcb, acceptTcbStatus, Optional.empty());
    }

    /** Without a minimum SEV-SNP TCB or extra TDX TCB statuses. */
    public Arguments(
        Path claim, Optional<String> expectedBundleHash, Optional<String> expectedMeasurement, Optional<Path> auditLog,
        Optional<Path> certs, boolean allowSoftware, boolean acceptAnyBundle, boolean acceptAnyMeasurement,
        Optional<Instant> now, boolean json) {
      this(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware, acceptAnyBundle,
          acceptAnyMeasurement, now, json, Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  private VerifyCli() {}

  public static int run(Arguments arguments, PrintStream out, PrintStream err) {
    VerificationOptions options;
    try {
      options = options(arguments);
    } catch (IllegalArgumentException | TrustStoreException e) {
      err.println("cmcp verify: " + e.getMessage());
      return USAGE;
    }
    byte[] claim;
    try {
      claim = BoundedRead.read(arguments.claim(), MAX_CLAIM_BYTES, "a claim");
    } catch (BoundedRead.TooLargeException e) {
      err.println("cmcp verify: " + e.getMessage());
      return FAILED;
    } catch (NoSuchFileException e) {
      err.println("cmcp verify: claim file " + arguments.claim() + " not found");
      return FAILED;
    } catch (IOException e) {
      err.println("cmcp verify: cannot read claim file " + arguments.claim() + ": " + e.getMessage());
      return FAILED;
    }
    try {
      CollateralFetcher.Fetched fetched = fetch(arguments.collateral(), claim, options.now());
      fetched.notes().forEach(note -> err.println("cmcp verify: collateral: " + note));
      options = options.withTrustStore(options.trustStore().plus(fetched.store()));
    } catch (CollateralException e) {
      err.println("cmcp verify: " + e.getMessage());
      return FAILED;
    }
    VerificationReport report = ClaimVerifier.verify(claim, options);
    out.print(arguments.json() ? json(report.toJson()) : report.toText());
    out.flush();
    return report.exitCode();
  }

  /**
   * The collateral for the claim's SEV-SNP report or TDX quote. The claim is only looked into
   * here to learn what to ask for; a claim that cannot be read, or evidence of another platform,
   * fetches nothing and is judged by {@link ClaimVerifier} as usual.
   */
  private static CollateralFetcher.Fetched fetch(CollateralFetcher collateral, byte[] claim, Instant now)
      throws CollateralException {
    if (collateral instanceof CollateralFetcher.Offline) {
      return CollateralFetcher.Fetched.nothing();
    }
    JsonNode runtime;
    try {
      runtime = new StrictJson().parse(claim).path("trace").path("runtime");
    } catch (StrictJson.MalformedJsonException e) {
      return CollateralFetcher.Fetched.nothing();
    }
    String evidence = runtime.path("evidence").asText();
    try {
      return switch (runtime.path("platform").asText()) {
        case "sev-snp" -> collateral.forSnp(SnpEvidence.decode(evidence).reportAndCertificates(), now);
        case "tdx" -> collateral.forTdx(TdxEvidence.decode(evidence).quote(), now);
        default -> CollateralFetcher.Fetched.nothing();
      };
    } catch (ClaimException e) {
      return CollateralFetcher.Fetched.nothing();
    }
  }

  private static VerificationOptions options(Arguments arguments) throws TrustStoreException {
    EvidencePolicy evidence = arguments.allowSoftware() ? EvidencePolicy.ALLOW_SOFTWARE : EvidencePolicy.HARDWARE_ONLY;
    VerificationOptions options = VerificationOptions.of(evidence, arguments.now().orElseGet(Instant::now));
    if (arguments.expectedBundleHash().isPresent()) {
      options = options.withExpectedBundleHash(arguments.expectedBundleHash().get());
    }
    if (arguments.expectedMeasurement().isPresent()) {
      options = options.withExpectedMeasurement(arguments.expectedMeasurement().get());
    }
    if (arguments.auditLog().isPresent()) {
      options = options.withAuditLog(arguments.auditLog().get());
    }
    if (arguments.auditDir().isPresent()) {
      options = options.withAuditDir(arguments.auditDir().get());
    }
    if (arguments.minTcb().isPresent()) {
      options = options.withSnpPolicy(options.snpPolicy().withMinimumTcb(TcbVersion.parse(arguments.minTcb().get())));
    }
    if (arguments.acceptTcbStatus().isPresent()) {
      options = options.withTdxPolicy(options.tdxPolicy().withAcceptedTcbStatuses(TcbStatus.acceptedFrom(arguments.acceptTcbStatus().get())));
    }
    if (arguments.acceptAnyBundle()) {
      options = options.accepting(AcceptedRisk.ANY_BUNDLE);
    }
    if (arguments.acceptAnyMeasurement()) {
      options = options.accepting(AcceptedRisk.ANY_MEASUREMENT);
    }
    if (arguments.certs().isPresent()) {
      options = options.withTrustStore(TrustStore.load(arguments.certs().get()));
    }
    if (TpmTrust.fromOptions(arguments.tpmAkCa(), arguments.tpmEkRoots()) instanceof TpmTrust.Anchors anchors) {
      options = options.withTpmTrust(anchors);
    }
    return options;
  }

  static String json(JsonNode report) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a report tree always serialises", e);
    }
  }
}
