package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.policy.AccessRequest;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyTarget;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.gateway.upstream.Upstreams.ListMethod;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code completion/complete}: suggestions for a prompt's or a resource template's argument,
 * asked of the one catalog server that offers the prompt or template.
 *
 * <p>A completion is governed like a listing, not like a call: in enforcing mode it is answered
 * only when the policy permits the caller to get the prompt ({@code get_prompt}) or to read the
 * template as a resource ({@code read_resource} with the template's text as its URI), and it is
 * not audited. Under a redacting permit it answers no values, since suggestions would bypass
 * redaction.
 */
final class Completions {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Upstreams upstreams;
  private final Supplier<ActivePolicy> policies;
  private final boolean enforcing;
  private final Clock clock;

  Completions(Upstreams upstreams, Supplier<ActivePolicy> policies, boolean enforcing, Clock clock) {
    this.upstreams = upstreams;
    this.policies = policies;
    this.enforcing = enforcing;
    this.clock = clock;
  }

  /** The whole JSON-RPC response for the agent. */
  ObjectNode complete(JsonNode id, ObjectNode params, Caller caller) throws JsonRpcException {
    ActivePolicy active = policies.get();
    JsonNode ref = params.path("ref");
    if (!params.path("argument").path("name").isTextual() || !params.path("argument").path("value").isTextual()) {
      throw Caller.invalidParams(id, "completion/complete needs \"argument\" with a string \"name\" and \"value\"");
    }
    ObjectNode forward = caller.forwardParams();
    PolicyTarget target = switch (ref.path("type").asText("")) {
      case "ref/prompt" -> {
        String exposed = ref.path("name").asText("");
        Optional<CatalogPrompt> alias = active.catalog().prompt(exposed);
        int dot = exposed.indexOf('.');
        if (alias.isEmpty() && (dot <= 0 || !active.catalog().servers().containsKey(exposed.substring(0, dot)))) {
          throw Caller.invalidParams(id, "prompt " + exposed + " is neither a prompt alias of the catalog nor "
              + "<server>.<prompt> of a catalog server");
        }
        PolicyTarget.Prompt prompt = alias.isPresent()
            ? new PolicyTarget.Prompt(alias.get().server(), alias.get().upstreamName())
            : new PolicyTarget.Prompt(exposed.substring(0, dot), exposed.substring(dot + 1));
        ((ObjectNode) forward.get("ref")).put("name", prompt.upstreamName());
        yield prompt;
      }
      case "ref/resource" -> {
        String template = ref.path("uri").asText("");
        yield new PolicyTarget.Resource(serverOfTemplate(id, active, template), template);
      }
      default -> throw Caller.invalidParams(id, "completion/complete needs \"ref\" of type ref/prompt or ref/resource");
    };
    PolicyDecision decision = active.engine().decide(new AccessRequest(caller.principal(), caller.sessionId(),
        caller.workflowId(), target, NODES.objectNode(), clock.instant(), caller.identity().attributes()));
    if (enforcing && decision instanceof PolicyDecision.Deny) {
      throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.TOOL_CALL_DENIED,
          "completion denied by policy: " + target.name(), "completion_denied"), id, 403);
    }
    if (!decision.redaction().isEmpty()) {
      return McpHttpResponse.envelope(id).set("result", noValues());
    }
    String server = switch (target) {
      case PolicyTarget.Prompt prompt -> prompt.server();
      case PolicyTarget.Resource resource -> resource.server();
      default -> throw new IllegalStateException("a completion targets a prompt or a resource");
    };
    try {
      ObjectNode answer = upstreams.connection(server).request("completion/complete", forward);
      answer.set("id", id);
      return answer;
    } catch (UpstreamException e) {
      throw UpstreamErrors.toJsonRpc(e, id);
    }
  }

  /** The one catalog server whose resource templates include exactly {@code template}. */
  private String serverOfTemplate(JsonNode id, ActivePolicy active, String template) throws JsonRpcException {
    Optional<String> owner = active.catalog().resourceOwnerOf(template);
    if (owner.isPresent()) {
      return owner.get();
    }
    List<String> owners = active.catalog().servers().keySet().stream()
        .filter(server -> templates(server).stream().anyMatch(t -> t.path("uriTemplate").asText().equals(template)))
        .toList();
    if (owners.size() != 1) {
      throw Caller.invalidParams(id, "no single catalog server offers resource template " + template);
    }
    return owners.get(0);
  }

  private List<ObjectNode> templates(String server) {
    try {
      return upstreams.list(server, ListMethod.RESOURCE_TEMPLATES);
    } catch (UpstreamException e) {
      return List.of();
    }
  }

  private static ObjectNode noValues() {
    ObjectNode result = NODES.objectNode();
    result.putObject("completion").put("hasMore", false).putArray("values");
    return result;
  }
}
