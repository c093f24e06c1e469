package dev.cmcp.gateway.claim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.AuditLog.RecordedCall;
import dev.cmcp.gateway.audit.AuditLog.Snapshot;
import dev.cmcp.verify.audit.AuditRecord.Decision;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.claim.ClaimException;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.GatewayClaim;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Issues signed TRACE claims (GatewayClaim) for sessions: the gateway's statement, bound to its
 * attestation evidence, of which policy decided each call and where each decision sits in the
 * audit log. Every claim issued is also written under {@code audit_dir/claims/}.
 */
public final class ClaimIssuer {


  /**
   * What a claim names in {@code trace.policy} and carries in {@code trace.runtime}, read at one
   * moment: the evidence's binding covers exactly these hashes.
   *
   * @param runtime the {@code trace.runtime} object (platform, assurance, measurement, evidence)
   */
  public record Attested(String bundleHash, String catalogHash, ObjectNode runtime) {}

  private final ClaimSigner signer;
  private final Supplier<Attested> attested;
  private final String enforcementMode;
  private final long validitySeconds;
  private final AuditLog log;
  private final Path claimsDirectory;
  private final Clock clock;
  private final Optional<String> tlsSpkiSha256;
  private final java.util.concurrent.atomic.AtomicLong issued = new java.util.concurrent.atomic.AtomicLong();
  /** How many calls the last claim of each session in each epoch covered: what {@link #issueUnclaimed} need not claim again. */
  private final Map<String, Integer> claimedCalls = new ConcurrentHashMap<>();

  /**
   * What {@link #issueUnclaimed} did.
   *
   * @param written claims written to the claims folder
   * @param failures one line per claim that could not be written
   * @param leftOut sessions not claimed because {@code max} was reached
   */
  public record Unclaimed(int written, List<String> failures, int leftOut) {
    public Unclaimed {
      failures = List.copyOf(failures);
    }
  }

  /**
   * For a gateway whose bundle and catalog never change.
   *
   * @param runtime the current {@code trace.runtime} object, asked for each claim, since evidence
   *     is renewed while the gateway runs
   */
  public ClaimIssuer(
      ClaimSigner signer, Supplier<ObjectNode> runtime, String bundleHash, String catalogHash, String enforcementMode,
      long validitySeconds, AuditLog log, Path claimsDirectory, Clock clock) {
    this(signer, () -> new Attested(bundleHash, catalogHash, runtime.get()), enforcementMode, validitySeconds, log,
        claimsDirectory, clock);
  }

  /**
   * @param attested the policy hashes in force and evidence bound to them, asked once per claim;
   *     a reload must never let it pair new evidence with old hashes, or the reverse
   */
  public ClaimIssuer(
      ClaimSigner signer, Supplier<Attested> attested, String enforcementMode, long validitySeconds, AuditLog log,
      Path claimsDirectory, Clock clock) {
    this(signer, attested, enforcementMode, validitySeconds, log, claimsDirectory, clock, Optional.empty());
  }

  /**
   * @param tlsSpkiSha256 the SPKI hash of the key terminating the gateway's TLS, which the
   *     evidence binds; claims name it in {@code trace.tls}. Empty when the gateway serves no TLS.
   */
  public ClaimIssuer(
      ClaimSigner signer, Supplier<Attested> attested, String enforcementMode, long validitySeconds, AuditLog log,
      Path claimsDirectory, Clock clock, Optional<String> tlsSpkiSha256) {
    this.tlsSpkiSha256 = tlsSpkiSha256;
    this.signer = signer;
    this.attested = attested;
    this.enforcementMode = enforcementMode;
    this.validitySeconds = validitySeconds;
    this.log = log;
    this.claimsDirectory = claimsDirectory;
    this.clock = clock;
  }

  /** Whether the log's current epoch holds any call of this session. */
  public boolean knows(String sessionId) {
    return !log.callsOf(sessionId).isEmpty();
  }

  /**
   * A signed claim over every call of the session recorded so far in the current epoch; written to
   * the claims folder. Calls of an epoch that rotation closed are in the claims written then.
   */
  public ObjectNode issue(String sessionId) throws IOException {
    return issue(log.currentEpoch(), sessionId);
  }

