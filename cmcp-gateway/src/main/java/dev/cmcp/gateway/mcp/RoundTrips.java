package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pending multi round-trip requests of MCP 2026-07-28 clients ({@link RoundTrip}), and the
 * {@code requestState} that continues one.
 *
 * <p>The state is {@code base64url(payload).base64url(HMAC-SHA256(payload))} under a key drawn
 * at start and never written anywhere: the payload names the round trip and its round, the
 * caller it was given to (a digest), a digest of the request it continues, and its expiry. The
 * revision says to treat the state as attacker-controlled: a state that fails the MAC, has
 * expired, is presented by another caller or on another request, or was used already is
 * refused, and nothing in it decides policy: the decision was made on the original call and is
 * held here, in memory, with the call itself. A restart forgets every pending round trip.
 *
 * <p>Bounded: at most {@value #MAX_PER_PRINCIPAL} pending round trips per caller and
 * {@value #MAX_TOTAL} in all (an upstream's question beyond them is refused to the upstream), and
 * each round's answer within the answer timeout, after which the upstream's questions get an error.
 */
final class RoundTrips {

  static final int MAX_PER_PRINCIPAL = 16;
  static final int MAX_TOTAL = 256;
  /**
   * What begins every state the gateway issues for its own round trips. An upstream's own (a
   * 2026-07-28 server's {@code input_required}) is sealed instead ({@link #UPSTREAM_PREFIX}).
   */
  static final String PREFIX = "cmcp1:";
  /** What begins a state that seals an upstream's own ({@link #sealUpstream}). */
  static final String UPSTREAM_PREFIX = "cmcpu1:";
  /** A sealed upstream state longer than this is refused before it is decoded (a server's state, base64'd, with the seal). */
  static final int MAX_UPSTREAM_STATE_CHARS = 256 * 1024;
  /** A state longer than this is refused before it is decoded: the gateway's own are far shorter. */
  static final int MAX_STATE_CHARS = 1024;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** Why a retry's {@code requestState} is refused: a word for the error's data, and the message. */
  record Refusal(String word, String message) {}

  /** A verified state: the round trip it continues, and which of its rounds. */
  record Continuation(RoundTrip roundTrip, int round) {}

  private final Clock clock;
  private final Duration answerTimeout;
  private final byte[] key = new byte[32];
  private final SecureRandom random = new SecureRandom();
  private final Map<String, RoundTrip> pending = new ConcurrentHashMap<>();
  /** Guarded by {@code this}, with {@link #pending}'s size as the total. */
  private final Map<String, Integer> perPrincipal = new HashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "cmcp-round-trip-expiry");
    thread.setDaemon(true);
    return thread;
  });

  /** @param answerTimeout how long a client has to retry with its answers, each round */
  RoundTrips(Clock clock, Duration answerTimeout) {
    this.clock = clock;
    this.answerTimeout = answerTimeout;
    random.nextBytes(key);
  }

  Duration answerTimeout() {
    return answerTimeout;
  }

  /** A new round trip for a call by {@code principal}; it counts against the bounds only once it asks. */
  RoundTrip begin(String principal, String requestSha256, AgentCapabilities capabilities) {
    byte[] id = new byte[16];
    random.nextBytes(id);
    return new RoundTrip("cmcp-rt-" + B64.encodeToString(id), principal, requestSha256, capabilities, this);
  }

  synchronized boolean register(RoundTrip roundTrip) {
    if (pending.size() >= MAX_TOTAL || perPrincipal.getOrDefault(roundTrip.principal(), 0) >= MAX_PER_PRINCIPAL) {
      return false;
    }
    pending.put(roundTrip.id(), roundTrip);
    perPrincipal.merge(roundTrip.principal(), 1, Integer::sum);
    return true;
  }

  synchronized void unregister(RoundTrip roundTrip) {
    if (pending.remove(roundTrip.id(), roundTrip)) {
      perPrincipal.computeIfPresent(roundTrip.principal(), (principal, count) -> count > 1 ? count - 1 : null);
    }
  }

  /** How many round trips wait for their clients now. */
  int pendingCount() {
    return pending.size();
  }

  void expireLater(RoundTrip roundTrip, int round) {
    // Nothing waits on it: expire() answers the upstream itself, and cannot throw.
    var unused = timer.schedule(() -> roundTrip.expire(round, "the client did not answer the input_required result within "
        + answerTimeout.toSeconds() + " s (approval_timeout_seconds); the call was abandoned"), answerTimeout.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** The state that continues {@code round} of {@code roundTrip}, good until the answer timeout passes. */
  String state(RoundTrip roundTrip, int round) {
    ObjectNode payload = NODES.objectNode()
        .put("v", 1)
        .put("rt", roundTrip.id())
        .put("round", round)
        .put("principal", Digests.sha256Hex(roundTrip.principal().getBytes(StandardCharsets.UTF_8)))
        .put("request", roundTrip.requestSha256())
        .put("exp", clock.millis() + answerTimeout.toMillis());
    byte[] bytes = CanonicalJson.bytes(payload);
    return PREFIX + B64.encodeToString(bytes) + "." + B64.encodeToString(mac(bytes));
  }

  /** Whether a retry's {@code requestState} is for the gateway to check (anything but an upstream's own string). */
  static boolean isGateways(JsonNode state) {
    return !state.isTextual() || state.asText().startsWith(PREFIX);
  }

  /**
   * The round trip a retry's {@code requestState} continues, checked: issued by this gateway and
   * unchanged, not expired, presented by the caller it was given to on the request it was given for,
   * and still pending.
   */
  Continuation resolve(String given, String principal, String requestSha256) throws RefusedState {
    if (given.length() > MAX_STATE_CHARS || !given.startsWith(PREFIX)) {
      throw forged();
    }
    String state = given.substring(PREFIX.length());
    int dot = state.indexOf('.');
    if (dot < 1 || dot != state.lastIndexOf('.')) {
      throw forged();
    }
    byte[] payload;
    byte[] tag;
    try {
      payload = Base64.getUrlDecoder().decode(state.substring(0, dot));
      tag = Base64.getUrlDecoder().decode(state.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw forged();
    }
    if (!MessageDigest.isEqual(mac(payload), tag)) {
      throw forged();
    }
    JsonNode fields;
    try {
      fields = MAPPER.readTree(payload);
    } catch (IOException e) {
      throw forged();
    }
    if (fields.path("exp").asLong(0) < clock.millis()) {
      throw new RefusedState(new Refusal("request_state_expired", "requestState has expired (answers are taken for "
          + answerTimeout.toSeconds() + " s); call the tool again without it"));
    }
    if (!fields.path("principal").asText().equals(Digests.sha256Hex(principal.getBytes(StandardCharsets.UTF_8)))) {
      throw new RefusedState(new Refusal("request_state_mismatch", "requestState was given to another caller"));
    }
    if (!fields.path("request").asText().equals(requestSha256)) {
      throw new RefusedState(new Refusal("request_state_mismatch",
          "requestState belongs to another request: a retry must repeat the original tool name and arguments"));
    }
    RoundTrip roundTrip = pending.get(fields.path("rt").asText());
    if (roundTrip == null) {
      throw new RefusedState(new Refusal("request_state_expired",
          "the call this requestState continues has ended (its answer timeout passed, or the gateway restarted); call the tool again"));
    }
    return new Continuation(roundTrip, fields.path("round").asInt());
  }

  /**
   * The {@code requestState} the client gets for an upstream's own {@code input_required} result
   * (a 2026-07-28 server's): the server's state sealed under the gateway's key with the caller
   * (a digest), the method and the tool or prompt name, so that another caller cannot present it
   * and no caller can alter it; {@link #openUpstream} gives the server's state back for the retry.
   * It does not make the state single-use: what a server's state allows on a repeated retry is the
   * server's to decide, and each retry is decided by the policy anew.
   */
  String sealUpstream(String upstreamState, String principal, String method, String name) {
    ObjectNode payload = NODES.objectNode()
        .put("v", 1)
        .put("state", upstreamState)
        .put("principal", Digests.sha256Hex(principal.getBytes(StandardCharsets.UTF_8)))
        .put("method", method)
        .put("name", name);
    byte[] bytes = CanonicalJson.bytes(payload);
    return UPSTREAM_PREFIX + B64.encodeToString(bytes) + "." + B64.encodeToString(mac(upstreamDomain(bytes)));
  }

  /** The upstream's state inside a state of {@link #sealUpstream}, checked: unaltered, and presented by its caller for its method and name. */
  String openUpstream(String given, String principal, String method, String name) throws RefusedState {
    if (given.length() > MAX_UPSTREAM_STATE_CHARS || !given.startsWith(UPSTREAM_PREFIX)) {
      throw forged();
    }
    String state = given.substring(UPSTREAM_PREFIX.length());
    int dot = state.indexOf('.');
    if (dot < 1 || dot != state.lastIndexOf('.')) {
      throw forged();
    }
    byte[] payload;
    byte[] tag;
    try {
      payload = Base64.getUrlDecoder().decode(state.substring(0, dot));
      tag = Base64.getUrlDecoder().decode(state.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw forged();
    }
    if (!MessageDigest.isEqual(mac(upstreamDomain(payload)), tag)) {
      throw forged();
    }
    JsonNode fields;
    try {
      fields = MAPPER.readTree(payload);
    } catch (IOException e) {
      throw forged();
    }
    if (!fields.path("principal").asText().equals(Digests.sha256Hex(principal.getBytes(StandardCharsets.UTF_8)))) {
      throw new RefusedState(new Refusal("request_state_mismatch", "requestState was given to another caller"));
    }
    if (!fields.path("method").asText().equals(method) || !fields.path("name").asText().equals(name)) {
      throw new RefusedState(new Refusal("request_state_mismatch",
          "requestState belongs to another request: a retry must repeat the original method and name"));
    }
    return fields.path("state").asText();
  }

  /** Whether a retry's {@code requestState} continues an upstream's own round trip ({@link #sealUpstream}). */
  static boolean isUpstreams(JsonNode state) {
    return state.isTextual() && state.asText().startsWith(UPSTREAM_PREFIX);
  }

  /** Keeps the two kinds of state apart under the one key: neither's tag verifies the other's payload. */
  private static byte[] upstreamDomain(byte[] payload) {
    byte[] label = "cmcp upstream state\n".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[label.length + payload.length];
    System.arraycopy(label, 0, bytes, 0, label.length);
    System.arraycopy(payload, 0, bytes, label.length, payload.length);
    return bytes;
  }

  private static RefusedState forged() {
    return new RefusedState(new Refusal("request_state_invalid",
        "requestState was not issued by this gateway or was altered; echo the exact value of the latest input_required result"));
  }

  private byte[] mac(byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /** A {@code requestState} the gateway will not continue. */
  static final class RefusedState extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Refusal refusal;

    RefusedState(Refusal refusal) {
      super(refusal.message());
      this.refusal = refusal;
    }

    Refusal refusal() {
      return refusal;
    }
  }
}
