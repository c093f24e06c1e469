package dev.cmcp.gateway.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings the gateway takes from environment variables rather than from the config file:
 * secrets, and switches an operator must set deliberately at launch.
 *
 * @param devMode {@code CMCP_DEV_MODE=1}: software attestation is allowed
 * @param bearerToken {@code CMCP_BEARER_TOKEN}: agents must send {@code Authorization: Bearer <token>}
 * @param opaqueAttestationUrl {@code OPAQUE_ATTESTATION_URL}: the OPAQUE attestation service
 */
public record RuntimeEnvironment(boolean devMode, Optional<String> bearerToken, Optional<URI> opaqueAttestationUrl) {

  public static final String DEV_MODE = "CMCP_DEV_MODE";
  public static final String BEARER_TOKEN = "CMCP_BEARER_TOKEN";
  public static final String OPAQUE_ATTESTATION_URL = "OPAQUE_ATTESTATION_URL";

  public RuntimeEnvironment {
    Objects.requireNonNull(bearerToken);
    Objects.requireNonNull(opaqueAttestationUrl);
  }

  /** Short tokens can be guessed; 16 characters is the least we accept. */
  static final int MIN_TOKEN_LENGTH = 16;

  /** Reads the three variables from {@code env} (normally {@link System#getenv()}). */
  public static RuntimeEnvironment from(Map<String, String> env) throws ConfigException {
    return new RuntimeEnvironment(
        devMode(env.get(DEV_MODE)),
        bearerToken(env.get(BEARER_TOKEN)),
        opaqueUrl(env.get(OPAQUE_ATTESTATION_URL)));
  }

  private static boolean devMode(String value) throws ConfigException {
    if (value == null || value.equals("0")) {
      return false;
    }
    if (value.equals("1")) {
      return true;
    }
    throw new ConfigException(DEV_MODE + ": \"" + value + "\" is not allowed; set it to 1 to enable development mode, or to 0 or leave it unset");
  }

  private static Optional<String> bearerToken(String value) throws ConfigException {
    if (value == null) {
      return Optional.empty();
    }
    // The value is a secret: messages say what is wrong with it, never what it is.
    if (value.length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException(BEARER_TOKEN + " is set but shorter than " + MIN_TOKEN_LENGTH + " characters; use a long random token (for example: openssl rand -hex 32) or unset it");
    }
    if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigException(BEARER_TOKEN + " contains spaces, control characters or non-ASCII characters, which an Authorization header cannot carry; use printable ASCII only");
    }
    return Optional.of(value);
  }

  private static Optional<URI> opaqueUrl(String value) throws ConfigException {
    if (value == null) {
      return Optional.empty();
    }
    String problem = OPAQUE_ATTESTATION_URL + ": \"" + value + "\" is not an absolute http:// or https:// URL";
    try {
      URI url = new URI(value);
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
        throw new ConfigException(problem);
      }
      return Optional.of(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(problem);
    }
  }

  /** Shows whether a bearer token is set, never the token. */
  @Override
  public String toString() {
    return "RuntimeEnvironment[devMode=" + devMode
        + ", bearerToken=" + (bearerToken.isPresent() ? "<set>" : "<unset>")
        + ", opaqueAttestationUrl=" + opaqueAttestationUrl.map(URI::toString).orElse("<unset>") + "]";
  }
}
