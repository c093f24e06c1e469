package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayOutputStream;
import java.lang.System.Logger.Level;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * Reads the body of a Streamable HTTP answer as it arrives, never holding more than the response
 * size limit of it: a plain JSON body, or an SSE stream that carries the answer among other
 * messages. Both finish as soon as the answer is known and drop the rest of the body.
 */
final class ResponseBodies {
  private static final System.Logger LOG = System.getLogger(ResponseBodies.class.getName());

  private ResponseBodies() {}

  /**
   * What one POST is waiting for.
   *
   * @param others receives the server's other messages on an SSE stream (its requests and
   *     notifications); runs on the HTTP client's thread, so it must return quickly
   */
  record Expected(
      String server, String method, long id, long maxBytes, StrictJson json, Consumer<JsonRpc.Incoming> others) {}

  static HttpResponse.BodySubscriber<ObjectNode> json(Expected expected) {
    return new JsonBody(expected);
  }

  /** An event stream read once: its end before the answer is a failure. */
  static HttpResponse.BodySubscriber<ObjectNode> eventStream(Expected expected) {
    return new EventStreamBody(expected, null);
  }

  /**
   * An event stream that may be resumed: empty when the server closed it before the answer after
   * giving an event id the gateway can send back ({@code position} says which, and how long the
   * server asked the client to wait); an event whose id {@code position} has seen is skipped.
   */
  static HttpResponse.BodySubscriber<Optional<ObjectNode>> resumableEventStream(Expected expected, StreamPosition position) {
    return HttpResponse.BodySubscribers.mapping(new EventStreamBody(expected, position), Optional::ofNullable);
  }

  /** Flow plumbing shared by both bodies: pull one chunk at a time, stop once the answer is known. */
  private abstract static class IncrementalBody implements HttpResponse.BodySubscriber<ObjectNode> {
    final Expected expected;
    private final CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
    private Flow.Subscription subscription;

    IncrementalBody(Expected expected) {
      this.expected = expected;
    }

    /** Takes the next bytes; calls {@link #answered} once the answer is complete. */
    abstract void accept(ByteBuffer bytes) throws UpstreamException;

    /** Called when the body ended before {@link #answered} was called. */
    abstract ObjectNode atEnd() throws UpstreamException;

    final void answered(ObjectNode message) {
      answer.complete(message);
    }

    final boolean isAnswered() {
      return answer.isDone();
    }

    @Override
    public final CompletionStage<ObjectNode> getBody() {
      return answer;
    }

    @Override
    public final void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public final void onNext(List<ByteBuffer> chunks) {
      try {
        for (ByteBuffer chunk : chunks) {
          if (answer.isDone()) {
            break;
          }
          accept(chunk);
        }
      } catch (UpstreamException e) {
        answer.completeExceptionally(e);
      }
      if (answer.isDone()) {
        subscription.cancel();
      } else {
        subscription.request(1);
      }
    }

    @Override
    public final void onError(Throwable error) {
      answer.completeExceptionally(error);
    }

    @Override
    public final void onComplete() {
      if (answer.isDone()) {
        return;
      }
      try {
        answer.complete(atEnd());
      } catch (UpstreamException e) {
        answer.completeExceptionally(e);
      }
    }

    /** Parses one whole message; the answer to our request, or null for anything else. */
    final ObjectNode answerIn(byte[] bytes) throws UpstreamException {
      JsonNode message;
      try {
        message = expected.json().parse(bytes);
      } catch (StrictJson.MalformedJsonException e) {
        // Never log the parser's message: it can quote the payload.
        LOG.log(
            Level.WARNING,
            "upstream " + expected.server() + " sent a message that is not valid JSON (" + bytes.length + " bytes); skipped");
        return null;
      }
      return answerIn(message);
    }

    /** One parsed message: the answer to our request, or null for anything else (passed to {@code others}, or skipped). */
    final ObjectNode answerIn(JsonNode message) {
      switch (JsonRpc.classify(message)) {
        case JsonRpc.Incoming.Response response -> {
          Long id = JsonRpc.gatewayId(response.id());
          if (id != null && id == expected.id()) {
            return response.message();
          }
          LOG.log(Level.WARNING, "upstream " + expected.server() + " sent an answer to another request; skipped");
        }
        case JsonRpc.Incoming.ServerRequest request -> expected.others().accept(request);
        case JsonRpc.Incoming.Notification notification -> expected.others().accept(notification);
        case JsonRpc.Incoming.Unrecognised unrecognised ->
            LOG.log(Level.WARNING, "upstream " + expected.server() + " sent JSON that is not a JSON-RPC message; skipped");
      }
      return null;
    }

    final UpstreamException tooLarge() {
      return UpstreamException.tooLarge(expected.server(), expected.method(), expected.maxBytes());
    }
  }

  /** {@code Content-Type: application/json}: the body is the answer. */
  private static final class JsonBody extends IncrementalBody {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    JsonBody(Expected expected) {
      super(expected);
    }

    @Override
    void accept(ByteBuffer bytes) throws UpstreamException {
      if (body.size() + (long) bytes.remaining() > expected.maxBytes()) {
        throw tooLarge();
      }
      byte[] chunk = new byte[bytes.remaining()];
      bytes.get(chunk);
      body.writeBytes(chunk);
    }

