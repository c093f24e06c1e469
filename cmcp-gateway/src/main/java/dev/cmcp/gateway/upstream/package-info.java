/**
 * Clients for the upstream MCP servers named in the catalog: {@link
 * dev.cmcp.gateway.upstream.Upstreams} starts and supervises stdio servers, connects to
 * Streamable HTTP servers, and hands out a {@link dev.cmcp.gateway.upstream.UpstreamConnection}
 * per server and upstream session: the server's shared one, or (Streamable HTTP, {@code
 * session_mode: per_agent}) an agent session's own, ended with it. Every failure is an {@link dev.cmcp.gateway.upstream.UpstreamException} whose kind
 * tells the caller which JSON-RPC error to return.
 *
 * <p>Decisions a reviewer should know:
 *
 * <ul>
 *   <li>A stdio child gets only PATH, HOME, LANG, LC_ALL, TMPDIR and SYSTEMROOT from the
 *       gateway's environment, plus the catalog's {@code env}: the gateway's own secrets never
 *       reach an upstream.
 *   <li>An answer larger than {@code maxResponseSizeBytes} fails its request and is never held
 *       whole: stdio lines and SSE events are read with that bound, and an oversized stdio line
 *       is streamed past a parser that keeps only its top-level {@code id}.
 *   <li>An answer that {@code StrictJson} rejects (duplicate keys, bad UTF-8) fails its request
 *       with PROTOCOL_ERROR rather than being read leniently; lines that answer nothing are
 *       logged by size only, never by content, and skipped.
 *   <li>Over HTTP, a stale session is renewed once and the request retried once. The spec's
 *       signal is 404; 400 on a request that carried a session id is treated the same, because
 *       servers built on the TypeScript SDK's examples (server-everything among them) answer an
 *       unknown session with 400.
 *   <li>A Streamable HTTP server that refuses {@code initialize} and offers 2026-07-28 in {@code
 *       server/discover} is spoken to in that revision (no session; the envelope in each
 *       request's {@code _meta}); one that speaks both gets a 2026 agent's requests in 2026-07-28,
 *       with the agent's client capabilities (the agent answers the server's {@code
 *       input_required} results itself), and a 2025 agent's in 2025, where the gateway relays its
 *       sampling and elicitation.
 *   <li>Redirects are not followed: they would carry the catalog's headers (credentials) to
 *       another host.
 *   <li>The gateway offers upstreams sampling and elicitation, and relays those requests (and
 *       log messages) to the call in flight only when it is the only request in flight in the
 *       upstream session they came in ({@link dev.cmcp.gateway.upstream.AgentRelays}): over stdio
 *       nothing says whose they are.
 *       It answers {@code ping} itself and refuses everything else (roots) with -32601.
 *   <li>A caller can call its request off ({@link dev.cmcp.gateway.upstream.Cancellation}): the
 *       server is sent {@code notifications/cancelled} under the gateway's id for the request.
 *   <li>A caller hears when a Streamable HTTP server answers with an event stream, and when the
 *       gateway resumes one the server closed before the answer ({@link
 *       dev.cmcp.gateway.upstream.StreamWatcher}), so that it can answer its agent the same way.
 *   <li>Progress tokens sent upstream are the gateway's own, one per request ({@link
 *       dev.cmcp.gateway.upstream.ProgressRoutes}): agents choose theirs freely, and two agents
 *       with the same token must not receive each other's progress.
 * </ul>
 */
package dev.cmcp.gateway.upstream;
