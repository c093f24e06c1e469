package dev.cmcp.gateway.explorer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an audit folder holds, as the explorer shows it: each epoch's file replayed by the
 * verifier's own {@link AuditLogReplay}, its calls (each decision with its outcome), and each
 * claim of the claims folder verified by {@link ClaimVerifier} against its epoch's file.
 * Read afresh for every page, so the page shows the files as they are now.
 */
record AuditArchive(List<Epoch> epochs, List<Call> calls, List<ClaimStatus> claims) {

  /** Claim files are small; a larger file is reported, not read. */
  private static final int MAX_CLAIM_BYTES = 16 * 1024 * 1024;
  private static final int MAX_CLAIMS = 10_000;

  AuditArchive {
    epochs = List.copyOf(epochs);
    calls = List.copyOf(calls);
    claims = List.copyOf(claims);
  }

  /** The chain of one epoch's file: intact, or the first line that breaks it and why. */
  record Epoch(String file, String epoch, Optional<AuditLogReplay.Broken> broken, int entries, int unreadableLines) {
    boolean intact() {
      return broken.isEmpty();
    }
  }

  /**
   * One decided request: its decision entry and, when it was forwarded and answered, its outcome.
   *
   * @param principal the entry's {@code principal} when it names one, else its workflow
   * @param reason the entry's {@code reason} (a forbid's {@code @reason}), when it records one
   * @param redactions how many values were redacted and where, when redaction was asked for
   * @param approval the entry's {@code approval}, when the call needed one
   */
  record Call(
      String epoch, long index, Instant time, String sessionId, String principal, String tool, String action, String decision,
      String enforced, Optional<String> cause, List<String> policies, Optional<String> reason, Optional<Redactions> redactions,
      Optional<String> approval, Optional<String> outcome, Optional<String> requestId, Optional<String> traceId) {
    Call {
      policies = List.copyOf(policies);
    }

    boolean denied() {
      return decision.equals("deny");
    }
  }

  record Redactions(int count, List<String> paths) {
    Redactions {
      paths = List.copyOf(paths);
    }
  }

  /**
   * A claim and what verifying it found.
   *
   * @param failed the first check that failed, when one did
   * @param problem why the claim could not be verified at all (unreadable, not JSON, no such epoch)
   */
  record ClaimStatus(
      String file, String sessionId, String epoch, Optional<Verdict> result,
      Optional<Check<CheckName>> failed, Optional<String> problem) {}

