package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.snp.SnpPolicy;
import dev.cmcp.verify.evidence.tdx.TdxPolicy;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an auditor expects of a claim. Start from {@link #of} and add expectations; each one
 * given turns a skipped check into a requested one.
 *
 * @param now the time freshness, certificates and CRLs are judged at (the clock, or a time under audit)
 * @param trustStore the certificates folder: vendor roots and intermediates, the platform's own
 *     certificate, CRLs, and TDX collateral (TCB info, QE identity); empty by default
 * @param snpPolicy what an SEV-SNP guest must show beyond a genuine report (default: debug guests refused)
 * @param tdxPolicy what a TDX guest must show beyond a genuine quote (default: debug TDs refused, only an
 *     UpToDate TCB accepted when TCB info is supplied)
 * @param auditDir the audit folder whose epochs are all replayed and linked (instead of one {@code auditLog} file)
 * @param acceptedRisks expectations the auditor explicitly does not give; without an expectation
 *     or its accepted risk, a claim is at most {@code partially_verified}
 * @param tpmTrust the enrollment CA and TPM manufacturer roots a TPM quote's AK is checked with
 *     ({@code ak_trust}); without them a TPM claim is at most {@code partially_verified}
 */
public record VerificationOptions(
    EvidencePolicy evidencePolicy,
    Instant now,
    Optional<String> expectedBundleHash,
    Optional<String> expectedMeasurement,
    Optional<Path> auditLog,
    TrustStore trustStore,
    SnpPolicy snpPolicy,
    TdxPolicy tdxPolicy,
    Set<AcceptedRisk> acceptedRisks,
    Optional<Path> auditDir,
    TpmTrust tpmTrust) {

  public VerificationOptions {
    Objects.requireNonNull(evidencePolicy, "evidencePolicy");
    Objects.requireNonNull(now, "now");
    expectedBundleHash = expectedBundleHash.map(VerificationOptions::bundleHash);
    expectedMeasurement = expectedMeasurement.map(VerificationOptions::measurement);
    Objects.requireNonNull(auditLog, "auditLog");
    Objects.requireNonNull(trustStore, "trustStore");
    Objects.requireNonNull(snpPolicy, "snpPolicy");
    Objects.requireNonNull(tdxPolicy, "tdxPolicy");
    Objects.requireNonNull(auditDir, "auditDir");
    Objects.requireNonNull(tpmTrust, "tpmTrust");
    if (auditLog.isPresent() && auditDir.isPresent()) {
      throw new IllegalArgumentException("give either an audit log file or an audit folder, not both");
    }
    acceptedRisks = acceptedRisks.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(acceptedRisks));
    if (expectedBundleHash.isPresent() && acceptedRisks.contains(AcceptedRisk.ANY_BUNDLE)) {
      throw new IllegalArgumentException("give either an expected bundle hash or " + AcceptedRisk.ANY_BUNDLE.option() + ", not both");
    }
    if (expectedMeasurement.isPresent() && acceptedRisks.contains(AcceptedRisk.ANY_MEASUREMENT)) {
      throw new IllegalArgumentException("give either an expected measurement or " + AcceptedRisk.ANY_MEASUREMENT.option()
          + ", not both");
    }
  }

  public static VerificationOptions of(EvidencePolicy evidencePolicy, Instant now) {
    return new VerificationOptions(evidencePolicy, now, Optional.empty(), Optional.empty(), Optional.empty(),
        TrustStore.empty(), SnpPolicy.defaults(), TdxPolicy.defaults(), Set.of(), Optional.empty(),
        TpmTrust.notConfigured());
  }

  /** Expect this policy bundle ({@code sha256:<hex>}) for the claim and each of its calls. */
  public VerificationOptions withExpectedBundleHash(String bundleHash) {
    return new VerificationOptions(evidencePolicy, now, Optional.of(bundleHash), expectedMeasurement, auditLog,
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  /** Expect this runtime measurement (hex): SEV-SNP MEASUREMENT, TDX MRTD, TPM PCR digest, or the software measurement. */
  public VerificationOptions withExpectedMeasurement(String measurement) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, Optional.of(measurement), auditLog,
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  /** Replay this audit log file and compare it with the claim. */
  public VerificationOptions withAuditLog(Path file) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, Optional.of(file),
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  /**
   * Replay every epoch of this audit folder, follow the links between them, and compare the
   * claim's epoch file with the claim ({@code cmcp verify --audit-dir}).
   */
  public VerificationOptions withAuditDir(Path dir) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, Optional.of(dir), tpmTrust);
  }

  /** Check hardware evidence with these certificates, CRLs and collateral ({@link TrustStore#load} of a folder). */
  public VerificationOptions withTrustStore(TrustStore store) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        store, snpPolicy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  /** Judge freshness, certificates and CRLs at this time. */
  public VerificationOptions withNow(Instant time) {
    return new VerificationOptions(evidencePolicy, time, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  public VerificationOptions withSnpPolicy(SnpPolicy policy) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, policy, tdxPolicy, acceptedRisks, auditDir, tpmTrust);
  }

  public VerificationOptions withTdxPolicy(TdxPolicy policy) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, snpPolicy, policy, acceptedRisks, auditDir, tpmTrust);
  }

  /** Check a TPM quote's AK against these anchors ({@code ak_trust}): an enrolled AK can then make a TPM claim verified. */
  public VerificationOptions withTpmTrust(TpmTrust.Anchors anchors) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, snpPolicy, tdxPolicy, acceptedRisks, auditDir, anchors);
  }

  /**
   * Accept a claim as {@code verified} without this expectation; the report prints the risk.
   * An expectation and the acceptance of its absence together are refused.
   */
  public VerificationOptions accepting(AcceptedRisk risk) {
    Set<AcceptedRisk> risks = EnumSet.of(risk);
    risks.addAll(acceptedRisks);
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, auditLog,
        trustStore, snpPolicy, tdxPolicy, risks, auditDir, tpmTrust);
  }

  private static String bundleHash(String value) {
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (!Digests.isSha256Notation(normalized)) {
      throw new IllegalArgumentException("expected bundle hash must be sha256:<64 hex digits>, not \"" + value + "\"");
    }
    return normalized;
  }

  private static String measurement(String value) {
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (!normalized.matches("(?:[0-9a-f]{2})+")) {
      throw new IllegalArgumentException("expected measurement must be hex digits, not \"" + value + "\"");
    }
    return normalized;
  }
}
