package dev.cmcp.verify.claim;

import static dev.cmcp.verify.claim.CheckName.AUDIT_LOG;
import static dev.cmcp.verify.claim.CheckName.BINDING;
import static dev.cmcp.verify.claim.CheckName.BUNDLE_HASH;
import static dev.cmcp.verify.claim.CheckName.CLAIM_FORMAT;
import static dev.cmcp.verify.claim.CheckName.EVIDENCE;
import static dev.cmcp.verify.claim.CheckName.FRESHNESS;
import static dev.cmcp.verify.claim.CheckName.INCLUSION_PROOFS;
import static dev.cmcp.verify.claim.CheckName.MEASUREMENT;
import static dev.cmcp.verify.claim.CheckName.SIGNATURE;
import static dev.cmcp.verify.claim.CheckName.TLS_KEY_BOUND;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.audit.ChainHead;
import dev.cmcp.verify.audit.MerkleTree;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Requirement;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.claim.GatewayClaim.Call;
import dev.cmcp.verify.claim.GatewayClaim.OutcomeEntry;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.snp.SnpCheck;
import dev.cmcp.verify.evidence.snp.SnpVerifier;
import dev.cmcp.verify.evidence.tdx.TdxCheck;
import dev.cmcp.verify.evidence.tdx.TdxVerifier;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmVerifier;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Verifies a TRACE claim offline, trusting nothing the operator says beyond what the claim's
 * signature, evidence, proofs and (optionally) audit log establish. Every check of
 * {@link CheckName} is reported, whatever the others found, so an auditor sees all faults at once.
 */
public final class ClaimVerifier {

  private static final HexFormat HEX = HexFormat.of();
  private static final String OPAQUE = "opaque evidence cannot be verified offline: no root of trust for it is known";

  /**
   * An attestation document is issued the moment it is asked for, by a gateway whose clock is not
   * the agent's: one issued up to this far in the agent's future is still fresh.
   */
  static final java.time.Duration ATTESTATION_CLOCK_SKEW = java.time.Duration.ofSeconds(60);

  private ClaimVerifier() {}

  /**
   * A hardware platform's verifier run on the claim's evidence, with the claim's binding as the
   * expected user data.
   *
   * @param reportDataCheck the check of {@code report} comparing the user data with the binding
   * @param measurementCheck the check of {@code report} comparing the measurement with the
   *     platform policy's (the claim's {@code measurement} check does that job here)
   * @param measurementField the field of {@code report} holding the platform's measurement
   * @param measurementName that field as the platform's documentation names it
   * @param bindingHeld how the evidence holds the binding, when {@code reportDataCheck} passes
   * @param <C> the platform's check names
   */
  private record Hardware<C extends Enum<C> & CheckKind>(
      EvidenceReport<C> report,
      C reportDataCheck,
      C measurementCheck,
      String measurementField,
      String measurementName,
      String bindingHeld) {

    static Optional<Hardware<?>> run(PlatformEvidence evidence, Binding binding, VerificationOptions options) {
      return switch (evidence) {
        case SnpEvidence snp -> Optional.of(new Hardware<>(
            SnpVerifier.verify(snp.reportAndCertificates(), options.trustStore(), Optional.of(binding.bytes()),
                options.now(), options.snpPolicy()),
            SnpCheck.REPORT_DATA, SnpCheck.MEASUREMENT, "measurement", "MEASUREMENT", "REPORT_DATA is the binding"));
        case TdxEvidence tdx -> Optional.of(new Hardware<>(
            TdxVerifier.verify(tdx.quote(), options.trustStore(), Optional.of(binding.bytes()), options.now(),
                options.tdxPolicy()).report(),
            TdxCheck.REPORT_DATA, TdxCheck.MEASUREMENT, "mrtd", "MRTD", "REPORTDATA is the binding"));
        // The quote's PCR digest is compared by the claim's measurement check, so none is passed here.
        case TpmQuoteEvidence tpm -> Optional.of(new Hardware<>(
            TpmVerifier.verify(tpm.quote().toJson(), Optional.of(binding.bytes()), Optional.empty(),
                options.tpmTrust(), options.now()).report(),
            TpmCheck.QUALIFYING_DATA, TpmCheck.MEASUREMENT, "pcr_digest", "PCR digest",
            "qualifying data (extraData) is SHA-256 of the binding"));
        case null, default -> Optional.empty();
      };
    }

    /** The platform verifier's checks of the evidence itself: all but its user-data check, which is {@code binding}. */
    List<Check<C>> genuineness() {
      return report.checks().stream().filter(c -> c.name() != reportDataCheck).toList();
    }

    List<Check<C>> failedGenuineness() {
      return genuineness().stream().filter(c -> c.status() == CheckStatus.FAIL).toList();
    }

    Optional<Check<C>> reportData() {
      return report.checks().stream().filter(c -> c.name() == reportDataCheck).findFirst();
    }

    /** The genuineness checks skipped, the platform's own measurement check aside: the claim's measurement check compares it. */
    List<Check<C>> skippedGenuineness() {
      return genuineness().stream()
          .filter(c -> c.status() == CheckStatus.SKIP && c.name() != measurementCheck)
          .toList();
    }

    long passedGenuineness() {
      return genuineness().stream().filter(c -> c.status() == CheckStatus.PASS).count();
    }

    /** The reason of the TPM's {@code ak_trust} check, present when it did not pass. */
    Optional<String> akTrustShortfall() {
      return report.checks().stream()
          .filter(c -> c.name() == TpmCheck.AK_TRUST && c.status() != CheckStatus.PASS)
          .map(Check::reason)
          .findFirst();
    }
  }

