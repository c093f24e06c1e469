package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.mcp.McpHttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The SSE side of one call whose agent accepts a stream. The call runs on the request's own
 * thread; only when the upstream sends the agent something before the answer (progress, a log
 * message, a request) does a writer thread start, turning the response into an SSE stream whose
 * last event is the answer. Most calls send nothing first and are answered as plain JSON with no
 * thread hand-off. Messages are written on the writer thread, never on the thread that delivers
 * them (which may be an upstream's reader), so a slow agent cannot stall an upstream's other calls.
 */
final class EventRelay {

  private static final int MAX_QUEUED_PROGRESS = 64;

  /** What the call hands to the writer thread. */
  private sealed interface Outgoing {
    record ToAgent(JsonNode message) implements Outgoing {}

    record Answer(McpHttpResponse response) implements Outgoing {}

    record Failure(Throwable error) implements Outgoing {}
  }

  private final Response response;
  private final Callback callback;
  private final ObjectMapper json;
  private final BlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>();
  private boolean writing;
  private boolean finished;

  EventRelay(Response response, Callback callback, ObjectMapper json) {
    this.response = response;
    this.callback = callback;
    this.json = json;
  }

  /** A message for the agent before the answer; it must return quickly. */
  synchronized void toAgent(ObjectNode message) {
    if (finished) {
      return;
    }
    // Progress and log messages are advice: under a flood later ones are dropped, not queued
    // without bound. A server's request is never dropped (its server waits for the answer); a call
    // has at most a few open at once.
    if (!message.has("id") && outgoing.size() >= MAX_QUEUED_PROGRESS) {
      return;
    }
    outgoing.add(new Outgoing.ToAgent(message));
    if (!writing) {
      writing = true;
      Thread.ofVirtual().name("mcp-events").start(this::write);
    }
  }

  /**
   * Ends the stream with the answer; false when nothing was streamed, so the caller answers as
   * for any other request.
   */
  synchronized boolean finish(McpHttpResponse answer) {
    finished = true;
    if (writing) {
      outgoing.add(new Outgoing.Answer(answer));
    }
    return writing;
  }

  /** Ends the stream with a failure; false when nothing was streamed. */
  synchronized boolean fail(Throwable error) {
    finished = true;
    if (writing) {
      outgoing.add(new Outgoing.Failure(error));
    }
    return writing;
  }

  private void write() {
    try {
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      OutputStream events = Content.Sink.asOutputStream(response);
      while (true) {
        switch (outgoing.take()) {
          case Outgoing.ToAgent toAgent -> writeEvent(events, toAgent.message());
          case Outgoing.Answer answer -> {
            if (answer.response().body().isPresent()) {
              writeEvent(events, answer.response().body().get());
            }
            events.close();
            callback.succeeded();
            return;
          }
          case Outgoing.Failure failure -> {
            callback.failed(failure.error());
            return;
          }
        }
      }
    } catch (IOException e) {
      callback.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
    }
  }

  private void writeEvent(OutputStream events, JsonNode message) throws IOException {
    events.write(("event: message\ndata: " + json.writeValueAsString(message) + "\n\n").getBytes(StandardCharsets.UTF_8));
    events.flush();
  }
}
