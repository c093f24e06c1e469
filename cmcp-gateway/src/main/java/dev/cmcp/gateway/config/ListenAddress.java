package dev.cmcp.gateway.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Where the gateway accepts agents' connections.
 *
 * @param host an IPv4 or IPv6 literal (IPv6 without brackets) or a host name
 * @param port 0 to 65535; 0 asks the system for a free port
 * @param explicit whether {@code listen_addr} was written in the config file rather than defaulted
 */
public record ListenAddress(String host, int port, boolean explicit) {

  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");

  public ListenAddress {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0-65535");
    }
    boolean hostName = HOST_NAME.matcher(host).matches() && !host.matches("[0-9.]+");
    if (!isIpv4(host) && !isIpv6(host) && !hostName) {
      throw new IllegalArgumentException("\"" + host + "\" is not an IP address or host name");
    }
  }

  /**
   * Parses {@code host:port}, with IPv6 hosts in brackets ({@code [::1]:8443}).
   *
   * @throws IllegalArgumentException with a message that says what is wrong with {@code text}
   */
  public static ListenAddress parse(String text, boolean explicit) {
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf("]:");
      if (close < 0) {
        throw new IllegalArgumentException("\"" + text + "\" is not host:port; write IPv6 addresses like [::1]:8443");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
      if (!isIpv6(host)) {
        throw new IllegalArgumentException("\"" + host + "\" in brackets is not an IPv6 address");
      }
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("\"" + text + "\" has no port; write host:port, like 127.0.0.1:8443");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
      if (host.contains(":")) {
        throw new IllegalArgumentException("\"" + text + "\": write IPv6 addresses in brackets, like [::1]:8443");
      }
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
      throw new IllegalArgumentException("\"" + port + "\" is not a port number (0-65535)");
    }
    return new ListenAddress(host, Integer.parseInt(port), explicit);
  }

  /**
   * True when only this machine can connect: {@code localhost}, 127.0.0.0/8 or ::1. Any other host
   * name counts as reachable from elsewhere, since it may resolve to anything.
   */
  public boolean isLoopback() {
    if (host.equalsIgnoreCase("localhost") || host.equalsIgnoreCase("localhost.")) {
      return true;
    }
    if (isIpv4(host)) {
      return host.startsWith("127.");
    }
    return isIpv6(host) && ipv6(host).isLoopbackAddress();
  }

  /** Whether {@code host} (a name or an address, IPv6 with or without brackets) is this machine's loopback. */
  public static boolean isLoopbackHost(String host) {
    try {
      return new ListenAddress(host.replace("[", "").replace("]", ""), 0, true).isLoopback();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code host:port}, with IPv6 hosts in brackets. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static boolean isIpv4(String host) {
    var matcher = IPV4.matcher(host);
    if (!matcher.matches()) {
      return false;
    }
    for (int group = 1; group <= 4; group++) {
      if (Integer.parseInt(matcher.group(group)) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv6(String host) {
    return host.contains(":") && ipv6(host) != null;
  }

  /** The address of an IPv6 literal, or null; brackets make the JDK parse a literal, never ask DNS. */
  private static InetAddress ipv6(String literal) {
    try {
      return InetAddress.getByName("[" + literal + "]");
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