  public static VerificationReport verify(byte[] claimBytes, VerificationOptions options) {
    JsonNode json;
    GatewayClaim claim;
    try {
      json = new StrictJson().parse(claimBytes);
      claim = GatewayClaim.fromJson(json);
    } catch (StrictJson.MalformedJsonException e) {
      return unreadable("the claim is not well-formed JSON: " + e.getMessage());
    } catch (ClaimException e) {
      return unreadable(e.getMessage());
    }
    return verify(json, claim, options, Optional.empty(), false);
  }

  /**
   * Verifies a gateway's attestation document ({@code GET /v1/attestation}, {@link GatewayAttestation})
   * with the checks a claim gets, less those about sessions ({@code inclusion_proofs},
   * {@code audit_log}: skipped).
   *
   * @param presentedTlsSpkiSha256 the SPKI hash of the key the gateway's TLS handshake presented,
   *     when the document was fetched over TLS: {@code tls_key_bound} passes only when the
   *     evidence binds exactly that key, so that a TLS-terminating proxy in between is caught
   */
  public static VerificationReport verifyAttestation(
      byte[] documentBytes, VerificationOptions options, Optional<String> presentedTlsSpkiSha256) {
    JsonNode json;
    GatewayAttestation document;
    try {
      json = new StrictJson().parse(documentBytes);
      document = GatewayAttestation.fromJson(json);
    } catch (StrictJson.MalformedJsonException e) {
      return unreadable("the attestation document is not well-formed JSON: " + e.getMessage());
    } catch (ClaimException e) {
      return unreadable(e.getMessage());
    }
    return verify(json, document.asClaim(), options, presentedTlsSpkiSha256, true);
  }

