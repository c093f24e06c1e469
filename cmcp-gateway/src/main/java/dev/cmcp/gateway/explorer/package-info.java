/**
 * The audit explorer ({@code cmcp audit serve}): a local, read-only web page over an audit folder
 * and its claims, for auditors who would rather look than read JSONL.
 *
 * <p>It is not part of the gateway's attack surface: it runs as its own process, started by hand
 * on a copy of (or read access to) the audit folder, never by {@code cmcp start}; it shares no
 * port, key or state with a gateway; it writes nothing and answers only GET. What it judges it
 * judges with the verifier's own code ({@code AuditLogReplay}, {@code ClaimVerifier}), so the
 * page cannot call a log intact that {@code cmcp verify} would not. Values from the log are
 * agent-influenced (tool names, workflow ids), so every one is escaped, the page has no script
 * and its Content-Security-Policy allows none.
 */
package dev.cmcp.gateway.explorer;
