package dev.cmcp.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.policy.BundlePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Policy bundles shaped like a real one of per-tool rules: policy {@code i} lets {@code
 * Agent::"agent-i"} call {@code Tool::"server.tool-i"} and nothing else, so any one request
 * matches at most one of them and the rest are work the engine should be able to skip.
 */
final class GeneratedBundle {

  static final String SERVER = "server";

  private GeneratedBundle() {}

  static String agent(int i) {
    return "agent-" + i;
  }

  static String tool(int i) {
    return SERVER + ".tool-" + i;
  }

  static String policyId(int i) {
    return "agent-" + i + "-may-call-tool-" + i;
  }

  /** The Cedar text of per-tool permit {@code i}, with its {@code @id}. */
  static String perToolPermit(int i) {
    return """
        @id("%s")
        permit (principal == Agent::"%s", action == Action::"call_tool", resource == Tool::"%s");
        """.formatted(policyId(i), agent(i), tool(i));
  }

  /** Permits 0 to {@code count - 1}, as the policy engine gets them from a loaded bundle. */
  static PolicyBundle perToolPermits(int count) {
    List<BundlePolicy> policies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      policies.add(new BundlePolicy(policyId(i), "generated.cedar", 2 * i + 1, perToolPermit(i), Map.of("id", policyId(i))));
    }
    ObjectNode manifest = JsonNodeFactory.instance.objectNode().put("version", "generated-" + count);
    return new PolicyBundle(Path.of("generated"), manifest, "sha256:generated-" + count, policies);
  }

  /** A catalog of the tools {@code server.tool-0} to {@code server.tool-(count - 1)}, on a server never called. */
  static Catalog catalogOf(int count) {
    UpstreamServer server = new UpstreamServer.StreamableHttp(SERVER, URI.create("http://127.0.0.1:9/mcp"), Map.of());
    Map<String, CatalogTool> tools = new java.util.HashMap<>();
    for (int i = 0; i < count; i++) {
      tools.put(tool(i), new CatalogTool(tool(i), SERVER, "tool-" + i, Map.of()));
    }
    return new Catalog(Map.of(SERVER, server), tools, "sha256:generated-" + count);
  }
}