  private static VerificationReport verify(
      JsonNode json, GatewayClaim claim, VerificationOptions options, Optional<String> presentedTlsSpki, boolean attestationOnly) {
    List<Check<CheckName>> checks = new ArrayList<>();
    checks.add(signature(json, claim));
    checks.add(Check.pass(CLAIM_FORMAT, attestationOnly
        ? "the attestation document has every field of its format and no other"
        : "the claim has every field of " + GatewayClaim.EAT_PROFILE + " and no other; session "
            + claim.gateway().sessionId() + claim.gateway().principal()
                .map(p -> ", principal " + p.id() + " (" + p.method() + p.issuer().map(i -> " of " + i).orElse("") + ")")
                .orElse(", principal not recorded")));
    PlatformEvidence evidence;
    try {
      evidence = PlatformEvidence.of(claim.trace().runtime());
    } catch (ClaimException e) {
      evidence = null;
      checks.add(Check.fail(EVIDENCE, e.getMessage()));
    }
    Binding binding = Binding.of(claim.trace());
    Optional<Hardware<?>> hardware = Hardware.run(evidence, binding, options);
    boolean rootless = onlyLacksARoot(evidence, hardware);
    if (evidence != null) {
      checks.add(evidence(evidence, hardware, rootless, options.evidencePolicy()));
    }
    Check<CheckName> bindingCheck = binding(evidence, hardware, binding);
    checks.add(bindingCheck);
    checks.add(tlsKeyBound(claim.trace().tlsSpkiSha256(), bindingCheck, presentedTlsSpki));
    checks.add(bundleHash(claim, options));
    checks.add(measurement(claim, options, evidence, hardware));
    checks.add(freshness(claim, options.now(), attestationOnly ? ATTESTATION_CLOCK_SKEW : java.time.Duration.ZERO));
    if (attestationOnly) {
      checks.add(Check.skip(INCLUSION_PROOFS, "an attestation document covers no session"));
      checks.add(Check.skip(AUDIT_LOG, "an attestation document covers no session"));
    } else {
      checks.add(inclusionProofs(claim));
      checks.add(options.auditDir().map(dir -> auditFolder(dir, claim)).orElseGet(() -> options.auditLog()
          .map(file -> auditLog(file, claim)).orElse(Check.skip(AUDIT_LOG, "no audit log given (--audit-log or --audit-dir)"))));
    }
    List<String> notEstablished = notEstablished(checks, evidence, hardware, rootless, options);
    List<AcceptedRisk> risks = options.acceptedRisks().stream().sorted().toList();
    // An attestation document covers no session: verified, it has no content to hand out.
    boolean handOut = Verdict.of(checks, notEstablished) == Verdict.VERIFIED && !attestationOnly;
    return new VerificationReport(checks, hardware.map(Hardware::report), notEstablished, risks,
        handOut ? Optional.of(new VerifiedClaim(claim)) : Optional.empty());
  }

  /**
   * What a claim whose checks all pass still does not show, each naming its check: evidence no
   * offline root vouches for (then the claim's own key is the only witness of the claim, and
   * anyone can make a key), and, derived from the checks, each {@link Requirement#EXPECTATION}
   * check whose expectation was neither given nor waived by its {@link AcceptedRisk}.
   */
  private static List<String> notEstablished(List<Check<CheckName>> checks,
      PlatformEvidence evidence, Optional<Hardware<?>> hardware, boolean rootless, VerificationOptions options) {
    if (evidence == null) {
      return List.of();
    }
    List<String> gaps = new ArrayList<>();
    if (rootless) {
      gaps.add("evidence: no offline root of trust vouches for the runtime, so the claim's signature shows only that"
          + " whoever holds cnf.jwk signed it, and anyone can make such a key (a forged claim passes every other check)");
    }
    for (Check<CheckName> check : checks) {
      CheckName name = check.name();
      if (name.requirement() != Requirement.EXPECTATION || expectationGiven(name, options)
          || !expectationMatters(name, hardware, rootless)) {
        continue;
      }
      AcceptedRisk risk = AcceptedRisk.waiving(name)
          .orElseThrow(() -> new IllegalStateException("no accepted risk waives the expectation " + name.label()));
      if (!options.acceptedRisks().contains(risk)) {
        gaps.add(risk.gap(hardware.map(h -> h.report().platform()).orElse("TEE")));
      }
    }
    return gaps;
  }

  /** Whether the auditor gave the value this expectation check compares with. */
  private static boolean expectationGiven(CheckName name, VerificationOptions options) {
    if (name == BUNDLE_HASH) {
      return options.expectedBundleHash().isPresent();
    }
    if (name == MEASUREMENT) {
      return options.expectedMeasurement().isPresent();
    }
    throw new IllegalArgumentException(name.label() + " is not an expectation a caller gives");
  }

  /**
   * The measurement expectation is a gap only where hardware vouches for the measurement: the
   * measurement of rootless evidence (software, opaque, an uncertified TPM) is the gateway's own
   * word, which the {@code evidence} gap already names.
   */
  private static boolean expectationMatters(CheckName name, Optional<Hardware<?>> hardware, boolean rootless) {
    return name != MEASUREMENT || (hardware.isPresent() && !rootless);
  }

  /**
   * True when the evidence's one fault is that no root of trust an auditor can check offline
   * vouches for it: software and opaque evidence, and a TPM quote that holds up in every way
   * except that its AK is not certified (a key made in software passes every other check).
   */
  private static boolean onlyLacksARoot(PlatformEvidence evidence, Optional<Hardware<?>> hardware) {
    return switch (evidence) {
      case SoftwareEvidence software -> true;
      case OpaqueEvidence opaque -> true;
      case TpmQuoteEvidence tpm -> hardware.orElseThrow().failedGenuineness().isEmpty()
          && hardware.get().akTrustShortfall().isPresent();
      case null, default -> false;
    };
  }

