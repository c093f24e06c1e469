package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TypeScript SDK 2.x client ({@code @modelcontextprotocol/client}), pinned to MCP
 * 2026-07-28, calls a server-everything tool that asks for elicitation: the gateway turns the 2025
 * upstream's {@code elicitation/create} into an {@code input_required} result, the SDK answers it
 * with its own handler and retries with the {@code requestState}, and the call completes. Runs
 * interop/clients/sdk2-client.mjs.
 */
class Sdk2ClientRoundTripTest {

  @TempDir Path tmp;

  @Test
  void aSdk2ClientAnswersAnUpstreamsElicitationThroughInputRequiredAndTheCallCompletes() throws Exception {
    Catalog catalog = new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "trigger-elicitation-request");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog.json()), Map.of("CMCP_DEV_MODE", "1"))) {
      NodeServer.Finished finished = NodeServer.run(List.of("node", Repo.root().resolve("interop/clients/sdk2-client.mjs").toString(),
          gateway.baseUrl() + "/mcp", "everything.trigger-elicitation-request", "{}", "Ada Lovelace"), 60);
      assertThat(finished.exitCode()).as(finished.output()).isZero();
      String output = finished.output().strip();
      JsonNode seen = McpClient.JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));
      assertThat(seen.path("protocolVersion").asText()).as(output).isEqualTo("2026-07-28");
      // The SDK's own handler was asked (so the question reached it inside an input_required result) ...
      assertThat(seen.path("elicited").size()).as(output).isEqualTo(1);
      // ... and its answer reached the upstream, whose result echoes it.
      assertThat(seen.path("error").isMissingNode()).as(output).isTrue();
      assertThat(seen.at("/result/content").toString()).as(output).contains("Ada Lovelace");
    }
  }
}
