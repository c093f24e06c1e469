package dev.cmcp.gateway.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.StrictJson;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResponseRedactorTest {

  private static final StrictJson JSON = new StrictJson();
  private final ResponseRedactor redactor = new ResponseRedactor(JSON);

  private static final Redaction EMAIL_FIELD = new Redaction(Set.of("Email"), Set.of());
  private static final Redaction ALL_PATTERNS = new Redaction(Set.of(), EnumSet.allOf(Detector.class));

  @Test
  void fieldNamesAreMatchedIgnoringCaseAnywhereInStructuredContentAndNowhereElse() throws Exception {
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{
          "content":[{"type":"text","text":"email is the field"}],
          "structuredContent":{"contacts":[{"name":"Alice","EMAIL":"alice@example.com","manager":{"email":"bob@example.com"}}],
                               "email":null},
          "email":"envelope members are protocol, not data"}}
        """);

    RedactionReport report = redactor.redact(response, EMAIL_FIELD);

    assertSameJson(response, message("""
        {"jsonrpc":"2.0","id":1,"result":{
          "content":[{"type":"text","text":"email is the field"}],
          "structuredContent":{"contacts":[{"name":"Alice","EMAIL":"[REDACTED]","manager":{"email":"[REDACTED]"}}],
                               "email":null},
          "email":"envelope members are protocol, not data",
          "_meta":{"dev.cmcp/redactions":{"count":2}}}}
        """));
    assertThat(report).isEqualTo(new RedactionReport(
        2, List.of("structuredContent.contacts[0].EMAIL", "structuredContent.contacts[0].manager.email"), false));
  }

  @Test
  void jsonTextIsRedactedByFieldAndWrittenBackCompactly() throws Exception {
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{"content":[
          {"type":"text","text":"{\\n  \\"rows\\": [{\\"email\\": \\"a@example.com\\", \\"n\\": 1.50}]\\n}"},
          {"type":"text","text":"{\\"unrelated\\": true,   \\"kept\\": \\"as written\\"}"}]}}
        """);

    RedactionReport report = redactor.redact(response, EMAIL_FIELD);

    assertThat(response.at("/result/content/0/text").asText()).isEqualTo("{\"rows\":[{\"email\":\"[REDACTED]\",\"n\":1.5}]}");
    assertThat(response.at("/result/content/1/text").asText()).isEqualTo("{\"unrelated\": true,   \"kept\": \"as written\"}");
    assertThat(report).isEqualTo(new RedactionReport(1, List.of("content[0].text"), false));
  }

  @Test
  void patternsApplyToEveryStringOfTheResultAndCountEachMatch() throws Exception {
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{
          "content":[{"type":"text","text":"Reach Alice at alice@example.com or +1-202-555-0101; card 4111 1111 1111 1111."},
                     {"type":"resource_link","uri":"mailto:bob@example.com","name":"bob"}],
          "structuredContent":{"notes":["SSN 123-45-6789"],"card":4111111111111111,"count":3},
          "_meta":{"vendor/trace":"sent to carol@example.com"},
          "isError":false}}
        """);

    RedactionReport report = redactor.redact(response, ALL_PATTERNS);

    assertSameJson(response, message("""
        {"jsonrpc":"2.0","id":1,"result":{
          "content":[{"type":"text","text":"Reach Alice at [REDACTED] or [REDACTED]; card [REDACTED]."},
                     {"type":"resource_link","uri":"mailto:[REDACTED]","name":"bob"}],
          "structuredContent":{"notes":["SSN [REDACTED]"],"card":"[REDACTED]","count":3},
          "_meta":{"vendor/trace":"sent to [REDACTED]","dev.cmcp/redactions":{"count":7}},
          "isError":false}}
        """));
    assertThat(report.count()).isEqualTo(7);
    assertThat(report.paths()).containsExactly(
        "content[0].text", "content[1].uri", "structuredContent.notes[0]", "structuredContent.card", "_meta[?]");
  }

  @Test
  void anEscapedCharacterInJsonTextHidesNothing() throws Exception {
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{\\"note\\": \\"alice\\\\u0040example.com\\"}"}]}}
        """);

    redactor.redact(response, ALL_PATTERNS);

    assertThat(response.at("/result/content/0/text").asText()).isEqualTo("{\"note\":\"[REDACTED]\"}");
  }

  @Test
  void jsonTextTheStrictReaderRefusesIsReplacedWhole() throws Exception {
    // An agent's parser may keep either duplicate; the gateway cannot tell which one it will read.
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{\\"email\\": \\"x\\", \\"email\\": \\"alice@example.com\\"}"},
                                                    {"type":"text","text":"[not json] but bracketed"}]}}
        """);

    RedactionReport report = redactor.redact(response, EMAIL_FIELD);

    assertThat(response.at("/result/content/0/text").asText()).isEqualTo("[REDACTED]");
    assertThat(response.at("/result/content/1/text").asText()).isEqualTo("[not json] but bracketed");
    assertThat(report.count()).isEqualTo(1);
  }

  @Test
  void binaryPayloadsAreLeftAlone() throws Exception {
    String base64 = "QUFBQUFBNDExMTExMTExMTExMTExMTE=4111111111111111";
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"image","data":"%1$s","mimeType":"image/png"},
                                                    {"type":"resource","resource":{"uri":"x:y","blob":"%1$s"}}]}}
        """.formatted(base64));

    RedactionReport report = redactor.redact(response, ALL_PATTERNS);

    assertThat(response.at("/result/content/0/data").asText()).isEqualTo(base64);
    assertThat(response.at("/result/content/1/resource/blob").asText()).isEqualTo(base64);
    assertThat(report.count()).isZero();
  }

  @Test
  void resourceContentsAndPromptMessagesAreText() throws Exception {
    ObjectNode read = message("""
        {"jsonrpc":"2.0","id":1,"result":{"contents":[{"uri":"crm://contacts","mimeType":"application/json",
                                                      "text":"[{\\"email\\":\\"a@example.com\\"}]"}]}}
        """);
    ObjectNode prompt = message("""
        {"jsonrpc":"2.0","id":1,"result":{"messages":[{"role":"user","content":{"type":"text","text":"Mail a@example.com"}}]}}
        """);

    redactor.redact(read, EMAIL_FIELD);
    redactor.redact(prompt, ALL_PATTERNS);

    assertThat(read.at("/result/contents/0/text").asText()).isEqualTo("[{\"email\":\"[REDACTED]\"}]");
    assertThat(prompt.at("/result/messages/0/content/text").asText()).isEqualTo("Mail [REDACTED]");
  }

  @Test
  void anErrorAnswerIsRedactedToo() throws Exception {
    ObjectNode response = message("""
        {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"no account for alice@example.com",
                                         "data":{"email":"alice@example.com","hint":"call 202-555-0101"}}}
        """);

    RedactionReport report = redactor.redact(response, EMAIL_FIELD.and(ALL_PATTERNS));

    assertSameJson(response, message("""
        {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"no account for [REDACTED]",
                                         "data":{"email":"[REDACTED]","hint":"call [REDACTED]"}}}
        """));
    assertThat(report.paths()).containsExactly("error.message", "error.data.email", "error.data.hint");
  }

  @Test
  void anAnswerWithNothingToRedactIsUnchangedButSaysSo() throws Exception {
    String text = "{\"type\":\"text\",\"text\":\"{ \\\"spacing\\\" : \\\"kept\\\" }\"}";
    ObjectNode response = message("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[" + text + "],\"_meta\":{\"a\":1}}}");
    ObjectNode expected = response.deepCopy();
    ((ObjectNode) expected.at("/result/_meta")).putObject(ResponseRedactor.META_KEY).put("count", 0);

    RedactionReport report = redactor.redact(response, EMAIL_FIELD.and(ALL_PATTERNS));

    assertSameJson(response, expected);
    assertThat(report).isEqualTo(new RedactionReport(0, List.of(), false));
  }

  @Test
  void pathsAreBoundedAndNeverHoldValues() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 80; i++) {
      rows.append(i == 0 ? "" : ",").append("{\"email\":\"person").append(i).append("@example.com\"}");
    }
    ObjectNode response = message("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"structuredContent\":{\"rows\":[" + rows
        + "],\"by_owner\":{\"alice@example.com\":{\"email\":\"alice@example.com\"}}}}}");

    RedactionReport report = redactor.redact(response, EMAIL_FIELD);

    assertThat(report.count()).isEqualTo(81);
    assertThat(report.paths()).hasSize(ResponseRedactor.MAX_PATHS);
    assertThat(report.pathsTruncated()).isTrue();
    assertThat(report.toAudit().toString()).doesNotContain("@");
  }

  @Test
  void anObjectKeyThatIsDataIsHiddenInThePath() throws Exception {
    ObjectNode response = message(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"structuredContent\":{\"alice@example.com\":{\"email\":\"alice@example.com\"}}}}");

    RedactionReport report = redactor.redact(response, EMAIL_FIELD);

    assertThat(report.paths()).containsExactly("structuredContent[?].email");
  }

  @Test
  void annotationsNameFieldsAndDetectors() {
    Redaction redaction = Redaction.fromAnnotations(Optional.of(" email, Phone "), Optional.of("ssn|credit_card"));

    assertThat(redaction).isEqualTo(new Redaction(Set.of("email", "phone"), Set.of(Detector.SSN, Detector.CREDIT_CARD)));
    assertThatThrownBy(() -> Redaction.fromAnnotations(Optional.empty(), Optional.of("email|passport")))
        .hasMessage("@redact_pattern names \"passport\", which is not a detector; use email|credit_card|ssn|phone");
    assertThatThrownBy(() -> Redaction.fromAnnotations(Optional.of("email,,phone"), Optional.empty()))
        .hasMessageContaining("has an empty name");
  }

  /** Compared as text: the redactor writes counts as ints where the strict reader makes big integers. */
  private static void assertSameJson(JsonNode actual, JsonNode expected) {
    assertThat(actual.toString()).isEqualTo(expected.toString());
  }

  private static ObjectNode message(String json) throws Exception {
    JsonNode node = JSON.parse(json);
    return (ObjectNode) node;
  }
}
