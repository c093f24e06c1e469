package dev.cmcp.gateway.upstream;

import java.time.Duration;

/** Why a request to an upstream MCP server got no usable answer. */
public final class UpstreamException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, so the caller can pick the JSON-RPC error and the audit outcome. */
  public enum Kind {
    /** The upstream did not answer within the configured timeout. */
    TIMEOUT,
    /** The upstream is unknown, not running, unreachable, or went away mid-request. */
    UNAVAILABLE,
    /** The answer was larger than the configured limit and was dropped unread. */
    RESPONSE_TOO_LARGE,
    /** The upstream answered with something that is not the MCP the gateway speaks. */
    PROTOCOL_ERROR,
    /** The agent called the request off before the upstream answered ({@link Cancellation}). */
    CANCELLED
  }

  private final Kind kind;

  public UpstreamException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public UpstreamException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  static UpstreamException timeout(String server, String method, Duration limit) {
    return new UpstreamException(
        Kind.TIMEOUT, "upstream " + server + " did not answer " + method + " within " + describe(limit));
  }

  static UpstreamException tooLarge(String server, String method, long limitBytes) {
    return new UpstreamException(
        Kind.RESPONSE_TOO_LARGE,
        "upstream "
            + server
            + " answered "
            + method
            + " with more than "
            + limitBytes
            + " bytes (max_response_size); the answer was dropped");
  }

  static UpstreamException cancelled(String server, String method) {
    return new UpstreamException(Kind.CANCELLED, "the agent cancelled " + method + " before upstream " + server + " answered");
  }

  /** A copy thrown on the caller's thread, so its stack trace shows who asked. */
  UpstreamException rethrown() {
    return new UpstreamException(kind, getMessage(), this);
  }

  static String describe(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + " s"
        : duration.toMillis() + " ms";
  }
}
