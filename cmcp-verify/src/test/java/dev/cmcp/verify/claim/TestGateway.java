package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.audit.AuditEntry;
import dev.cmcp.verify.audit.MerkleTree;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes an audit log and issues signed claims the way the gateway does, from the formats of
 * docs/spec/audit-log.md and docs/spec/verification-library.md, so the verifier is tested against what it will really be given.
 */
public final class TestGateway {

  public static final String BUNDLE_HASH = "sha256:" + "ab".repeat(32);
  public static final String CATALOG_HASH = "sha256:" + "cd".repeat(32);
  public static final String MEASUREMENT = "ef".repeat(32);
  public static final String EPOCH = "20261125T100000Z-0badcafe";
  public static final Instant BOOT = Instant.parse("2026-11-25T10:00:00Z");
  /** Claims are issued a minute after boot and are valid for an hour. */
  public static final Instant ISSUED = BOOT.plusSeconds(60);
  public static final Instant EXPIRES = ISSUED.plusSeconds(3600);

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Path log;
  private final ClaimSigner signer;
  private final List<ObjectNode> entries = new ArrayList<>();
  private final MerkleTree tree = new MerkleTree();

  public TestGateway(Path dir) {
    try {
      signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    log = dir.resolve("audit-" + EPOCH + ".jsonl");
    ObjectNode genesis = entry("genesis");
    genesis.put("gateway_version", "0.1.0");
    genesis.put("platform", "software");
    genesis.put("measurement", MEASUREMENT);
    genesis.put("bundle_hash", BUNDLE_HASH);
    genesis.put("catalog_hash", CATALOG_HASH);
    genesis.put("enforcement_mode", "enforcing");
    genesis.put("key_thumbprint", signer.jwk().thumbprint());
    genesis.putNull("previous_epoch");
    append(genesis);
  }

  /**
   * Two sessions interleaved: s1 calls contacts (answered), is denied export_all, calls
   * contacts again (upstream fails); s2 calls contacts once.
   */
  public static TestGateway withTwoSessions(Path dir) {
    TestGateway gateway = new TestGateway(dir);
    int first = gateway.decide("s1", "crm.contacts", "allow", "forwarded", "allow-contacts");
    int other = gateway.decide("s2", "crm.contacts", "allow", "forwarded", "allow-contacts");
    gateway.outcome(first, "ok", "11".repeat(32));
    gateway.outcome(other, "ok", "22".repeat(32));
    gateway.decide("s1", "crm.export_all", "deny", "blocked", "forbid-export");
    int third = gateway.decide("s1", "crm.contacts", "allow", "forwarded", "allow-contacts");
    gateway.outcome(third, "upstream_error", null);
    return gateway;
  }

  public int decide(String session, String tool, String decision, String enforced, String... policies) {
    ObjectNode entry = entry("decision");
    entry.put("session_id", session);
    entry.put("workflow_id", "demo-agent");
    entry.put("tool", tool);
    entry.put("decision", decision);
    entry.put("enforced", enforced);
    if (decision.equals("deny")) {
      entry.put("cause", "forbidden_by_policy");
    } else {
      entry.putNull("cause");
    }
    ArrayNode ids = entry.putArray("policies");
    for (String id : policies) {
      ids.add(id);
    }
    entry.put("arguments_sha256", Digests.sha256Hex(("{\"query\":\"" + entries.size() + "\"}").getBytes(StandardCharsets.UTF_8)));
    entry.put("bundle_hash", BUNDLE_HASH);
    entry.put("mode", "enforcing");
    return append(entry);
  }

  public int outcome(int decisionIndex, String outcome, String resultSha256) {
    ObjectNode decision = entries.get(decisionIndex);
    ObjectNode entry = entry("outcome");
    entry.put("decision_index", decisionIndex);
    entry.put("session_id", decision.get("session_id").asText());
    entry.put("tool", decision.get("tool").asText());
    entry.put("outcome", outcome);
    entry.put("result_sha256", resultSha256);
    entry.putNull("redactions");
    return append(entry);
  }

  public Path log() {
    return log;
  }

  public int length() {
    return entries.size();
  }

  public String entryHash(int index) {
    return AuditEntry.entryHashHex(entries.get(index));
  }

  public List<String> proof(int index, int size) {
    return tree.inclusionProof(index, size).stream().map(HexFormat.of()::formatHex).toList();
  }

  /** The signed claim for {@code session} over the log as it is now. */
  public ObjectNode claim(String session) {
    return sign(unsignedClaim(session));
  }

  public ObjectNode sign(ObjectNode claim) {
    return signer.sign(claim);
  }

  public ObjectNode unsignedClaim(String session) {
    int length = entries.size();
    ObjectNode claim = NODES.objectNode();
    ObjectNode trace = claim.putObject("trace");
    trace.put("eat_profile", GatewayClaim.EAT_PROFILE);
    trace.put("iat", ISSUED.getEpochSecond());
    trace.put("exp", EXPIRES.getEpochSecond());
    Binding binding = Binding.of(BUNDLE_HASH, CATALOG_HASH, "enforcing", signer.jwk().thumbprint());
    trace.set("runtime", SoftwareEvidence.create(binding, MEASUREMENT, BOOT));
    ObjectNode policy = trace.putObject("policy");
    policy.put("bundle_hash", BUNDLE_HASH);
    policy.put("catalog_hash", CATALOG_HASH);
    policy.put("enforcement_mode", "enforcing");
    trace.putObject("cnf").set("jwk", signer.jwk().toJson());

    ObjectNode gateway = claim.putObject("gateway");
    gateway.put("session_id", session);
    gateway.put("workflow_id", "demo-agent");
    ObjectNode chain = gateway.putObject("audit_chain");
    chain.put("epoch", EPOCH);
    chain.put("root", HexFormat.of().formatHex(tree.root(length)));
    chain.put("tip", entryHash(length - 1));
    chain.put("length", length);
    ArrayNode calls = gateway.putArray("calls");
    for (int i = 0; i < length; i++) {
      ObjectNode entry = entries.get(i);
      if (entry.get("type").asText().equals("decision") && entry.get("session_id").asText().equals(session)) {
        calls.add(call(i, length));
      }
    }
    return claim;
  }

  private ObjectNode call(int index, int length) {
    ObjectNode decision = entries.get(index);
    ObjectNode call = NODES.objectNode();
    call.put("index", index);
    for (String field : List.of("tool", "decision", "enforced")) {
      call.set(field, decision.get(field));
    }
    call.set("policies", decision.get("policies"));
    call.set("bundle_hash", decision.get("bundle_hash"));
    call.set("arguments_sha256", decision.get("arguments_sha256"));
    call.put("entry_sha256", entryHash(index));
    call.set("inclusion_proof", strings(proof(index, length)));
    int outcome = outcomeOf(index, length);
    if (outcome < 0) {
      call.putNull("result_sha256");
      call.putNull("outcome_index");
      call.putNull("outcome_entry_sha256");
      call.putNull("outcome_inclusion_proof");
    } else {
      call.set("result_sha256", entries.get(outcome).get("result_sha256"));
      call.put("outcome_index", outcome);
      call.put("outcome_entry_sha256", entryHash(outcome));
      call.set("outcome_inclusion_proof", strings(proof(outcome, length)));
    }
    return call;
  }

  private int outcomeOf(int decisionIndex, int length) {
    for (int i = decisionIndex + 1; i < length; i++) {
      JsonNode entry = entries.get(i);
      if (entry.get("type").asText().equals("outcome") && entry.get("decision_index").asInt() == decisionIndex) {
        return i;
      }
    }
    return -1;
  }

  private ObjectNode entry(String type) {
    ObjectNode entry = NODES.objectNode();
    entry.put("index", entries.size());
    entry.put("type", type);
    entry.put("time", TIME.format(BOOT.plusMillis(1500L * entries.size())));
    entry.put("epoch", EPOCH);
    entry.put("prev", entries.isEmpty() ? AuditEntry.NO_PREDECESSOR : entryHash(entries.size() - 1));
    return entry;
  }

  private int append(ObjectNode entry) {
    try {
      Files.write(log, AuditEntry.line(entry), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    entries.add(entry);
    tree.append(AuditEntry.entryHash(entry));
    return entries.size() - 1;
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = NODES.arrayNode();
    values.forEach(array::add);
    return array;
  }

  /** The bytes of a claim file, as a gateway would write it. */
  public static byte[] bytes(JsonNode claim) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(claim);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
