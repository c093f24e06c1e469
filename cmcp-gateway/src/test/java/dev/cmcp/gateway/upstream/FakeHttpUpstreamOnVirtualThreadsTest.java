package dev.cmcp.gateway.upstream;

import java.lang.reflect.Method;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Every case of {@link FakeHttpUpstreamTest} again, each run on a virtual thread as the gateway
 * serves calls: there a plain-http upstream is called on the caller's own thread
 * ({@link BlockingPost}) instead of through the asynchronous HttpClient.
 */
@ExtendWith(FakeHttpUpstreamOnVirtualThreadsTest.OnVirtualThread.class)
class FakeHttpUpstreamOnVirtualThreadsTest extends FakeHttpUpstreamTest {

  @Override
  Executor callers() {
    return Executors.newVirtualThreadPerTaskExecutor();
  }

  /** Runs each test method's body on a virtual thread of its own. */
  static final class OnVirtualThread implements InvocationInterceptor {
    @Override
    public void interceptTestMethod(
        Invocation<Void> invocation, ReflectiveInvocationContext<Method> context, ExtensionContext extension) throws Throwable {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread.ofVirtual().start(() -> {
        try {
          invocation.proceed();
        } catch (Throwable t) {
          failure.set(t);
        }
      }).join();
      if (failure.get() != null) {
        throw failure.get();
      }
    }
  }
}
