/**
 * Who is calling: agent authentication before anything of a request is read.
 *
 * <p>{@link dev.cmcp.gateway.auth.Authenticator} turns an {@code Authorization} header into an
 * {@link dev.cmcp.gateway.auth.Identity} or an {@link dev.cmcp.gateway.auth.AuthRefusal}: a
 * per-agent token ({@code auth.agents}, compared as SHA-256 digests in constant time), a JWT access
 * token of the configured OAuth authorization server ({@code auth.oauth}, checked by {@link
 * dev.cmcp.gateway.auth.OAuthVerifier} with nimbus-jose-jwt against keys that {@link
 * dev.cmcp.gateway.auth.IssuerKeys} finds through the issuer's metadata), the one shared {@code
 * CMCP_BEARER_TOKEN}, or nothing at all on a loopback gateway without an {@code auth} section.
 * {@link dev.cmcp.gateway.auth.ProtectedResource} is the RFC 9728 metadata an MCP client starts its
 * authorization flow from.
 *
 * <p>With an authenticated identity the Cedar principal is {@code Agent::"<id>"}; without one it
 * stays the declared workflow, as before authentication existed.
 */
package dev.cmcp.gateway.auth;
