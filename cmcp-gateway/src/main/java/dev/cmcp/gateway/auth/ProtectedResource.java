package dev.cmcp.gateway.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.AuthSettings;
import java.net.URI;
import java.util.Optional;

/**
 * The gateway's OAuth 2.0 protected resource metadata (RFC 9728), which an MCP client reads after
 * a 401 to find the authorization server. Its URL derives from the configured resource
 * ({@code auth.oauth.audience}), the public URL of {@code /mcp}: behind a proxy the request's own
 * host may differ, but the audience is what tokens must name.
 */
public final class ProtectedResource {

  /** Where RFC 9728 puts the metadata: this, followed by the resource's path. */
  public static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

  private final AuthSettings.OAuth settings;

  ProtectedResource(AuthSettings.OAuth settings) {
    this.settings = settings;
  }

  /** Whether {@code path} asks for this metadata: the bare well-known path or its form for the resource's path. */
  public boolean serves(String path) {
    return path.equals(WELL_KNOWN) || path.equals(WELL_KNOWN + resourcePath());
  }

  /** The metadata document. */
  public ObjectNode document() {
    ObjectNode document = JsonNodeFactory.instance.objectNode();
    document.put("resource", settings.audience().toString());
    document.putArray("authorization_servers").add(settings.issuer().toString());
    document.putArray("bearer_methods_supported").add("header");
    ArrayNode scopes = document.putArray("scopes_supported");
    settings.requiredScopes().forEach(scopes::add);
    document.put("resource_name", "cMCP gateway");
    return document;
  }

  /** The metadata's URL (path form, RFC 9728 section 3.1), for {@code WWW-Authenticate}. */
  public URI metadataUrl() {
    URI audience = settings.audience();
    return URI.create(audience.getScheme() + "://" + audience.getRawAuthority() + WELL_KNOWN + resourcePath());
  }

  /**
   * The {@code WWW-Authenticate} value of a refusal (RFC 6750 section 3, RFC 9728 section 5.1).
   *
   * @param error {@code invalid_token} or {@code insufficient_scope}; empty when no token was sent
   */
  public String challenge(Optional<String> error) {
    StringBuilder value = new StringBuilder("Bearer resource_metadata=\"").append(metadataUrl()).append('"');
    error.ifPresent(e -> value.append(", error=\"").append(e).append('"'));
    if (error.filter("insufficient_scope"::equals).isPresent() && !settings.requiredScopes().isEmpty()) {
      value.append(", scope=\"").append(String.join(" ", settings.requiredScopes())).append('"');
    }
    return value.toString();
  }

  private String resourcePath() {
    String path = settings.audience().getRawPath() == null ? "" : settings.audience().getRawPath();
    return path.equals("/") ? "" : path;
  }
}
