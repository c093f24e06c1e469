package dev.cmcp.verify.collateral;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/** Checks a service's base URL: https, or plain http to a loopback address (a test stand-in, a local proxy). */
final class Endpoint {

  private Endpoint() {}

  static URI base(String option, URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
        || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException(option + " must be an https URL with a host and no query, e.g."
          + " https://kds-mirror.example/, not \"" + uri + "\"");
    }
    // Signatures protect what a service sends, not whether it is current or withheld: only TLS
    // keeps a network attacker from replaying an old CRL or hiding a new one.
    if (scheme.equals("http") && !loopback(uri.getHost())) {
      throw new IllegalArgumentException(option + " " + uri + ": plain http is accepted only to a loopback address;"
          + " use https for a mirror");
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return URI.create(scheme + "://" + uri.getRawAuthority() + (path.endsWith("/") ? path : path + "/"));
  }

  private static boolean loopback(String host) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (bare.equalsIgnoreCase("localhost")) {
      return true;
    }
    // Literal addresses only: a name is not resolved here, so no lookup decides what is "local".
    if (!bare.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
      return false;
    }
    try {
      return InetAddress.getByName(bare).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
