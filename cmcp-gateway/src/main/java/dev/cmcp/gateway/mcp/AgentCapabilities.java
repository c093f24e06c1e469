package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The client capabilities an agent declared at {@code initialize} that let a server's request
 * be relayed to it: only what the agent declared is ever asked of it.
 */
public record AgentCapabilities(boolean sampling, boolean elicitation) {

  public static final AgentCapabilities NONE = new AgentCapabilities(false, false);

  /** From {@code initialize}'s {@code params.capabilities}. */
  static AgentCapabilities declared(JsonNode capabilities) {
    return new AgentCapabilities(capabilities.path("sampling").isObject(), capabilities.path("elicitation").isObject());
  }

  /** Whether a server's request of {@code method} may be put to this agent. */
  boolean accepts(String method) {
    return switch (method) {
      case "sampling/createMessage" -> sampling;
      case "elicitation/create" -> elicitation;
      default -> false;
    };
  }
}