  private static VerificationReport unreadable(String reason) {
    List<Check<CheckName>> checks = new ArrayList<>();
    for (CheckName name : CheckName.values()) {
      checks.add(name == CLAIM_FORMAT ? Check.fail(name, reason) : Check.skip(name, "the claim could not be read"));
    }
    return new VerificationReport(checks);
  }

  private static Check<CheckName> signature(JsonNode json, GatewayClaim claim) {
    try {
      ClaimSignature.verify(json, claim.trace().cnf());
      return Check.pass(SIGNATURE, "Ed25519 signature over the claim verifies with cnf.jwk");
    } catch (ClaimException e) {
      return Check.fail(SIGNATURE, e.getMessage());
    }
  }

  private static Check<CheckName> evidence(PlatformEvidence evidence, Optional<Hardware<?>> hardware, boolean rootless, EvidencePolicy policy) {
    boolean lenient = policy == EvidencePolicy.ALLOW_SOFTWARE;
    return switch (evidence) {
      case SoftwareEvidence software -> lenient
          ? Check.skip(EVIDENCE, "software evidence: no hardware root of trust (accepted by --allow-software; at best partially_verified)")
          : Check.fail(EVIDENCE, "software evidence: no hardware root of trust (accepted only with --allow-software)");
      case OpaqueEvidence opaque -> lenient
          ? Check.skip(EVIDENCE, OPAQUE + " (accepted by --allow-software; at best partially_verified)")
          : Check.fail(EVIDENCE, OPAQUE + " (accepted only with --allow-software, as partially_verified)");
      case SnpEvidence snp -> hardwareEvidence(hardware.orElseThrow());
      case TdxEvidence tdx -> hardwareEvidence(hardware.orElseThrow());
      case TpmQuoteEvidence tpm -> rootless ? uncertifiedTpm(hardware.orElseThrow(), lenient) : hardwareEvidence(hardware.orElseThrow());
    };
  }

  /**
   * Passes when none of the platform verifier's checks fails, its user-data check aside: that
   * one is reported as {@code binding}; skipped (so the claim is at best partially verified) when
   * none fails but a {@link Requirement#REQUIRED} one was not made, e.g. a
   * TDX quote's {@code pck_revocation}, {@code tcb_info}, {@code tcb_level} and
   * {@code qe_identity} without Intel's collateral; the first such check's reason says how to
   * supply what it needs.
   */
  private static Check<CheckName> hardwareEvidence(Hardware<?> hardware) {
    String platform = hardware.report().platform();
    List<? extends Check<?>> failed = hardware.failedGenuineness();
    if (!failed.isEmpty()) {
      String why = failed.size() == 1 ? ": " + failed.get(0).reason() : " (see each check's reason)";
      return Check.fail(EVIDENCE, platform + " evidence fails " + names(failed) + why);
    }
    List<? extends Check<?>> skipped = hardware.skippedGenuineness();
    List<? extends Check<?>> required = skipped.stream()
        .filter(c -> c.name().requirement() == Requirement.REQUIRED).toList();
    if (!required.isEmpty()) {
      // Genuine, current hardware is not established without them (for TDX: Intel's collateral).
      return Check.skip(EVIDENCE, platform + " evidence: " + hardware.passedGenuineness() + " checks pass, but "
          + names(required) + (required.size() == 1 ? " was" : " were") + " not checked, so genuine hardware at an"
          + " accepted TCB is not established (at best partially_verified): " + required.get(0).reason());
    }
    return Check.pass(EVIDENCE, platform + " evidence verifies to the vendor's root: "
        + hardware.passedGenuineness() + " checks pass"
        + (skipped.isEmpty() ? "" : ", not checked: " + names(skipped)));
  }

  /**
   * A TPM quote that holds up but whose AK no EK certificate ties to a TPM: like software
   * evidence, refused unless the auditor accepts evidence without an offline root, and then
   * skipped, the claim being at best partially verified.
   */
  private static Check<CheckName> uncertifiedTpm(Hardware<?> hardware, boolean lenient) {
    String why = "tpm evidence: " + hardware.akTrustShortfall().orElseThrow()
        + "; the quote's other " + hardware.passedGenuineness() + " checks pass";
    return lenient
        ? Check.skip(EVIDENCE, why + " (accepted by --allow-software; at best partially_verified)")
        : Check.fail(EVIDENCE, why + " (accepted only with --allow-software, as partially_verified)");
  }

