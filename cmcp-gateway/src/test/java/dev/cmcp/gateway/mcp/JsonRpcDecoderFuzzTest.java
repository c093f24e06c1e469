package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.StrictJson;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Request bodies from any agent: decoding either classifies the body or refuses it with a
 * JSON-RPC error, and never throws anything else. For every tools/call it accepts, the policy
 * sees exactly what is forwarded: the arguments it evaluates are the forwarded arguments, the
 * tool name it evaluates is the one sent, {@code _cmcp} stays with the gateway, and nothing else
 * is added or lost; the bytes sent upstream read back as the same values, and the arguments have
 * the canonical form the audit log hashes. Each call is read inside and outside a session, with
 * and without a workflow header, since {@code _cmcp} is checked against both.
 */
class JsonRpcDecoderFuzzTest {

  /** Far above any real request; bounds the work one input can cost. */
  private static final int MAX_BODY_BYTES = 256 * 1024;
  private static final Set<String> REQUEST_MEMBERS = Set.of("jsonrpc", "id", "method", "params");
  private static final List<Optional<String>> SESSIONS = List.of(Optional.empty(), Optional.of("session-1"));
  private static final List<Optional<String>> WORKFLOW_HEADERS = List.of(Optional.empty(), Optional.of("workflow-1"));

  /**
   * Jackson writes a number in its shortest form, so the upstream reads 0E+400 as 0 and 42.0 as
   * 42 (fuzzing found the first): the same value. That the policy too sees one form per value,
   * whatever the spelling, is CedarValues' rule and tested there.
   */
  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) ->
      a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;

  private final StrictJson json = new StrictJson();
  private final JsonRpcDecoder decoder = new JsonRpcDecoder(json);

  @FuzzTest
  void policySeesExactlyWhatIsForwarded(byte[] body) throws Exception {
    if (body.length > MAX_BODY_BYTES) {
      return;
    }
    JsonRpcMessage message;
    try {
      message = decoder.decode(body);
    } catch (JsonRpcException refused) {
      assertThat(refused.httpStatus()).isEqualTo(400);
      assertThat(refused.error().message()).isNotBlank();
      return;
    }
    switch (message) {
      case JsonRpcMessage.Request request -> {
        assertThat(request.id().isTextual() || request.id().isIntegralNumber()).as("id %s", request.id()).isTrue();
        assertThat(request.method()).isNotEmpty();
        assertThat(REQUEST_MEMBERS).containsAll(() -> request.raw().fieldNames());
        if (request.method().equals("tools/call")) {
          for (Optional<String> session : SESSIONS) {
            for (Optional<String> workflow : WORKFLOW_HEADERS) {
              checkToolCall(request, session, workflow);
            }
          }
        }
      }
      case JsonRpcMessage.Notification notification -> assertThat(notification.method()).isNotEmpty();
      case JsonRpcMessage.Response response ->
          assertThat(response.id().isTextual() || response.id().isIntegralNumber()).as("id %s", response.id()).isTrue();
    }
  }

  private void checkToolCall(JsonRpcMessage.Request request, Optional<String> session, Optional<String> workflow)
      throws Exception {
    ObjectNode sent = request.params().deepCopy();
    ToolCall call;
    try {
      call = ToolCall.parse(request.id(), request.params(), session, workflow);
    } catch (JsonRpcException refused) {
      // A bad tools/call is answered in JSON-RPC, inside an HTTP 200.
      assertThat(refused.httpStatus()).isEqualTo(200);
      assertThat(refused.id()).isEqualTo(request.id());
      return;
    }
    ObjectNode forwarded = call.forwardParams();

    assertThat(forwarded.has("_cmcp")).as("_cmcp is forwarded").isFalse();
    ObjectNode sentWithoutCmcp = sent.deepCopy();
    sentWithoutCmcp.remove("_cmcp");
    assertThat(forwarded).as("forwarded params are the agent's, minus _cmcp").isEqualTo(sentWithoutCmcp);
    assertThat(forwarded.toString()).isEqualTo(sentWithoutCmcp.toString());

    assertThat(call.toolName()).as("the evaluated tool name").isEqualTo(sent.get("name").textValue());
    assertThat(forwarded.get("name").textValue()).isEqualTo(call.toolName());

    JsonNode forwardedArguments = forwarded.get("arguments");
    if (forwardedArguments == null) {
      assertThat(call.arguments()).as("no arguments sent, none evaluated").isEmpty();
    } else {
      assertThat(call.arguments()).as("the evaluated arguments").isEqualTo(forwardedArguments);
      assertThat(call.arguments().toString()).isEqualTo(forwardedArguments.toString());
    }
    // The upstream connections write with this mapper; the upstream must read what was evaluated.
    JsonNode received = json.parse(json.mapper().writeValueAsBytes(forwarded));
    assertThat(received.equals(NUMBERS_BY_VALUE, forwarded)).as("the upstream reads %s", received).isTrue();
    // The pipeline hashes the canonical arguments into the audit log before forwarding.
    assertThat(CanonicalJson.bytes(call.arguments())).isNotEmpty();
    assertThat(request.params()).as("parsing leaves the request as received").isEqualTo(sent);
    session.ifPresent(id -> assertThat(call.sessionId()).isEqualTo(id));
  }
}