  /**
   * Reads {@code auditDir} (files {@code audit-<epoch>.jsonl}) and {@code claimsDir} (claim
   * files {@code *.json}; absent is no claims).
   *
   * @param trustStore certificates for hardware evidence; software evidence is accepted as partially verified
   */
  static AuditArchive read(Path auditDir, Path claimsDir, TrustStore trustStore, Instant now) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(auditDir, "audit-*.jsonl")) {
      listing.forEach(files::add);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(auditDir + " (no such audit folder; give the gateway's audit_dir)");
    }
    files.sort(Comparator.comparing(Path::toString));
    StrictJson json = new StrictJson();
    List<Epoch> epochs = new ArrayList<>();
    List<Call> calls = new ArrayList<>();
    Map<String, Path> fileOfEpoch = new HashMap<>();
    for (Path file : files) {
      Epoch epoch = readEpoch(file, json, calls);
      epochs.add(epoch);
      fileOfEpoch.put(epoch.epoch(), file);
    }
    calls.sort(Comparator.comparing(Call::time).thenComparing(Call::epoch).thenComparingLong(Call::index));
    return new AuditArchive(epochs, calls, readClaims(claimsDir, fileOfEpoch, json, trustStore, now));
  }

  private static Epoch readEpoch(Path file, StrictJson json, List<Call> calls) throws IOException {
    String name = file.getFileName().toString();
    String epochId = name.substring("audit-".length(), name.length() - ".jsonl".length());
    AuditLogReplay.Result replay = AuditLogReplay.replay(file);
    // Entries are shown even from a broken file, each read on its own: the page says the chain is broken.
    List<JsonNode> entries = new ArrayList<>();
    int unreadable = 0;
    try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.length() > AuditLogReplay.MAX_LINE_BYTES) {
          unreadable++;
          continue;
        }
        try {
          entries.add(json.parse(line.getBytes(StandardCharsets.UTF_8)));
        } catch (StrictJson.MalformedJsonException e) {
          unreadable++;
        }
      }
    }
    Map<Long, JsonNode> outcomes = new HashMap<>();
    for (JsonNode entry : entries) {
      // An outcome naming another epoch (decision_epoch: the log rotated while the call ran) answers a decision there.
      if (entry.path("type").asText().equals("outcome") && entry.path("decision_index").canConvertToLong()
          && entry.path("decision_epoch").isMissingNode()) {
        outcomes.put(entry.path("decision_index").asLong(), entry);
      }
    }
    for (JsonNode entry : entries) {
      if (entry.path("type").asText().equals("decision")) {
        call(epochId, entry, Optional.ofNullable(outcomes.get(entry.path("index").asLong(-1)))).ifPresent(calls::add);
      }
    }
    Optional<AuditLogReplay.Broken> broken =
        replay instanceof AuditLogReplay.Broken fault ? Optional.of(fault) : Optional.empty();
    return new Epoch(name, epochId, broken, entries.size(), unreadable);
  }

  private static Optional<Call> call(String epoch, JsonNode decision, Optional<JsonNode> outcome) {
    Instant time;
    try {
      time = Instant.parse(decision.path("time").asText());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
    List<String> policies = new ArrayList<>();
    decision.path("policies").forEach(id -> policies.add(id.asText()));
    Optional<Redactions> redactions = outcome.map(o -> o.path("redactions")).filter(JsonNode::isObject).map(r -> {
      List<String> paths = new ArrayList<>();
      r.path("paths").forEach(path -> paths.add(path.asText()));
      return new Redactions(r.path("count").asInt(), paths);
    });
    String workflow = decision.path("workflow_id").asText();
    return Optional.of(new Call(epoch, decision.path("index").asLong(), time, decision.path("session_id").asText(),
        text(decision, "principal").orElse(workflow), decision.path("tool").asText(),
        text(decision, "action").orElse("call_tool"), decision.path("decision").asText(), decision.path("enforced").asText(),
        text(decision, "cause"), policies, text(decision, "reason"), redactions, approval(decision),
        outcome.flatMap(o -> text(o, "outcome")), text(decision, "request_id"), text(decision, "trace_id")));
  }

  /** An approval, whatever shape its entry gives it: a word, or an object with a decision and who gave it. */
  private static Optional<String> approval(JsonNode decision) {
    JsonNode approval = decision.path("approval");
    if (approval.isTextual()) {
      return Optional.of(approval.asText());
    }
    if (approval.isObject()) {
      StringBuilder words = new StringBuilder();
      approval.properties().forEach(field -> {
        if (field.getValue().isValueNode() && !field.getValue().isNull()) {
          words.append(words.isEmpty() ? "" : ", ").append(field.getKey()).append(' ').append(field.getValue().asText());
        }
      });
      return Optional.of(words.toString());
    }
    return Optional.empty();
  }

  private static Optional<String> text(JsonNode entry, String field) {
    JsonNode value = entry.get(field);
    return value != null && value.isTextual() ? Optional.of(value.asText()) : Optional.empty();
  }

  private static List<ClaimStatus> readClaims(
      Path claimsDir, Map<String, Path> fileOfEpoch, StrictJson json, TrustStore trustStore, Instant now) throws IOException {
    if (!Files.isDirectory(claimsDir)) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(claimsDir, "*.json")) {
      for (Path file : listing) {
        if (files.size() == MAX_CLAIMS) {
          break;
        }
        files.add(file);
      }
    }
    files.sort(Comparator.comparing(Path::toString));
    List<ClaimStatus> claims = new ArrayList<>();
    for (Path file : files) {
      claims.add(claim(file, fileOfEpoch, json, trustStore, now));
    }
    return claims;
  }

  private static ClaimStatus claim(Path file, Map<String, Path> fileOfEpoch, StrictJson json, TrustStore trustStore, Instant now) {
    String name = file.getFileName().toString();
    byte[] bytes;
    JsonNode claim;
    try {
      bytes = BoundedRead.read(file, MAX_CLAIM_BYTES, "a claim");
      claim = json.parse(bytes);
    } catch (IOException | StrictJson.MalformedJsonException e) {
      return new ClaimStatus(name, "", "", Optional.empty(), Optional.empty(), Optional.of("cannot read: " + e.getMessage()));
    }
    String session = claim.path("gateway").path("session_id").asText();
    String epoch = claim.path("gateway").path("audit_chain").path("epoch").asText();
    // As of its issue time: a claim's exp is minutes after its iat, and a page of history would
    // otherwise call every claim but the newest stale.
    JsonNode iat = claim.path("trace").path("iat");
    Instant asOf = iat.canConvertToLong() ? Instant.ofEpochSecond(iat.asLong()) : now;
    VerificationOptions options = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, asOf).withTrustStore(trustStore);
    Path log = fileOfEpoch.get(epoch);
    if (log != null) {
      options = options.withAuditLog(log);
    }
    VerificationReport report = ClaimVerifier.verify(bytes, options);
    Optional<Check<CheckName>> failed =
        report.checks().stream().filter(check -> check.status() == CheckStatus.FAIL).findFirst();
    Optional<String> problem = log == null ? Optional.of("its epoch " + epoch + " has no audit file in this folder") : Optional.empty();
    return new ClaimStatus(name, session, epoch, Optional.of(report.result()), failed, problem);
  }
}
