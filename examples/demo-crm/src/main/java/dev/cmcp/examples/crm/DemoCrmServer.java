package dev.cmcp.examples.crm;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * A small MCP server over stdio that stands in for a CRM such as Salesforce, so the cMCP
 * quickstart runs with no outside service. Messages are newline-delimited JSON-RPC 2.0 on
 * stdin and stdout; stdout carries nothing else, and diagnostics go to stderr.
 *
 * <p>When the environment variable {@code DEMO_CRM_CALL_LOG} names a file, each tools/call that
 * reaches this server appends the tool's name to it (never the arguments). Tests read it to
 * prove that a call the gateway denied never arrived here.
 */
public final class DemoCrmServer {
  static final List<String> SUPPORTED_PROTOCOL_VERSIONS = List.of("2025-06-18", "2025-11-25", "2025-03-26");
  static final String FALLBACK_PROTOCOL_VERSION = "2025-06-18";
  static final String CALL_LOG_VARIABLE = "DEMO_CRM_CALL_LOG";

  private final ObjectMapper json;
  private final CrmTools tools;
  private final Optional<Path> callLog;

  public DemoCrmServer(ContactDirectory directory, Optional<Path> callLog) {
    // Duplicate keys are refused so that this server reads a message the way a strict gateway does.
    this.json = new ObjectMapper()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.tools = new CrmTools(directory, json);
    this.callLog = callLog;
  }

  public static void main(String[] args) throws IOException {
    Optional<Path> callLog = Optional.ofNullable(System.getenv(CALL_LOG_VARIABLE))
        .filter(value -> !value.isBlank())
        .map(Path::of);
    if (callLog.isPresent()) {
      // Created up front: an empty file then means "started, no calls", and a bad path fails now.
      Files.write(callLog.get(), new byte[0], StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    System.err.println("cmcp-demo-crm: serving MCP over stdio with fictional contacts");
    new DemoCrmServer(ContactDirectory.fictional(), callLog).serve(System.in, System.out);
  }

  /** Answers one message per input line, in order, until the input ends. */
  public void serve(InputStream in, OutputStream out) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, UTF_8));
    Writer writer = new BufferedWriter(new OutputStreamWriter(out, UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      Optional<ObjectNode> answer = handleLine(line);
      if (answer.isPresent()) {
        // Compact JSON escapes every line break inside strings, so one answer is one line.
        writer.write(answer.get().toString());
        writer.write('\n');
        writer.flush();
      }
    }
    writer.flush();
  }

  /** The answer to one line of input; empty for notifications and for responses sent to us. */
  Optional<ObjectNode> handleLine(String line) {
    JsonNode message;
    try {
      message = json.readTree(line);
    } catch (JsonProcessingException e) {
      return Optional.of(error(NullNode.getInstance(), JsonRpcException.PARSE_ERROR,
          "Parse error: each line must hold one JSON-RPC message (" + e.getOriginalMessage() + ")"));
    }
    return handleMessage(message);
  }

  private Optional<ObjectNode> handleMessage(JsonNode message) {
    if (!message.isObject()) {
      return Optional.of(error(NullNode.getInstance(), JsonRpcException.INVALID_REQUEST,
          "Invalid Request: expected one JSON object per line (batches are not supported)"));
    }
    JsonNode id = message.get("id");
    if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
      return Optional.of(error(NullNode.getInstance(), JsonRpcException.INVALID_REQUEST,
          "Invalid Request: id must be a string or an integer"));
    }
    JsonNode method = message.get("method");
    if (method == null && id != null && (message.has("result") || message.has("error"))) {
      return Optional.empty(); // a response, but this server never sends requests: nothing to match
    }
    if (!"2.0".equals(message.path("jsonrpc").textValue()) || method == null || !method.isTextual()) {
      return Optional.of(error(id == null ? NullNode.getInstance() : id, JsonRpcException.INVALID_REQUEST,
          "Invalid Request: a message needs \"jsonrpc\": \"2.0\" and a string \"method\""));
    }
    if (id == null) {
      // Notifications (notifications/initialized, notifications/cancelled, ...) never get an answer,
      // and none of them changes what this stateless server does.
      return Optional.empty();
    }
    try {
      return Optional.of(success(id, dispatch(method.textValue(), message.get("params"))));
    } catch (JsonRpcException e) {
      return Optional.of(error(id, e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      System.err.println("cmcp-demo-crm: internal error in " + method.textValue() + ": " + e);
      return Optional.of(error(id, JsonRpcException.INTERNAL_ERROR, "Internal error"));
    }
  }

  private JsonNode dispatch(String method, JsonNode params) {
    return switch (method) {
      case "initialize" -> initialize(paramsObject(method, params));
      case "ping" -> json.createObjectNode();
      case "tools/list" -> toolsList();
      case "tools/call" -> callTool(paramsObject(method, params));
      default -> throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "Method not found: " + method);
    };
  }

  private ObjectNode initialize(ObjectNode params) {
    String requested = params.path("protocolVersion").textValue();
    if (requested == null) {
      throw JsonRpcException.invalidParams("initialize: params.protocolVersion must be a string such as \"2025-06-18\"");
    }
    ObjectNode result = json.createObjectNode();
    result.put("protocolVersion",
        SUPPORTED_PROTOCOL_VERSIONS.contains(requested) ? requested : FALLBACK_PROTOCOL_VERSION);
    result.putObject("capabilities").putObject("tools");
    result.putObject("serverInfo")
        .put("name", "cmcp-demo-crm")
        .put("title", "Demo CRM (fictional data)")
        .put("version", "0.1.0");
    return result;
  }

  /** Every tool on one page: with two tools there is nothing to paginate, so a cursor is ignored. */
  private ObjectNode toolsList() {
    ObjectNode result = json.createObjectNode();
    result.set("tools", tools.definitions());
    return result;
  }

  private ObjectNode callTool(ObjectNode params) {
    String toolName = params.path("name").textValue();
    if (toolName == null) {
      throw JsonRpcException.invalidParams("tools/call: params.name must be the tool's name as a string");
    }
    JsonNode arguments = params.get("arguments");
    if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
      throw JsonRpcException.invalidParams("tools/call: params.arguments must be an object");
    }
    recordCall(toolName);
    return tools.call(toolName, arguments == null || arguments.isNull() ? json.createObjectNode() : arguments);
  }

  /**
   * Notes the call before running it. A failed write fails the call: a log that silently misses
   * calls would let a test conclude that a call never reached this server when it did.
   */
  private void recordCall(String toolName) {
    if (callLog.isEmpty()) {
      return;
    }
    // Control characters are masked so that one call is always exactly one line.
    String line = toolName.replaceAll("\\p{Cntrl}", "?") + "\n";
    try {
      Files.writeString(callLog.get(), line, UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new JsonRpcException(JsonRpcException.INTERNAL_ERROR,
          "could not append to " + CALL_LOG_VARIABLE + " file " + callLog.get() + ": " + e.getMessage());
    }
  }

  private ObjectNode paramsObject(String method, JsonNode params) {
    if (params == null || params.isNull()) {
      return json.createObjectNode();
    }
    if (!params.isObject()) {
      throw JsonRpcException.invalidParams(method + ": params must be a JSON object");
    }
    return (ObjectNode) params;
  }

  private ObjectNode success(JsonNode id, JsonNode result) {
    ObjectNode answer = json.createObjectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.set("result", result);
    return answer;
  }

  private ObjectNode error(JsonNode id, int code, String message) {
    ObjectNode answer = json.createObjectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.putObject("error").put("code", code).put("message", message);
    return answer;
  }
}
