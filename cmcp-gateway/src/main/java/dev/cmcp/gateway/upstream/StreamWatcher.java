package dev.cmcp.gateway.upstream;

/**
 * What the caller of a request hears of how its server answers: with an event stream ({@link
 * #streamed}), and, when the server closes that stream before the answer (SEP-1699 polling), that
 * the gateway is about to resume it ({@link #resuming}). Lets the gateway answer its agent the way
 * the server answered it. Both must return quickly. Only a Streamable HTTP server in a 2025
 * revision is heard of; a stdio server's answers come on its one stream.
 */
public interface StreamWatcher {

  /** For a caller that answers the same however the server answered. */
  StreamWatcher NONE = new StreamWatcher() {
    @Override
    public void streamed() {}

    @Override
    public void resuming() {}
  };

  /** The server chose to answer with an event stream. */
  void streamed();

  /** The server closed the answer's stream before the answer; the gateway resumes it now. */
  void resuming();
}
