package dev.cmcp.gateway.upstream;

import java.util.function.Consumer;

/**
 * Lets the caller of a request in flight call it off: the server is sent {@code
 * notifications/cancelled} under the id the gateway gave the request, and the waiting caller
 * gets an {@link UpstreamException.Kind#CANCELLED} at once instead of the answer.
 */
public final class Cancellation {

  private Consumer<String> action;
  private String reason;
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
