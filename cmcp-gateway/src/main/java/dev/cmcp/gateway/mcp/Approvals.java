package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.policy.DenialCause;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks a person, through the agent's MCP client, to approve one call (a permit's {@code
 * @require_approval}). The question is an {@code elicitation/create} request put to the client on
 * the call's own answer stream, the way requests of upstream servers are relayed ({@link
 * CallStream}), so it is audited (by digest) and answered the same way; only {@code accept}
 * approves.
 */
final class Approvals {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Arguments longer than this are cut in the question: it is read by a person, not parsed. */
  private static final int MAX_ARGUMENTS_SHOWN = 2000;

  private Approvals() {}

  /** How the question was answered. */
  enum Answer {
    ACCEPTED("accepted", null),
    DECLINED("declined", DenialCause.APPROVAL_DECLINED),
    CANCELLED("cancelled", DenialCause.APPROVAL_CANCELLED),
    TIMEOUT("timeout", DenialCause.APPROVAL_TIMEOUT),
    UNAVAILABLE("unavailable", DenialCause.APPROVAL_UNAVAILABLE);

    final String word;
    /** The denial cause when not accepted; null for {@link #ACCEPTED}. */
    final DenialCause cause;

    Answer(String word, DenialCause cause) {
      this.word = word;
      this.cause = cause;
    }
  }

  /**
   * One question and its answer.
   *
   * @param questionSha256 hex SHA-256 of the canonical JSON of the elicitation params
   * @param contentSha256 hex SHA-256 of the canonical JSON of the answer's content, if it had one
   */
  record Asked(Answer answer, String questionSha256, Optional<String> contentSha256) {}

  /**
   * Puts the question to the client of the call's session and waits for the answer, at most
   * {@code timeout}.
   *
   * @param what the call, as a person reads it: {@code tool crm.export}
   * @param reason the {@code @require_approval} text
   */
  static Asked ask(CallStream stream, String what, String principal, String reason, JsonNode arguments, Duration timeout) {
    ObjectNode params = NODES.objectNode();
    String shown = arguments == null ? "{}" : arguments.toString();
    if (shown.length() > MAX_ARGUMENTS_SHOWN) {
      shown = shown.substring(0, MAX_ARGUMENTS_SHOWN) + "...";
    }
    params.put("message", "Approve this call? Agent " + principal + " asks for " + what + ". Why approval is needed: "
        + reason + ". Arguments: " + shown);
    params.putObject("requestedSchema").put("type", "object").putObject("properties");
    String questionSha256 = Digests.sha256Hex(CanonicalJson.bytes(params));
    ObjectNode request = NODES.objectNode().put("jsonrpc", "2.0").put("id", 0).put("method", "elicitation/create");
    request.set("params", params);
    CompletableFuture<ObjectNode> answered = new CompletableFuture<>();
    if (!stream.ask(request, answered::complete)) {
      return new Asked(Answer.UNAVAILABLE, questionSha256, Optional.empty());
    }
    ObjectNode response;
    try {
      response = answered.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return new Asked(Answer.TIMEOUT, questionSha256, Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Asked(Answer.UNAVAILABLE, questionSha256, Optional.empty());
    } catch (ExecutionException e) {
      return new Asked(Answer.UNAVAILABLE, questionSha256, Optional.empty());
    }
    JsonNode result = response.get("result");
    if (result == null || !result.isObject()) {
      return new Asked(Answer.UNAVAILABLE, questionSha256, Optional.empty());
    }
    JsonNode content = result.get("content");
    Optional<String> contentSha256 = content == null || content.isNull()
        ? Optional.empty()
        : Optional.of(Digests.sha256Hex(CanonicalJson.bytes(content)));
    Answer answer = switch (result.path("action").asText("")) {
      case "accept" -> Answer.ACCEPTED;
      case "decline" -> Answer.DECLINED;
      case "cancel" -> Answer.CANCELLED;
      default -> Answer.UNAVAILABLE;
    };
    return new Asked(answer, questionSha256, contentSha256);
  }
}