  private static String names(List<? extends Check<?>> checks) {
    return checks.stream().map(Check::label).collect(Collectors.joining(", "));
  }

  private static Check<CheckName> binding(PlatformEvidence evidence, Optional<Hardware<?>> hardware, Binding expected) {
    return switch (evidence) {
      case null -> Check.skip(BINDING, "the evidence could not be read");
      case SoftwareEvidence software -> software.isBoundTo(expected)
          ? Check.pass(BINDING, "the evidence's report_data is SHA-512 of the claim's policy hashes, enforcement mode and key thumbprint")
          : Check.fail(BINDING, "the evidence's report_data " + abbreviate(software.reportData())
              + " is not the binding of the claim's policy and key " + abbreviate(expected.hex())
              + ": the policy, the mode or the key is not the one the evidence was produced for");
      case OpaqueEvidence opaque -> Check.skip(BINDING, "opaque evidence: its report data cannot be read offline");
      case SnpEvidence snp -> hardwareBinding(hardware.orElseThrow());
      case TdxEvidence tdx -> hardwareBinding(hardware.orElseThrow());
      case TpmQuoteEvidence tpm -> hardwareBinding(hardware.orElseThrow());
    };
  }

  /** The platform verifier's user-data check, compared with the claim's binding. */
  private static Check<CheckName> hardwareBinding(Hardware<?> hardware) {
    String platform = hardware.report().platform();
    Optional<? extends Check<?>> reportData = hardware.reportData();
    if (reportData.isEmpty() || reportData.get().status() == CheckStatus.SKIP) {
      return Check.skip(BINDING, "the " + platform + " evidence could not be read, so neither could its report data (see evidence)");
    }
    if (reportData.get().status() == CheckStatus.FAIL) {
      return Check.fail(BINDING, reportData.get().reason() + " (the binding of the claim's policy and key): the evidence was not"
          + " produced for this claim's policy, mode or key");
    }
    return Check.pass(BINDING, "the " + platform + " evidence's " + hardware.bindingHeld()
        + ": SHA-512 of the claim's policy hashes, enforcement mode and key thumbprint");
  }

  /**
   * The TLS key rides on the binding: the evidence commits to {@code trace.tls.spki_sha256} exactly
   * when the binding check passes. A key a TLS handshake presented must also be that one.
   */
  private static Check<CheckName> tlsKeyBound(Optional<String> attested, Check<CheckName> binding, Optional<String> presented) {
    if (attested.isEmpty()) {
      return presented.isEmpty()
          ? Check.skip(TLS_KEY_BOUND, "the gateway served no TLS (tls.mode: off, loopback only): no TLS key is bound")
          : Check.fail(TLS_KEY_BOUND, "the TLS connection presented key " + abbreviate(presented.get())
              + ", but the attestation binds no TLS key (tls.mode: off): nothing shows this TLS endpoint is the attested gateway");
    }
    String spki = attested.get();
    if (presented.isPresent() && !presented.get().equals(spki)) {
      return Check.fail(TLS_KEY_BOUND, "the TLS connection presented key SPKI sha256 " + presented.get()
          + ", but the attested gateway's TLS key is " + spki
          + ": something else terminates this TLS connection (a TLS-terminating proxy, or another server)");
    }
    String connection = presented.isPresent() ? "; it is the key this TLS connection presented" : "";
    return switch (binding.status()) {
      case PASS -> Check.pass(TLS_KEY_BOUND, "the evidence binds TLS key SPKI sha256 " + spki + connection);
      case FAIL -> Check.fail(TLS_KEY_BOUND, "the evidence does not bind trace.tls.spki_sha256 " + spki + " (see binding)");
      case SKIP -> presented.isPresent()
          ? Check.fail(TLS_KEY_BOUND, "TLS key " + spki + " is only stated, not bound: the evidence's report data cannot be"
              + " checked (see binding)")
          : Check.skip(TLS_KEY_BOUND, "TLS key " + spki + " is stated, but the evidence's report data cannot be checked (see binding)");
    };
  }

