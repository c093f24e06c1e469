package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;

/** The JSON-RPC 2.0 messages the gateway exchanges with upstreams, as Jackson trees. */
final class JsonRpc {
  static final int METHOD_NOT_FOUND = -32601;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * Reads only the top level of an oversized message. Its parser skips string values it is not
   * asked for without buffering them, so scanning a huge answer for its id takes little memory.
   */
  private static final JsonFactory ENVELOPE_SCANNER =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxStringLength(1024).maxNumberLength(100).build())
          .build();

  private JsonRpc() {}

  /** A message received from an upstream, sorted by what the gateway must do with it. */
  sealed interface Incoming {
    /** The answer to one of the gateway's requests. */
    record Response(JsonNode id, ObjectNode message) implements Incoming {}

    /** A request from the server to the gateway (ping, sampling, ...), which needs an answer. */
    record ServerRequest(JsonNode id, String method, ObjectNode message) implements Incoming {}

    record Notification(String method, ObjectNode message) implements Incoming {}

    /** Valid JSON, but not a JSON-RPC message. */
    record Unrecognised() implements Incoming {}
  }

  static Incoming classify(JsonNode message) {
    if (!(message instanceof ObjectNode object)) {
      return new Incoming.Unrecognised();
    }
    JsonNode method = object.get("method");
    JsonNode id = object.get("id");
    boolean hasId = id != null && !id.isNull();
    if (method != null) {
      if (!method.isTextual()) {
        return new Incoming.Unrecognised();
      }
      return hasId
          ? new Incoming.ServerRequest(id, method.asText(), object)
          : new Incoming.Notification(method.asText(), object);
    }
    if (id != null && (object.has("result") != object.has("error"))) {
      return new Incoming.Response(id, object);
    }
    return new Incoming.Unrecognised();
  }

  static ObjectNode request(long id, String method, JsonNode params) {
    ObjectNode message = NODES.objectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null && !params.isNull()) {
      message.set("params", params);
    }
    return message;
  }

  static ObjectNode notification(String method, JsonNode params) {
    ObjectNode message = NODES.objectNode().put("jsonrpc", "2.0").put("method", method);
    if (params != null) {
      message.set("params", params);
    }
    return message;
  }

  /** Tells the server to stop working on a request the gateway no longer waits for. */
  static ObjectNode cancelled(long id, String reason) {
    return notification(
        "notifications/cancelled", NODES.objectNode().put("requestId", id).put("reason", reason));
  }

  /** A refusal of the server's request, with the reason it was refused. */
  static ObjectNode refusal(Incoming.ServerRequest request, String reason) {
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", request.id());
    answer.putObject("error").put("code", METHOD_NOT_FOUND).put("message", reason);
    return answer;
  }

  /**
   * The gateway's own answer to a server's request that no agent is asked: ping is answered,
   * everything else (sampling or elicitation no agent can take, roots) is "method not found".
   */
  static ObjectNode answer(Incoming.ServerRequest request) {
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", request.id());
    if (request.method().equals("ping")) {
      answer.set("result", NODES.objectNode());
    } else {
      answer
          .putObject("error")
          .put("code", METHOD_NOT_FOUND)
          .put("message", "the cMCP gateway does not offer " + request.method() + " to upstream servers");
    }
    return answer;
  }

  /**
   * The agent's response to a relayed request, as the server gets it: under the server's own
   * id, with only {@code result} or a well-formed {@code error}, so nothing else the agent wrote
   * reaches the server.
   */
  static ObjectNode agentReply(JsonNode serverId, ObjectNode agentResponse) {
    ObjectNode reply = NODES.objectNode().put("jsonrpc", "2.0");
    reply.set("id", serverId);
    JsonNode result = agentResponse.get("result");
    JsonNode error = agentResponse.get("error");
    if (result instanceof ObjectNode) {
      reply.set("result", result);
    } else if (error != null && error.path("code").isIntegralNumber() && error.path("message").isTextual()) {
      ObjectNode copy = reply.putObject("error").put("code", error.get("code").intValue()).put("message", error.get("message").asText());
      if (error.has("data")) {
        copy.set("data", error.get("data"));
      }
    } else {
      reply.putObject("error").put("code", -32603).put("message", "the agent answered with neither a result object nor a valid error");
    }
    return reply;
  }

  /** The gateway's ids are numbers; anything else cannot answer one of its requests. */
  static Long gatewayId(JsonNode id) {
    return id != null && id.isIntegralNumber() && id.canConvertToLong() ? id.longValue() : null;
  }

  /** The top-level id and whether a method is present, of a message read without keeping it. */
  record Envelope(JsonNode id, boolean hasMethod) {
    /** True when this could be the answer to the gateway's request {@code id}. */
    boolean answers(Long gatewayId) {
      return !hasMethod && gatewayId != null && gatewayId.equals(JsonRpc.gatewayId(id));
    }
  }

  /**
   * Scans one message's top level for {@code id} and {@code method}, skipping every other value
   * unread. Used for messages too large or too malformed to parse into a tree; whatever was found
   * before a parse error is kept.
   */
  static Envelope envelope(InputStream message) {
    JsonNode id = null;
    boolean hasMethod = false;
    try (JsonParser parser = ENVELOPE_SCANNER.createParser(message)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return new Envelope(null, false);
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (name.equals("id") && value == JsonToken.VALUE_NUMBER_INT) {
          id = LongNode.valueOf(parser.getLongValue());
        } else if (name.equals("id") && value == JsonToken.VALUE_STRING) {
          id = TextNode.valueOf(parser.getText());
        } else if (name.equals("method")) {
          hasMethod = true;
        }
        parser.skipChildren();
      }
    } catch (IOException e) {
      // Malformed or out of bounds: keep what was found before the bad part.
    }
    return new Envelope(id, hasMethod);
  }
}
