package dev.cmcp.gateway.mcp;

/**
 * Who owns a session opened by {@code initialize}, for the per-principal session cap: the same
 * principal the policy sees, the authenticated agent, or without authentication the workflow the
 * request declares ({@code X-MCP-Workflow-ID}).
 */
@FunctionalInterface
public interface SessionPrincipal {

  /** The authenticated agent; else the declared workflow, or {@link Caller#DEFAULT_WORKFLOW} when none is declared. */
  SessionPrincipal DECLARED_WORKFLOW = request -> request.identity().principal(request.workflowId().orElse(Caller.DEFAULT_WORKFLOW));

  String of(McpHttpRequest request);
}
