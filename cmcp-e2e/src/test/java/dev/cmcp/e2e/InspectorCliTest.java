package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MCP Inspector's command-line client as the agent, over Streamable HTTP, with server-everything behind the gateway. */
class InspectorCliTest {

  @TempDir Path tmp;

  @Test
  void inspectorListsAndCallsToolsAndSeesTheGatewaysRefusal() throws Exception {
    Catalog catalog = new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "echo")
        .tool("everything", "get-structured-content");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog.json()), Map.of("CMCP_DEV_MODE", "1"))) {
      String url = gateway.baseUrl() + "/mcp";

      NodeServer.Finished list = inspector(url, "--method", "tools/list");
      assertThat(list.exitCode()).as(list.output()).isZero();
      assertThat(json(list).path("tools").valueStream().map(t -> t.path("name").asText()).toList())
          .containsExactlyInAnyOrder("everything.echo", "everything.get-structured-content");

      NodeServer.Finished echo = inspector(url, "--method", "tools/call", "--tool-name", "everything.echo",
          "--tool-arg", "message=from the inspector", "--tool-metadata", "progressToken=inspector-1");
      assertThat(echo.exitCode()).as(echo.output()).isZero();
      assertThat(json(echo).path("content").get(0).path("text").asText()).isEqualTo("Echo: from the inspector");

      NodeServer.Finished refused = inspector(url, "--method", "tools/call", "--tool-name", "everything.get-env");
      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.output()).contains("everything.get-env is not in the catalog");
    }
  }

  /**
   * Runs inspector-cli. It finds its own package.json by a path relative to the working
   * directory, so it runs from its build folder.
   */
  private static NodeServer.Finished inspector(String url, String... args) throws Exception {
    Path cli = Repo.interop("@modelcontextprotocol/inspector-cli/build/index.js");
    List<String> command = new ArrayList<>(List.of("node", cli.toString(), url, "--transport", "http"));
    command.addAll(List.of(args));
    return NodeServer.run(command, cli.getParent(), 60);
  }

  private static JsonNode json(NodeServer.Finished finished) throws Exception {
    return McpClient.JSON.readTree(finished.output());
  }
}
