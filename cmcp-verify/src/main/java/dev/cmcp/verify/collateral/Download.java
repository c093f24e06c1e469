package dev.cmcp.verify.collateral;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One bounded HTTP GET: a connect timeout, one deadline for the whole exchange (headers and
 * body), no redirects, and a byte limit on the body that holds whatever Content-Length says.
 */
final class Download {

  /** A VCEK is about 1.3 KB, a certificate chain 5 KB, Intel's PCK CRLs and TCB info tens of KB. */
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEADLINE = Duration.ofSeconds(30);

  private Download() {}

  /**
   * An answer: the status, the body of a 200, and one header's value when asked for.
   *
   * @param body empty unless the status is 200
   */
  record Answer(int status, byte[] body, Optional<String> header) {}

  /** A failure to get any answer; the message says why, in words, without the URL (the caller adds it). */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  static Answer get(HttpClient client, URI uri, Optional<String> headerName, Duration deadline) throws Failure {
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(deadline).build();
    CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request,
        info -> info.statusCode() == 200 ? new BoundedBody(MAX_BODY_BYTES) : HttpResponse.BodySubscribers.replacing(new byte[0]));
    HttpResponse<byte[]> response;
    try {
      response = exchange.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new Failure("no complete answer within " + deadline.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exchange.cancel(true);
      throw new Failure("interrupted");
    } catch (ExecutionException e) {
      throw new Failure(reason(e.getCause()));
    }
    Optional<String> header = headerName.flatMap(name -> response.headers().firstValue(name));
    return new Answer(response.statusCode(), response.body(), header);
  }

  private static String reason(Throwable cause) {
    if (cause instanceof TooLarge) {
      return cause.getMessage();
    }
    if (cause instanceof ConnectException) {
      return "cannot connect (" + (cause.getMessage() == null ? "connection refused" : cause.getMessage()) + ")";
    }
    if (cause instanceof HttpTimeoutException) {
      return "no complete answer within the deadline (" + cause.getMessage() + ")";
    }
    if (cause instanceof IOException && cause.getCause() instanceof TooLarge tooLarge) {
      return tooLarge.getMessage();
    }
    String message = cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage();
    return (cause == null ? "failed" : cause.getClass().getSimpleName()) + message;
  }

  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(int limit) {
      super("the answer is larger than " + limit / (1024 * 1024) + " MiB, more than any genuine collateral;"
          + " not read further");
    }
  }

  /** Collects at most {@code limit} bytes, then cancels the exchange. */
  private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final int limit;
    private Flow.Subscription subscription;

    BoundedBody(int limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer item : items) {
        if (buffer.size() + (long) item.remaining() > limit) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge(limit));
          return;
        }
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        buffer.write(chunk, 0, chunk.length);
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable throwable) {
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      result.complete(buffer.toByteArray());
    }
  }
}
