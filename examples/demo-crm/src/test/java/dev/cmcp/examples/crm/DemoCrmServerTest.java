package dev.cmcp.examples.crm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoCrmServerTest {
  private static final String INITIALIZE_2025_11_25 = """
      {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",\
      "capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""";

  private final ObjectMapper json = new ObjectMapper();

  @TempDir Path tempDir;

  @Test
  void initializeAcceptsASupportedProtocolVersion() throws IOException {
    JsonNode result = exchange(INITIALIZE_2025_11_25).get(0).get("result");

    assertThat(result.get("protocolVersion").asText()).isEqualTo("2025-11-25");
    assertThat(result.get("capabilities").get("tools").isObject()).isTrue();
    assertThat(result.get("serverInfo").get("name").asText()).isEqualTo("cmcp-demo-crm");
  }

  @Test
  void initializeOffers20250618WhenTheClientAsksForAnUnknownVersion() throws IOException {
    JsonNode answer = exchange("""
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}""").get(0);

    assertThat(answer.get("result").get("protocolVersion").asText()).isEqualTo("2025-06-18");
  }

  @Test
  void initializeWithoutProtocolVersionIsInvalidParams() throws IOException {
    JsonNode answer = exchange("""
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}""").get(0);

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
    assertThat(answer.get("id").asInt()).isEqualTo(1);
  }

  @Test
  void notificationsGetNoAnswerAndTheNextRequestStillDoes() throws IOException {
    List<JsonNode> answers = exchange(
        INITIALIZE_2025_11_25,
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}");

    assertThat(answers).hasSize(2);
    assertThat(answers.get(1).get("id").asText()).isEqualTo("p");
    assertThat(answers.get(1).get("result").isEmpty()).isTrue();
  }

  @Test
  void toolsListDescribesBothToolsWithInputAndOutputSchemas() throws IOException {
    JsonNode tools = exchange("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").get(0)
        .get("result").get("tools");

    assertThat(tools).extracting(tool -> tool.get("name").asText()).containsExactly("contacts", "export_all");
    JsonNode contacts = tools.get(0);
    assertThat(contacts.get("inputSchema").get("required")).extracting(JsonNode::asText).containsExactly("query");
    assertThat(contacts.get("outputSchema").get("required")).extracting(JsonNode::asText)
        .containsExactly("contacts", "total_count");
    assertThat(tools.get(1).get("inputSchema").has("required")).isFalse();
  }

  @Test
  void contactsFindsEveryoneAtAcmeCorpWhateverTheCase() throws IOException {
    JsonNode result = callTool("contacts", "{\"query\":\"aCmE cOrP\"}").get("result");

    JsonNode structured = result.get("structuredContent");
    assertThat(structured.get("total_count").asInt()).isEqualTo(3);
    assertThat(structured.get("contacts")).hasSize(3)
        .allSatisfy(contact -> assertThat(contact.get("company").asText()).isEqualTo("Acme Corp"));
    assertThat(result.get("isError").asBoolean()).isFalse();
  }

  @Test
  void contactsFindsAPersonByPartOfTheirName() throws IOException {
    JsonNode contacts = callTool("contacts", "{\"query\":\"nakamura\"}").get("result")
        .get("structuredContent").get("contacts");

    assertThat(contacts).hasSize(1);
    assertThat(contacts.get(0).get("name").asText()).isEqualTo("Hiro Nakamura");
    assertThat(contacts.get(0).fieldNames()).toIterable()
        .containsExactlyInAnyOrder("name", "email", "phone", "company", "title");
  }

  @Test
  void contactsReturnsAtMostMaxRecordsButCountsEveryMatch() throws IOException {
    JsonNode structured = callTool("contacts", "{\"query\":\"Acme\",\"max_records\":2}").get("result")
        .get("structuredContent");

    assertThat(structured.get("contacts")).hasSize(2);
    assertThat(structured.get("total_count").asInt()).isEqualTo(3);
  }

  @Test
  void contactsTextContentIsTheSameJsonAsTheStructuredContent() throws IOException {
    JsonNode result = callTool("contacts", "{\"query\":\"Globex\"}").get("result");

    JsonNode text = result.get("content").get(0);
    assertThat(text.get("type").asText()).isEqualTo("text");
    assertThat(json.readTree(text.get("text").asText())).isEqualTo(result.get("structuredContent"));
  }

  @Test
  void contactsWithoutAQueryIsInvalidParams() throws IOException {
    JsonNode answer = callTool("contacts", "{}");

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
    assertThat(answer.get("error").get("message").asText()).contains("query");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-3", "2.5", "\"10\"", "true", "99999999999"})
  void contactsRefusesAMaxRecordsThatIsNotAPositiveWholeNumber(String maxRecords) throws IOException {
    JsonNode answer = callTool("contacts", "{\"query\":\"Acme\",\"max_records\":" + maxRecords + "}");

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
    assertThat(answer.get("error").get("message").asText()).contains("max_records");
  }

  @Test
  void exportAllReturnsEveryContact() throws IOException {
    JsonNode structured = callTool("export_all", "{}").get("result").get("structuredContent");

    int everyone = ContactDirectory.fictional().contacts().size();
    assertThat(structured.get("contacts")).hasSize(everyone);
    assertThat(structured.get("total_count").asInt()).isEqualTo(everyone);
  }

  @Test
  void exportAllNeedsNoArgumentsAtAll() throws IOException {
    JsonNode answer = exchange("""
        {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"export_all"}}""").get(0);

    assertThat(answer.get("result").get("structuredContent").get("total_count").asInt()).isPositive();
  }

  @Test
  void unknownToolIsInvalidParams() throws IOException {
    JsonNode answer = callTool("delete_everything", "{}");

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
    assertThat(answer.get("error").get("message").asText()).contains("delete_everything");
  }

  @Test
  void argumentsThatAreNotAnObjectAreInvalidParams() throws IOException {
    JsonNode answer = callTool("contacts", "[\"Acme\"]");

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
  }

  @Test
  void toolsCallWithoutAToolNameIsInvalidParams() throws IOException {
    JsonNode answer = exchange("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{}}").get(0);

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32602);
  }

  @Test
  void unknownMethodIsMethodNotFound() throws IOException {
    JsonNode answer = exchange("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"resources/list\"}").get(0);

    assertThat(answer.get("id").asInt()).isEqualTo(9);
    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32601);
  }

  @Test
  void malformedLineGetsAParseErrorWithANullIdAndTheServerCarriesOn() throws IOException {
    List<JsonNode> answers = exchange("{\"jsonrpc\":\"2.0\",\"id\":1,", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");

    assertThat(answers).hasSize(2);
    assertThat(answers.get(0).get("id").isNull()).isTrue();
    assertThat(answers.get(0).get("error").get("code").asInt()).isEqualTo(-32700);
    assertThat(answers.get(1).get("id").asInt()).isEqualTo(2);
  }

  @Test
  void duplicateKeysAreAParseErrorSoNoToolRuns() throws IOException {
    Path log = tempDir.resolve("calls.log");

    JsonNode answer = exchangeLogging(log, """
        {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"contacts","name":"export_all"}}""").get(0);

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32700);
    assertThat(log).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
      "{\"id\":1,\"method\":\"ping\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1}",
      "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}",
      "42"})
  void messagesThatAreNotJsonRpcRequestsAreInvalidRequest(String line) throws IOException {
    JsonNode answer = exchange(line).get(0);

    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32600);
  }

  @Test
  void aResponseFromTheClientIsIgnored() throws IOException {
    assertThat(exchange("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}")).isEmpty();
  }

  @Test
  void eachToolCallAppendsOnlyTheToolNameToTheCallLog() throws IOException {
    Path log = tempDir.resolve("calls.log");

    exchangeLogging(log,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
        toolCall("contacts", "{\"query\":\"Acme Corp\"}"),
        toolCall("export_all", "{}"));

    assertThat(Files.readAllLines(log, UTF_8)).containsExactly("contacts", "export_all");
    assertThat(Files.readString(log, UTF_8)).doesNotContain("Acme");
  }

  @Test
  void aToolNameWithALineBreakStillMakesOneCallLogLine() throws IOException {
    Path log = tempDir.resolve("calls.log");

    exchangeLogging(log, toolCall("contacts\\nexport_all", "{}"));

    assertThat(Files.readAllLines(log, UTF_8)).containsExactly("contacts?export_all");
  }

  @Test
  void aCallLogThatCannotBeWrittenFailsTheCallRatherThanHidingIt() throws IOException {
    Path notAFile = Files.createDirectory(tempDir.resolve("calls.log"));

    JsonNode answer = exchangeLogging(notAFile, toolCall("contacts", "{\"query\":\"Acme\"}")).get(0);

    assertThat(answer.has("result")).isFalse();
    assertThat(answer.get("error").get("code").asInt()).isEqualTo(-32603);
    assertThat(answer.get("error").get("message").asText()).contains("DEMO_CRM_CALL_LOG");
  }

  @Test
  void answersAreOneCompactLineEachInRequestOrder() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String input = String.join("\n", INITIALIZE_2025_11_25, toolCall("export_all", "{}"), "");

    new DemoCrmServer(ContactDirectory.fictional(), Optional.empty())
        .serve(new ByteArrayInputStream(input.getBytes(UTF_8)), out);

    List<String> lines = out.toString(UTF_8).lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(json.readTree(lines.get(0)).get("id").asInt()).isEqualTo(1);
    assertThat(json.readTree(lines.get(1)).get("id").asInt()).isEqualTo(3);
  }

  private JsonNode callTool(String name, String arguments) throws IOException {
    return exchange(toolCall(name, arguments)).get(0);
  }

  private static String toolCall(String name, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"" + name
        + "\",\"arguments\":" + arguments + "}}";
  }

  private List<JsonNode> exchange(String... lines) throws IOException {
    return run(new DemoCrmServer(ContactDirectory.fictional(), Optional.empty()), lines);
  }

  private List<JsonNode> exchangeLogging(Path callLog, String... lines) throws IOException {
    return run(new DemoCrmServer(ContactDirectory.fictional(), Optional.of(callLog)), lines);
  }

  private List<JsonNode> run(DemoCrmServer server, String... lines) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    server.serve(new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(UTF_8)), out);
    List<JsonNode> answers = new ArrayList<>();
    for (String line : out.toString(UTF_8).lines().toList()) {
      answers.add(json.readTree(line));
    }
    return answers;
  }
}
