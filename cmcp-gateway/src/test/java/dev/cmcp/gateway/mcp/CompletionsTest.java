package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.config.EnforcementMode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code completion/complete}, routed to the server that offers the prompt or template and
 * governed by the policy, against the MCP reference server.
 */
class CompletionsTest {

  @TempDir static Path dir;
  private static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, """
        permit (principal, action == Action::"get_prompt", resource == Prompt::"everything.completable-prompt")
          unless { principal == Agent::"redacted" };

        @redact_pattern("email")
        permit (principal == Agent::"redacted", action == Action::"get_prompt", resource == Prompt::"everything.completable-prompt");

        permit (principal, action == Action::"read_resource", resource in Server::"everything");
        """,
        List.of(GatewayUnderTest.serverEverything("everything")), List.of());
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void aPromptArgumentIsCompletedByTheServerOfferingThePrompt() {
    JsonNode result = gateway.result("w", "completion/complete", promptRef("everything.completable-prompt", "department", "Eng"));
    assertThat(result.path("completion").path("values").toString()).isEqualTo("[\"Engineering\"]");
  }

  @Test
  void aResourceTemplateArgumentIsCompletedByTheServerOfferingTheTemplate() {
    JsonNode result = gateway.result("w", "completion/complete", """
        {"ref":{"type":"ref/resource","uri":"demo://resource/dynamic/text/{resourceId}"},"argument":{"name":"resourceId","value":"42"}}""");
    assertThat(result.path("completion").path("values").toString()).isEqualTo("[\"42\"]");
  }

  @Test
  void aPromptThePolicyDoesNotPermitGetsNoCompletion() {
    JsonNode error = gateway.post("w", "completion/complete", promptRef("everything.args-prompt", "city", "Pa")).body().orElseThrow();
    assertThat(error.path("error").path("data").path("error").asText()).isEqualTo("completion_denied");
  }

  @Test
  void underARedactingPermitNoValuesAreSuggested() {
    JsonNode result = gateway.result("redacted", "completion/complete", promptRef("everything.completable-prompt", "department", "Eng"));
    assertThat(result.path("completion").path("values")).isEmpty();
  }

  @Test
  void aPromptOfNoCatalogServerIsRefused() {
    JsonNode error = gateway.post("w", "completion/complete", promptRef("elsewhere.completable-prompt", "department", "E")).body().orElseThrow();
    assertThat(error.path("error").path("code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
  }

  private static String promptRef(String name, String argument, String value) {
    return "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"" + name + "\"},\"argument\":{\"name\":\"" + argument
        + "\",\"value\":\"" + value + "\"}}";
  }
}
