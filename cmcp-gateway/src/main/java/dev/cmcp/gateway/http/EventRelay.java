package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.mcp.McpHttpResponse;
import dev.cmcp.gateway.mcp.StreamReplays;
import dev.cmcp.gateway.upstream.StreamWatcher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
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
 *
 * <p>When the upstream itself answers with an event stream (MCP 2025-11-25 servers may choose to),
 * the agent is answered with one too, mirroring it: a priming event (an event id, empty data) with
 * {@code retry} first, an id on every event, each event kept in {@link StreamReplays} for the
 * session; when the upstream closes its stream before the answer (SEP-1699 polling) and the
 * gateway resumes it, the agent's stream is closed too, and the agent gets the rest with {@code
 * GET} and {@code Last-Event-ID} ({@link McpHandler}). A call whose agent has no session, or whose
 * upstream answers in JSON, stays plain JSON (issue 16: no SSE machinery for a plain answer).
 * {@link McpHandler} hands it to {@code McpEndpoint.post} twice: as where the
 * agent's messages go, and as the {@link StreamWatcher} that hears how the upstream answered.
 */
final class EventRelay implements Consumer<ObjectNode>, StreamWatcher {

  /** The {@code retry} the agent is sent: the gateway's stream is served from memory, so the agent may come back soon. */
  static final int RETRY_MILLIS = 1000;

  private static final int MAX_QUEUED_PROGRESS = 64;

  /** What the call hands to the writer thread. */
  private sealed interface Outgoing {
    record ToAgent(JsonNode message) implements Outgoing {}

    record Answer(McpHttpResponse response) implements Outgoing {}

    record Failure(Throwable error) implements Outgoing {}

    /** The upstream chose a stream: the agent's starts with a priming event. */
    record Prime() implements Outgoing {}

    /** The upstream closed its stream before the answer: so is the agent's; the rest is kept for its resume. */
    record Pause() implements Outgoing {}
  }

  private final Response response;
  private final Callback callback;
  private final ObjectMapper json;
  private final BlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>();
  private final Optional<String> sessionId;
  private final StreamReplays replays;
  private boolean writing;
  private boolean finished;
  private boolean mirrored;
  /** Set on the writer thread only. */
  private StreamReplays.Recording recording;
  private boolean agentGone;

  EventRelay(Response response, Callback callback, ObjectMapper json, Optional<String> sessionId, StreamReplays replays) {
    this.response = response;
    this.callback = callback;
    this.json = json;
    this.sessionId = sessionId;
    this.replays = replays;
  }

  @Override
  public void accept(ObjectNode message) {
    toAgent(message);
  }

  @Override
  public synchronized void streamed() {
    if (finished || mirrored || writing || sessionId.isEmpty()) {
      // Already streaming (progress came first) or nobody to resume: nothing to mirror.
      return;
    }
    mirrored = true;
    outgoing.add(new Outgoing.Prime());
    startWriting();
  }

  @Override
  public synchronized void resuming() {
    if (mirrored && !finished) {
      outgoing.add(new Outgoing.Pause());
    }
  }

  private void startWriting() {
    if (!writing) {
      writing = true;
      Thread.ofVirtual().name("mcp-events").start(this::write);
    }
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
    startWriting();
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
          case Outgoing.Prime prime -> {
            recording = replays.open(sessionId.orElseThrow());
            StreamReplays.Event priming = recording.append("");
            write(events, "id: " + priming.id() + "\nretry: " + RETRY_MILLIS + "\ndata: \n\n");
          }
          case Outgoing.ToAgent toAgent -> writeEvent(events, toAgent.message());
          case Outgoing.Pause pause -> {
            if (!agentGone) {
              agentGone = true;
              events.close();
              callback.succeeded();
            }
          }
          case Outgoing.Answer answer -> {
            if (answer.response().body().isPresent()) {
              writeEvent(events, answer.response().body().get());
            }
            if (recording != null) {
              recording.complete();
            }
            if (!agentGone) {
              events.close();
              callback.succeeded();
            }
            return;
          }
          case Outgoing.Failure failure -> {
            if (recording != null) {
              recording.complete();
            }
            if (!agentGone) {
              callback.failed(failure.error());
            }
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
    String data = json.writeValueAsString(message);
    if (recording == null) {
      write(events, "event: message\ndata: " + data + "\n\n");
      return;
    }
    StreamReplays.Event event = recording.append(data);
    write(events, "id: " + event.id() + "\nevent: message\ndata: " + data + "\n\n");
  }

  /** Writes to the agent unless it is gone (its stream paused or cut): then the event is only kept for its resume. */
  private void write(OutputStream events, String text) {
    if (agentGone) {
      return;
    }
    try {
      events.write(text.getBytes(StandardCharsets.UTF_8));
      events.flush();
    } catch (IOException e) {
      // The agent's connection was cut: with a recording it may come back with Last-Event-ID.
      agentGone = true;
      callback.failed(e);
    }
  }
}
