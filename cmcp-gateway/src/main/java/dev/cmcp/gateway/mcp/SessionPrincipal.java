package dev.cmcp.gateway.mcp;

/**
 * Who owns a session opened by {@code initialize}, for the per-principal session cap. Until
 * agents authenticate, this is the workflow the request declares ({@code X-MCP-Workflow-ID}),
 * the same principal the policy sees; an authenticated identity replaces it here.
 */
@FunctionalInterface
public interface SessionPrincipal {

  /** The declared workflow, or {@link Caller#DEFAULT_WORKFLOW} when none is declared. */
  SessionPrincipal DECLARED_WORKFLOW = request -> request.workflowId().orElse(Caller.DEFAULT_WORKFLOW);

  String of(McpHttpRequest request);
}