  private static Check<CheckName> bundleHash(GatewayClaim claim, VerificationOptions options) {
    if (options.expectedBundleHash().isEmpty()) {
      return Check.skip(BUNDLE_HASH, "no expected bundle hash given (--expected-bundle-hash)");
    }
    String expected = options.expectedBundleHash().get();
    String claimed = claim.trace().policy().bundleHash();
    if (!claimed.equals(expected)) {
      return Check.fail(BUNDLE_HASH, "trace.policy.bundle_hash is " + claimed + ", expected " + expected);
    }
    List<Call> calls = claim.gateway().calls();
    for (int i = 0; i < calls.size(); i++) {
      if (!calls.get(i).bundleHash().equals(expected)) {
        return Check.fail(BUNDLE_HASH, callName(i) + " was decided under " + calls.get(i).bundleHash()
            + ", expected " + expected);
      }
    }
    return Check.pass(BUNDLE_HASH, "the claim's policy and every call's policy are the expected bundle " + expected);
  }

  private static Check<CheckName> measurement(
      GatewayClaim claim, VerificationOptions options, PlatformEvidence evidence, Optional<Hardware<?>> hardware) {
    if (hardware.isPresent()) {
      return hardwareMeasurement(claim.trace().runtime().measurement(), options.expectedMeasurement(), hardware.get());
    }
    if (options.expectedMeasurement().isEmpty()) {
      return Check.skip(MEASUREMENT, "no expected measurement given (--expected-measurement)");
    }
    String claimed = claim.trace().runtime().measurement();
    if (!claimed.equals(options.expectedMeasurement().get())) {
      return Check.fail(MEASUREMENT, "trace.runtime.measurement is " + claimed + ", expected " + options.expectedMeasurement().get());
    }
    String source = switch (evidence) {
      case SoftwareEvidence software -> " (stated by the gateway itself: software evidence)";
      case OpaqueEvidence opaque -> " (stated by the gateway: opaque evidence is not verified)";
      case null, default -> " (stated by the gateway: its evidence is not verified)";
    };
    return Check.pass(MEASUREMENT, "trace.runtime.measurement equals the expected value" + source);
  }

  /**
   * The measurement a claim states must be the one its evidence carries, so that a claim cannot
   * name one runtime while its evidence proves another; and the expected one, when given.
   */
  private static Check<CheckName> hardwareMeasurement(String claimed, Optional<String> expected, Hardware<?> hardware) {
    String name = hardware.measurementName();
    String carried = hardware.report().fields().get(hardware.measurementField());
    if (carried == null) {
      return Check.fail(MEASUREMENT, "the evidence carries no readable " + name + " (see evidence), so trace.runtime.measurement "
          + claimed + " is not confirmed");
    }
    if (!carried.equals(claimed)) {
      return Check.fail(MEASUREMENT, "trace.runtime.measurement is " + claimed + ", but the evidence's " + name + " is " + carried);
    }
    if (expected.isEmpty()) {
      return Check.pass(MEASUREMENT, "trace.runtime.measurement is the evidence's " + name + " " + carried
          + " (no expected value given: --expected-measurement)");
    }
    if (!expected.get().equals(carried)) {
      return Check.fail(MEASUREMENT, "the evidence's " + name + " is " + carried + ", expected " + expected.get());
    }
    return Check.pass(MEASUREMENT, "the evidence's " + name + " " + carried + " is trace.runtime.measurement and the expected value");
  }

  private static Check<CheckName> freshness(GatewayClaim claim, Instant now, java.time.Duration skew) {
    Instant issued = Instant.ofEpochSecond(claim.trace().iat());
    Instant expires = Instant.ofEpochSecond(claim.trace().exp());
    if (now.plus(skew).isBefore(issued)) {
      return Check.fail(FRESHNESS, "issued at " + issued + ", after now (" + now + ")");
    }
    if (now.isAfter(expires)) {
      return Check.fail(FRESHNESS, "expired at " + expires + "; now is " + now);
    }
    return Check.pass(FRESHNESS, "issued at " + issued + ", valid until " + expires + "; now is " + now);
  }

