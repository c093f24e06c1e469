package dev.cmcp.gateway.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.verify.base.StrictJson;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogLineFormatterTest {

  private static LogRecord record(Level level, String message, Object... parameters) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName("cmcp.policy");
    record.setInstant(Instant.parse("2026-11-26T03:00:00.120Z"));
    record.setParameters(parameters);
    return record;
  }

  @Test
  void jsonLineCarriesTheRecordAndItsFieldsAsMembers() throws Exception {
    String line = new LogLineFormatter(LogFormat.JSON).format(record(Level.INFO, "request denied",
        LogField.of("request_id", "abc-1"), LogField.of("policies", List.of("p1", "p2")), LogField.of("latency_ms", 1.5),
        LogField.of("cause", null)));

    assertThat(line).endsWith("}\n").doesNotContain("\n{");
    JsonNode json = new StrictJson().parse(line.strip());
    assertThat(json.path("timestamp").asText()).isEqualTo("2026-11-26T03:00:00.120Z");
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("logger").asText()).isEqualTo("cmcp.policy");
    assertThat(json.path("message").asText()).isEqualTo("request denied");
    assertThat(json.path("request_id").asText()).isEqualTo("abc-1");
    assertThat(json.path("policies").toString()).isEqualTo("[\"p1\",\"p2\"]");
    assertThat(json.path("latency_ms").asDouble()).isEqualTo(1.5);
    assertThat(json.get("cause").isNull()).isTrue();
  }

  @Test
  void anAgentChosenValueOfMegabytesIsCutInBothFormats() throws Exception {
    String huge = "t".repeat(4 * 1024 * 1024);
    LogRecord record = record(Level.INFO, "request denied", LogField.of("tool", huge));

    String json = new LogLineFormatter(LogFormat.JSON).format(record);
    String text = new LogLineFormatter(LogFormat.TEXT).format(record);

    assertThat(json.length()).isLessThan(LogLineFormatter.MAX_VALUE_CHARS + 512);
    assertThat(new StrictJson().parse(json.strip()).path("tool").asText())
        .startsWith("ttt").endsWith("...[truncated: " + huge.length() + " characters]");
    assertThat(text.length()).isLessThan(LogLineFormatter.MAX_VALUE_CHARS + 512);
    assertThat(text).contains("...[truncated: " + huge.length() + " characters]");
  }

  @Test
  void lineBreaksAndQuotesInAMessageStayInsideOneJsonLine() throws Exception {
    LogRecord record = record(Level.SEVERE, "upstream said \"no\"\nsecond line");
    record.setThrown(new IllegalStateException("broken"));

    String line = new LogLineFormatter(LogFormat.JSON).format(record);

    assertThat(line.strip()).doesNotContain("\n");
    JsonNode json = new StrictJson().parse(line.strip());
    assertThat(json.path("message").asText()).isEqualTo("upstream said \"no\"\nsecond line");
    assertThat(json.path("level").asText()).isEqualTo("ERROR");
    assertThat(json.path("exception").asText()).startsWith("java.lang.IllegalStateException: broken");
  }

  @Test
  void positionalParametersAreStillFormattedIntoTheMessage() throws Exception {
    String line = new LogLineFormatter(LogFormat.JSON).format(record(Level.INFO, "session {0} opened by {1}", "s-1", "agent"));

    assertThat(new StrictJson().parse(line.strip()).path("message").asText()).isEqualTo("session s-1 opened by agent");
  }

  @Test
  void textLineShowsFieldsAsNameValuePairs() {
    String line = new LogLineFormatter(LogFormat.TEXT).format(
        record(Level.FINE, "request forwarded", LogField.of("request_id", "abc-1"), LogField.of("tool", "crm.search")));

    assertThat(line).isEqualTo("2026-11-26T03:00:00.120Z DEBUG cmcp.policy: request forwarded request_id=abc-1 tool=crm.search\n");
  }

  @Test
  void textLineEscapesLineBreaksInTheMessageAndInFields() {
    String forged = "\n2026-11-26T03:00:00.000Z INFO cmcp.policy: allow crm.export workflow=admin\u2028";
    String line = new LogLineFormatter(LogFormat.TEXT).format(record(Level.INFO, "opened by {0}",
        "agent" + forged, LogField.of("tool", "crm.nothing\r" + forged)));

    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n", "\r", "\u2028")
        .contains("opened by agent\\u000a2026", "tool=crm.nothing\\u000d\\u000a2026");
  }
}