  /** A signed claim over every call of the session recorded in {@code epoch}, read in one piece. */
  private ObjectNode issue(AuditLog.Epoch epoch, String sessionId) throws IOException {
    List<RecordedCall> calls = epoch.callsOf(sessionId);
    Snapshot chain = epoch.snapshot();
    long iat = clock.instant().getEpochSecond();
    Attested policy = attested.get();

    List<GatewayClaim.Call> items = new ArrayList<>();
    for (RecordedCall call : calls) {
      // Only entries inside the snapshot can be proven against its root.
      if (call.decisionIndex() < chain.length()) {
        items.add(call(epoch, call, chain.length()));
      }
    }
    // The session belongs to one principal (the gateway refuses its id to any other), so its first call names it.
    Optional<GatewayClaim.Principal> principal = calls.stream().findFirst().flatMap(call -> call.decision().principal())
        .map(who -> new GatewayClaim.Principal(who.id(), who.method(), who.issuer()));
    GatewayClaim.Session session = new GatewayClaim.Session(sessionId, calls.isEmpty() ? "" : calls.get(0).decision().workflowId(),
        new GatewayClaim.AuditChain(chain.epoch(), chain.root(), chain.tip(), chain.length()), items, principal);
    ObjectNode signed = signer.sign(GatewayClaim.unsignedJson(
        trace(policy, enforcementMode, signer, tlsSpkiSha256, iat, iat + validitySeconds), session));
    write(epoch.name(), sessionId, signed);
    claimedCalls.merge(epoch.name() + "\n" + sessionId, items.size(), Math::max);
    return signed;
  }

  /**
   * Writes a claim for every session whose recorded calls are not all in a claim already written,
   * at most {@code max} of them: at shutdown, so that the proof of each session outlives the
   * in-memory index of its calls, which a restart loses.
   */
  public Unclaimed issueUnclaimed(int max) {
    return issueUnclaimed(log.currentEpoch(), max);
  }

  /**
   * {@link #issueUnclaimed(int)} for {@code epoch}: when rotation closed it, so that its sessions'
   * proof outlives the index of its calls, which the log keeps only for the current epoch.
   */
  public Unclaimed issueUnclaimed(AuditLog.Epoch epoch, int max) {
    int written = 0;
    int leftOut = 0;
    List<String> failures = new ArrayList<>();
    for (String sessionId : new TreeSet<>(epoch.sessionIds())) {
      if (epoch.callsOf(sessionId).size() <= claimedCalls.getOrDefault(epoch.name() + "\n" + sessionId, 0)) {
        continue;
      }
      if (written + failures.size() >= max) {
        leftOut++;
        continue;
      }
      try {
        issue(epoch, sessionId);
        written++;
      } catch (IOException | RuntimeException e) {
        failures.add("session " + sessionId + ": " + e.getMessage());
      }
    }
    return new Unclaimed(written, failures, leftOut);
  }

  /** {@code trace}, as claims and the attestation document carry it. */
  static GatewayClaim.Trace trace(
      Attested policy, String enforcementMode, ClaimSigner signer, Optional<String> tlsSpkiSha256, long iat, long exp) {
    GatewayClaim.Attestation runtime;
    try {
      runtime = GatewayClaim.Attestation.fromJson(policy.runtime());
    } catch (ClaimException e) {
      throw new IllegalStateException("the attestation provider's evidence is not a claim's trace.runtime: " + e.getMessage(), e);
    }
    return new GatewayClaim.Trace(iat, exp, runtime,
        new GatewayClaim.Policy(policy.bundleHash(), policy.catalogHash(), enforcementMode), signer.jwk(), tlsSpkiSha256);
  }

  private GatewayClaim.Call call(AuditLog.Epoch epoch, RecordedCall call, long length) {
    boolean hasOutcome = call.outcomeIndex().isPresent() && call.outcomeIndex().get() < length;
    Optional<GatewayClaim.OutcomeEntry> outcome = hasOutcome
        ? Optional.of(new GatewayClaim.OutcomeEntry(call.outcomeIndex().get(), call.outcomeEntrySha256().orElseThrow(),
            epoch.inclusionProof(call.outcomeIndex().get(), length)))
        : Optional.empty();
    Decision decision = call.decision();
    return new GatewayClaim.Call(call.decisionIndex(), decision.tool(), decision.decision(), decision.enforced(),
        decision.policies(), decision.bundleHash(), decision.argumentsSha256(),
        hasOutcome ? call.resultSha256() : Optional.empty(), call.decisionEntrySha256(),
        epoch.inclusionProof(call.decisionIndex(), length), outcome, decision.approval());
  }

  private void write(String epoch, String sessionId, ObjectNode claim) throws IOException {
    Files.createDirectories(claimsDirectory);
    String safe = sessionId.replaceAll("[^A-Za-z0-9_.-]", "_");
    // Epoch and sequence make names unique across restarts and sort in issue order.
    String name = String.format("%s-%06d-%s.json", epoch, issued.incrementAndGet(), safe);
    Path target = claimsDirectory.resolve(name);
    // One temporary file per writer: claims for one session can be issued at the same moment.
    Path temporary = claimsDirectory.resolve(name + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.writeString(temporary, CanonicalJson.string(claim) + "\n", StandardCharsets.UTF_8);
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