  private static Check<CheckName> inclusionProofs(GatewayClaim claim) {
    GatewayClaim.AuditChain chain = claim.gateway().auditChain();
    byte[] root = HEX.parseHex(chain.root());
    List<Call> calls = claim.gateway().calls();
    int outcomes = 0;
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      if (!proves(call.entrySha256(), call.index(), call.inclusionProof(), chain.length(), root)) {
        return Check.fail(INCLUSION_PROOFS, callName(i) + ": the inclusion proof of entry " + call.index()
            + " does not lead to audit_chain.root (length " + chain.length() + ")");
      }
      if (call.outcome().isPresent()) {
        OutcomeEntry outcome = call.outcome().get();
        if (!proves(outcome.entrySha256(), outcome.index(), outcome.inclusionProof(), chain.length(), root)) {
          return Check.fail(INCLUSION_PROOFS, callName(i) + ": the inclusion proof of outcome entry "
              + outcome.index() + " does not lead to audit_chain.root (length " + chain.length() + ")");
        }
        outcomes++;
      }
    }
    if (calls.isEmpty()) {
      return Check.pass(INCLUSION_PROOFS, "the claim lists no calls");
    }
    return Check.pass(INCLUSION_PROOFS, calls.size() + " decision and " + outcomes
        + " outcome entries are proven in audit_chain.root (length " + chain.length() + ")");
  }

  private static boolean proves(String entryHash, long index, List<String> proof, long size, byte[] root) {
    return MerkleTree.verifyInclusion(HEX.parseHex(entryHash), index, size, proof.stream().map(HEX::parseHex).toList(), root);
  }

  /** Every epoch of the folder replays and links to the one before it, and the claim's epoch file agrees with the claim. */
  private static Check<CheckName> auditFolder(Path dir, GatewayClaim claim) {
    AuditFolder folder;
    try {
      folder = AuditFolder.verify(dir);
    } catch (IOException e) {
      return Check.fail(AUDIT_LOG, "cannot read the audit folder " + dir + ": " + e.getMessage());
    }
    if (!folder.faults().isEmpty()) {
      return Check.fail(AUDIT_LOG, "the audit folder " + dir + " does not hold one linked chain of epochs: "
          + String.join("; ", folder.faults()));
    }
    String epoch = claim.gateway().auditChain().epoch();
    Optional<Path> file = folder.epochFile(epoch);
    if (file.isEmpty()) {
      return Check.fail(AUDIT_LOG, "the audit folder " + dir + " has no file of the claim's epoch " + epoch);
    }
    Check<CheckName> own = auditLog(file.get(), claim);
    if (own.status() != CheckStatus.PASS) {
      return own;
    }
    return Check.pass(AUDIT_LOG, own.reason() + "; the folder's " + folder.epochs().size() + " epochs link up"
        + (folder.quarantined().isEmpty() ? "" : " (" + folder.quarantined().size() + " quarantined file(s), each recorded)"));
  }

  private static Check<CheckName> auditLog(Path file, GatewayClaim claim) {
    AuditLogReplay.Result replay = AuditLogReplay.replay(file);
    if (replay instanceof AuditLogReplay.Broken broken) {
      return Check.fail(AUDIT_LOG, file.getFileName() + " " + broken.describe());
    }
    AuditLogReplay.Intact log = (AuditLogReplay.Intact) replay;
    GatewayClaim.AuditChain chain = claim.gateway().auditChain();
    if (!log.epoch().equals(chain.epoch())) {
      return Check.fail(AUDIT_LOG, "the log holds epoch " + log.epoch() + ", the claim's audit_chain names epoch " + chain.epoch());
    }
    if (chain.length() > log.length()) {
      return Check.fail(AUDIT_LOG, "line " + (log.length() + 1) + ": missing: the claim covers " + chain.length()
          + " entries, the log ends after line " + log.length() + " (truncated?)");
    }
    ChainHead head = log.prefix((int) chain.length());
    if (!head.root().equals(chain.root())) {
      return Check.fail(AUDIT_LOG, "the Merkle root of the first " + chain.length() + " entries is " + head.root()
          + ", the claim's audit_chain.root is " + chain.root());
    }
    if (!head.tip().equals(chain.tip())) {
      return Check.fail(AUDIT_LOG, "line " + chain.length() + ": its hash " + head.tip() + " is not audit_chain.tip " + chain.tip());
    }
    List<Call> calls = claim.gateway().calls();
    for (int i = 0; i < calls.size(); i++) {
      String mismatch = callMismatch(log, calls.get(i), claim.gateway(), callName(i));
      if (mismatch != null) {
        return Check.fail(AUDIT_LOG, mismatch);
      }
    }
    return Check.pass(AUDIT_LOG, "replayed " + log.length() + " entries of " + file.getFileName() + "; the first "
        + chain.length() + " give audit_chain's root and tip, and the entries of " + calls.size() + " calls match the claim");
  }

  /** Why the log's entries for {@code call} differ from what the claim says about them, or null. */
  private static String callMismatch(AuditLogReplay.Intact log, Call call, GatewayClaim.Session session, String name) {
    int index = (int) call.index();
    if (!log.entryHashHex(index).equals(call.entrySha256())) {
      return "line " + (index + 1) + ": its hash is not " + name + ".entry_sha256";
    }
    if (!(log.record(index) instanceof AuditRecord.Decision decision)) {
      return "line " + (index + 1) + ": type is \"" + log.record(index).type() + "\" in the log, \"decision\" in " + name;
    }
    Map<String, List<Object>> fields = new LinkedHashMap<>();
    fields.put("session_id", List.of(decision.sessionId(), session.sessionId()));
    fields.put("tool", List.of(decision.tool(), call.tool()));
    fields.put("decision", List.of(decision.decision(), call.decision()));
    fields.put("enforced", List.of(decision.enforced(), call.enforced()));
    fields.put("policies", List.of(decision.policies(), call.policies()));
    fields.put("bundle_hash", List.of(decision.bundleHash(), call.bundleHash()));
    fields.put("arguments_sha256", List.of(decision.argumentsSha256(), call.argumentsSha256()));
    // A claim naming its principal says every call was that principal's; older claims do not say.
    session.principal().ifPresent(principal ->
        fields.put("principal", List.of(decision.principal().map(AuditRecord.Principal::id), Optional.of(principal.id()))));
    // A call a person was asked to approve says how they answered, as its decision entry does.
    call.approval().ifPresent(approval -> fields.put("approval", List.of(decision.approval(), Optional.of(approval))));
    String mismatch = fieldMismatch(fields, index, name);
    if (mismatch != null || call.outcome().isEmpty()) {
      return mismatch;
    }
    OutcomeEntry outcome = call.outcome().get();
    int outcomeIndex = (int) outcome.index();
    if (!log.entryHashHex(outcomeIndex).equals(outcome.entrySha256())) {
      return "line " + (outcomeIndex + 1) + ": its hash is not " + name + ".outcome_entry_sha256";
    }
    if (!(log.record(outcomeIndex) instanceof AuditRecord.Outcome result) || result.decisionIndex() != call.index()
        || result.decisionEpoch().isPresent()) {
      return "line " + (outcomeIndex + 1) + ": the outcome entry is not the outcome of entry " + call.index() + " (" + name + ")";
    }
    Map<String, List<Object>> outcomeFields = new LinkedHashMap<>();
    outcomeFields.put("session_id", List.of(result.sessionId(), session.sessionId()));
    outcomeFields.put("tool", List.of(result.tool(), call.tool()));
    outcomeFields.put("result_sha256", List.of(result.resultSha256(), call.resultSha256()));
    return fieldMismatch(outcomeFields, outcomeIndex, name);
  }

  /** The first field whose logged value (first) is not the claimed one (second), in words; or null. */
  private static String fieldMismatch(Map<String, List<Object>> fields, int index, String name) {
    for (Map.Entry<String, List<Object>> field : fields.entrySet()) {
      Object logged = field.getValue().get(0);
      Object claimed = field.getValue().get(1);
      if (!logged.equals(claimed)) {
        return "line " + (index + 1) + ": " + field.getKey() + " is " + shown(logged) + " in the log, " + shown(claimed)
            + " in " + name;
      }
    }
    return null;
  }

  /** A value as JSON shows it: a string quoted, an absent one {@code null}. */
  private static String shown(Object value) {
    return switch (value) {
      case Optional<?> optional -> optional.map(ClaimVerifier::shown).orElse("null");
      case String text -> JsonNodeFactory.instance.textNode(text).toString();
      case List<?> list -> list.stream().map(ClaimVerifier::shown).collect(Collectors.joining(",", "[", "]"));
      default -> String.valueOf(value);
    };
  }

  private static String callName(int position) {
    return "gateway.calls[" + position + "]";
  }

  private static String abbreviate(String hex) {
    return hex.substring(0, 16) + "...";
  }
}