    /**
     * The body is one message; some 2026-07-28 servers (the conformance suite's reference server)
     * send a JSON body of several, one a line, the answer last: read as such only when the whole
     * does not parse, each line then parsed strictly and taken as a message on an SSE stream is.
     */
    @Override
    ObjectNode atEnd() throws UpstreamException {
      byte[] bytes = body.toByteArray();
      ObjectNode answer;
      try {
        answer = answerIn(expected.json().parse(bytes));
      } catch (StrictJson.MalformedJsonException e) {
        answer = answerInLines(this, bytes);
      }
      if (answer == null) {
        throw new UpstreamException(
            UpstreamException.Kind.PROTOCOL_ERROR,
            "upstream " + expected.server() + " answered " + expected.method() + " with a body that is not its JSON-RPC response");
      }
      return answer;
    }
  }

  /** The answer among messages one a line (newline-delimited JSON), the others passed on in order; null when none is. */
  private static ObjectNode answerInLines(IncrementalBody reader, byte[] bytes) throws UpstreamException {
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        byte[] line = Arrays.copyOfRange(bytes, start, i);
        start = i + 1;
        if (new String(line, StandardCharsets.UTF_8).isBlank()) {
          continue;
        }
        ObjectNode answer = reader.answerIn(line);
        if (answer != null) {
          return answer;
        }
      }
    }
    return null;
  }

  /**
   * {@code Content-Type: text/event-stream}: server-sent events whose {@code data} fields carry
   * JSON-RPC messages. Only the parts of the SSE format MCP uses are read: {@code data} lines are
   * joined; {@code id} and {@code retry} go to the stream's {@link StreamPosition}, when it is
   * resumable; comments and other fields ({@code event}) are ignored; an event with no data (the
   * 2025-11-25 priming event) carries no message.
   */
  private static final class EventStreamBody extends IncrementalBody {
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    /** Null for a stream that is not resumed: ids and retry are then ignored. */
    private final StreamPosition position;
    private boolean hasData;
    private boolean afterCarriageReturn;
    /** The id field of the event being read, null when it has none. */
    private String eventId;

    EventStreamBody(Expected expected, StreamPosition position) {
      super(expected);
      this.position = position;
    }

    @Override
    void accept(ByteBuffer bytes) throws UpstreamException {
      // A line holds one field of one event, so the bound on an event's data bounds lines too.
      long maxLine = expected.maxBytes() + "data: ".length();
      while (bytes.hasRemaining()) {
        if (afterCarriageReturn && bytes.get(bytes.position()) == '\n') {
          bytes.get();
        }
        afterCarriageReturn = false;
        int lineBreak = indexOfLineBreak(bytes);
        int length = (lineBreak < 0 ? bytes.limit() : lineBreak) - bytes.position();
        if (line.size() + (long) length > maxLine) {
          throw tooLarge();
        }
        byte[] part = new byte[length];
        bytes.get(part);
        line.writeBytes(part);
        if (lineBreak >= 0) {
          afterCarriageReturn = bytes.get() == '\r';
          endOfLine();
          if (isAnswered()) {
            return;
          }
        }
      }
    }

    /** SSE lines end with CR, LF or CRLF. */
    private static int indexOfLineBreak(ByteBuffer bytes) {
      for (int i = bytes.position(); i < bytes.limit(); i++) {
        if (bytes.get(i) == '\n' || bytes.get(i) == '\r') {
          return i;
        }
      }
      return -1;
    }

    private void endOfLine() throws UpstreamException {
      byte[] field = line.toByteArray();
      line.reset();
      if (field.length == 0) {
        endOfEvent();
        return;
      }
      int colon = indexOf(field, (byte) ':');
      String name = new String(field, 0, colon < 0 ? field.length : colon, StandardCharsets.UTF_8);
      int valueStart = colon < 0 ? field.length : colon + 1;
      if (valueStart < field.length && field[valueStart] == ' ') {
        valueStart++;
      }
      if (position != null && (name.equals("id") || name.equals("retry"))) {
        String value = new String(field, valueStart, field.length - valueStart, StandardCharsets.UTF_8);
        if (name.equals("retry")) {
          position.retryField(value);
        } else if (value.indexOf('\0') < 0) {
          position.idField(value);
          eventId = value;
        }
        return;
      }
      if (!name.equals("data")) {
        return;
      }
      if (hasData) {
        data.write('\n');
      }
      data.write(field, valueStart, field.length - valueStart);
      hasData = true;
      if (data.size() > expected.maxBytes()) {
        throw tooLarge();
      }
    }

    private void endOfEvent() throws UpstreamException {
      String id = eventId;
      eventId = null;
      if (!hasData) {
        return;
      }
      byte[] message = data.toByteArray();
      data.reset();
      hasData = false;
      if (message.length == 0) {
        return;
      }
      if (position != null && !position.firstTime(id)) {
        LOG.log(Level.DEBUG, "upstream " + expected.server() + " sent an event again on a resumed stream; skipped");
        return;
      }
      ObjectNode answer = answerIn(message);
      if (answer != null) {
        answered(answer);
      }
    }

    /**
     * An event cut off by the end of the stream is discarded, as the SSE format says. Null (the
     * stream may be resumed) when the server gave an event id to resume from.
     */
    @Override
    ObjectNode atEnd() throws UpstreamException {
      if (position != null && position.lastEventId().isPresent()) {
        return null;
      }
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE,
          "upstream " + expected.server() + " closed its event stream before answering " + expected.method()
              + (position == null ? "" : ", with no event id to resume it from"));
    }

    private static int indexOf(byte[] bytes, byte wanted) {
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == wanted) {
          return i;
        }
      }
      return -1;
    }
  }
}
