package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code @require_approval} with the official MCP Java SDK as the agent's client: the SDK's
 * elicitation handler stands for the person, who approves or declines; a client that declared no
 * elicitation is denied, saying why. One gateway process serves every case.
 */
class ApprovalTest {

  @TempDir Path tmp;

  @Test
  void theSdksElicitationHandlerApprovesOrDeclinesAndAClientWithoutOneIsDeniedClearly() throws Exception {
    Path config = Deployments.piiServer(tmp, "enforcing", """
        @id("notes-need-approval")
        @require_approval("notes hold customer conversations")
        permit (principal, action == Action::"call_tool", resource == Tool::"crm.notes");
        """, Map.of());
    Files.writeString(config, Files.readString(config) + "deny_response: jsonrpc_error\n");
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      List<String> asked = new CopyOnWriteArrayList<>();

      McpSyncClient approving = client(gateway, request -> {
        asked.add(request.message());
        return new ElicitResult(ElicitResult.Action.ACCEPT, Map.of());
      });
      try {
        approving.initialize();
        CallToolResult notes = approving.callTool(new CallToolRequest("crm.notes", Map.of("query", "Acme")));
        assertThat(notes.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(((TextContent) notes.content().get(0)).text()).contains("Renewal");
      } finally {
        approving.closeGracefully();
      }
      assertThat(asked).singleElement().asString().contains("crm.notes").contains("notes hold customer conversations");

      McpSyncClient declining = client(gateway, request -> new ElicitResult(ElicitResult.Action.DECLINE, null));
      try {
        declining.initialize();
        assertThatThrownBy(() -> declining.callTool(new CallToolRequest("crm.notes", Map.of("query", "Acme"))))
            .isInstanceOf(McpError.class).hasMessageContaining("declined");
      } finally {
        declining.closeGracefully();
      }

      // The TypeScript SDK's client, answering elicitation as its handler says.
      String steps = "[{\"do\":\"callTool\",\"name\":\"crm.notes\",\"arguments\":{\"query\":\"Acme\"}}]";
      JsonNode accepting = TypeScriptSdkClientsTest.run("@modelcontextprotocol/sdk", gateway.baseUrl() + "/mcp", steps, List.of("accept"));
      assertThat(accepting.at("/steps/0/result/content/0/text").asText()).contains("Renewal");
      assertThat(accepting.at("/elicited/0").asText()).contains("notes hold customer conversations");
      JsonNode cancelling = TypeScriptSdkClientsTest.run("@modelcontextprotocol/sdk", gateway.baseUrl() + "/mcp", steps, List.of("cancel"));
      assertThat(cancelling.at("/steps/0/error/transport").asBoolean()).isFalse();
      assertThat(cancelling.at("/steps/0/error/message").asText()).contains("cancelled");

      McpSyncClient unable = clientWithoutElicitation(gateway);
      try {
        unable.initialize();
        assertThatThrownBy(() -> unable.callTool(new CallToolRequest("crm.notes", Map.of("query", "Acme"))))
            .isInstanceOf(McpError.class).hasMessageContaining("elicitation capability");
      } finally {
        unable.closeGracefully();
      }
    }
    String log = Files.readString(Files.list(tmp.resolve("audit")).filter(f -> f.toString().endsWith(".jsonl")).findFirst().orElseThrow());
    assertThat(log).contains("\"answer\":\"accepted\"", "\"answer\":\"declined\"", "\"answer\":\"cancelled\"",
        "\"answer\":\"unavailable\"")
        .doesNotContain("customer conversations");
  }

  private static McpSyncClient client(GatewayProcess gateway, Function<McpSchema.ElicitFormRequest, ElicitResult> person) {
    return io.modelcontextprotocol.client.McpClient
        .sync(HttpClientStreamableHttpTransport.builder(gateway.baseUrl()).endpoint("/mcp").build())
        .clientInfo(new McpSchema.Implementation("cmcp-e2e-approval", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .capabilities(McpSchema.ClientCapabilities.builder().elicitation().build())
        .elicitation(person)
        .build();
  }

  /** An SDK client that declares no elicitation: the gateway cannot ask its person anything. */
  private static McpSyncClient clientWithoutElicitation(GatewayProcess gateway) {
    return io.modelcontextprotocol.client.McpClient
        .sync(HttpClientStreamableHttpTransport.builder(gateway.baseUrl()).endpoint("/mcp").build())
        .clientInfo(new McpSchema.Implementation("cmcp-e2e-no-elicitation", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }
}
