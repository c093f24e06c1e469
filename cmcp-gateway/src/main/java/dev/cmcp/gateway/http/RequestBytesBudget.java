package dev.cmcp.gateway.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Request body bytes held at once by all requests together. A body is reserved as it arrives and
 * given back when its request is answered; a request that would go over the budget is refused
 * (503), so that many large bodies at once cannot take the heap.
 */
final class RequestBytesBudget {

  private final long max;
  private final AtomicLong held = new AtomicLong();

  RequestBytesBudget(long max) {
    this.max = max;
  }

  /** Reserves {@code bytes}; false, reserving nothing, when that would go over the budget. */
  boolean reserve(long bytes) {
    while (true) {
      long now = held.get();
      if (now + bytes > max) {
        return false;
      }
      if (held.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  long held() {
    return held.get();
  }
}
