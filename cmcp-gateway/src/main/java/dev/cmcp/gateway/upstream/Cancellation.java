package dev.cmcp.gateway.upstream;

import java.util.function.Consumer;

/**
 * Lets the caller of a request in flight call it off: the server is sent {@code
 * notifications/cancelled} under the id the gateway gave the request, and the waiting caller
 * gets an {@link UpstreamException.Kind#CANCELLED} at once instead of the answer.
 */
public final class Cancellation {

  /**
   * What the caller of a request hears of how its server answers: with an event stream
   * ({@link #streamed}), and, when the server closes that stream before the answer (SEP-1699
   * polling), that the gateway is about to resume it ({@link #resuming}). Lets the gateway answer
   * its agent the way the server answered it. Both must return quickly.
   */
  public interface StreamWatcher {
    /** The server chose to answer with an event stream. */
    void streamed();

    /** The server closed the answer's stream before the answer; the gateway resumes it now. */
    void resuming();
  }

  private static final StreamWatcher UNWATCHED = new StreamWatcher() {
    @Override
    public void streamed() {}

    @Override
    public void resuming() {}
  };

  private Consumer<String> action;
  private String reason;
  private StreamWatcher watcher = UNWATCHED;

  /** Who hears how the server answers; set before the request is sent. */
  public synchronized void watchStream(StreamWatcher watcher) {
    this.watcher = watcher;
  }

  synchronized StreamWatcher streamWatcher() {
    return watcher;
  }

  /** Calls off the request; a no-op once done or cancelled. {@code reason} goes to the server. */
  public void cancel(String reason) {
    Consumer<String> run;
    synchronized (this) {
      if (this.reason != null) {
        return;
      }
      this.reason = reason;
      run = action;
    }
    if (run != null) {
      run.accept(reason);
    }
  }

  public synchronized boolean isCancelled() {
    return reason != null;
  }

  /** What calling off the request now in flight means; runs at once if it was already called off. */
  void onCancel(Consumer<String> whatToDo) {
    String already;
    synchronized (this) {
      action = whatToDo;
      already = reason;
    }
    if (already != null) {
      whatToDo.accept(already);
    }
  }

  /** The request has its answer: calling it off does nothing any more. */
  synchronized void done() {
    action = null;
  }
}
