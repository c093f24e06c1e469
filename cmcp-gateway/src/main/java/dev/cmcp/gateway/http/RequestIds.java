package dev.cmcp.gateway.http;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Names each HTTP request: a random prefix drawn once per gateway start, then a counter, e.g.
 * {@code 5f0c9a3e21b7-42}. Unique within the gateway's logs and audit files without a random draw
 * per request. An id a client sends is not taken: two clients could send the same one, and the
 * operator could no longer go from a log line to exactly one audit entry.
 */
final class RequestIds {

  /** What the gateway calls the header carrying the id in its answers. */
  static final String HEADER = "X-Request-Id";

  private final String prefix;
  private final AtomicLong next = new AtomicLong();

  RequestIds() {
    byte[] random = new byte[6];
    new SecureRandom().nextBytes(random);
    this.prefix = HexFormat.of().formatHex(random) + "-";
  }

  String next() {
    return prefix + next.incrementAndGet();
  }
}
