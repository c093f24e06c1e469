package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One run of a stdio upstream's command: the process, its pipes, and the requests waiting on it.
 * When its stdout ends, every waiting request fails at once; {@link StdioConnection} then starts
 * a new one.
 */
final class ChildProcess {
  private static final System.Logger LOG = System.getLogger(ChildProcess.class.getName());

  /**
   * The only variables of the gateway's own environment a child sees. The gateway's environment
   * holds its secrets (the agents' bearer token among them); a server gets what the catalog gives
   * it plus what a program needs to run at all.
   */
  private static final List<String> INHERITED_VARIABLES =
      List.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT");

  /** Long enough for any log line a person would read; the rest of a longer line is dropped. */
  private static final int MAX_LOG_LINE_BYTES = 8 * 1024;

  private final String server;
  private final UpstreamSettings settings;
  private final StrictJson json;
  private final UpstreamEvents events;
  private final Process process;
  private final OutputStream stdin;
  private final ReentrantLock stdinLock = new ReentrantLock();
  private final PendingRequests pending = new PendingRequests();
  private final Thread stdoutReader;
  private final Instant startedAt = Instant.now();

  private ChildProcess(
      String server, UpstreamSettings settings, StrictJson json, UpstreamEvents events, Process process) {
    this.server = server;
    this.settings = settings;
    this.json = json;
    this.events = events;
    this.process = process;
    this.stdin = process.getOutputStream();
    // A pipe read holds its carrier thread, and these readers live as long as the child: they get
    // platform threads of their own rather than virtual ones.
    this.stdoutReader =
        Thread.ofPlatform().daemon().name("upstream-" + server + "-stdout").start(this::readMessages);
    Thread.ofPlatform().daemon().name("upstream-" + server + "-stderr").start(this::readLog);
  }

  /** Launches the command; the child is not yet initialized. */
  static ChildProcess launch(
      UpstreamServer.Stdio server, UpstreamSettings settings, StrictJson json, UpstreamEvents events)
      throws UpstreamException {
    List<String> command = new ArrayList<>();
    command.add(server.command());
    command.addAll(server.args());
    ProcessBuilder builder = new ProcessBuilder(command);
    if (server.workingDirectory() != null) {
      builder.directory(server.workingDirectory().toFile());
    }
    Map<String, String> environment = builder.environment();
    environment.clear();
    for (String name : INHERITED_VARIABLES) {
      String value = System.getenv(name);
      if (value != null) {
        environment.put(name, value);
      }
    }
    environment.putAll(server.env());
    try {
      return new ChildProcess(server.name(), settings, json, events, builder.start());
    } catch (IOException e) {
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE,
          "upstream " + server.name() + ": cannot run command '" + server.command() + "': " + e.getMessage(),
          e);
    }
  }

  /** Runs the MCP handshake; the child serves requests once it returns. */
  void initialize(long deadlineNanos) throws UpstreamException {
    ObjectNode answer = request("initialize", Handshake.initializeParams(), deadlineNanos);
    Handshake.negotiatedVersion(server, answer);
    send(JsonRpc.notification("notifications/initialized", null), "notifications/initialized");
  }

  ObjectNode request(String method, JsonNode params, long deadlineNanos) throws UpstreamException {
    return request(method, params, deadlineNanos, new Cancellation());
  }

  ObjectNode request(String method, JsonNode params, long deadlineNanos, Cancellation cancellation) throws UpstreamException {
    PendingRequests.Ticket ticket = pending.open(method);
    // Only a request still waiting is called off, and then the server is told under the id it knows.
    cancellation.onCancel(reason -> {
      if (pending.fail(ticket.id(), calledOff -> UpstreamException.cancelled(server, calledOff))) {
        sendQuietly(JsonRpc.cancelled(ticket.id(), reason));
      }
    });
    try {
      send(JsonRpc.request(ticket.id(), method, params), method);
      return ticket.answer().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.forget(ticket.id());
      sendQuietly(JsonRpc.cancelled(ticket.id(), "the gateway stopped waiting (timeout)"));
      throw UpstreamException.timeout(server, method, settings.timeout());
    } catch (ExecutionException e) {
      throw e.getCause() instanceof UpstreamException cause
          ? cause.rethrown()
          : new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "upstream " + server + " failed", e);
    } catch (InterruptedException e) {
      pending.forget(ticket.id());
      Thread.currentThread().interrupt();
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "interrupted while waiting for upstream " + server + " to answer " + method);
    } catch (UpstreamException e) {
      pending.forget(ticket.id());
      throw e;
    } finally {
      cancellation.done();
    }
  }

  /** Blocks until the child's stdout ends: it exited, crashed or closed the pipe. */
  void awaitHangUp() throws InterruptedException {
    stdoutReader.join();
  }

  Instant startedAt() {
    return startedAt;
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  int requestsInFlight() {
    return pending.size();
  }

  /**
   * Ends the child: closes its stdin, asks it (and any processes it started) to terminate, and
   * kills whatever still runs after {@code grace}. Returns the exit status.
   */
  int stop(Duration grace) throws InterruptedException {
    List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
    family.add(process.toHandle());
    try {
      stdin.close();
    } catch (IOException e) {
      // Already closed by a dead child; terminating it below is what matters.
    }
    family.forEach(ProcessHandle::destroy);
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      LOG.log(Level.WARNING, "upstream " + server + " did not stop within " + UpstreamException.describe(grace) + "; killing it");
    }
    family.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    return process.isAlive() ? -1 : process.exitValue();
  }

  private void send(ObjectNode message, String method) throws UpstreamException {
    byte[] line;
    try {
      // Jackson writes a tree on one line: newlines inside strings are escaped, as stdio framing requires.
      line = json.mapper().writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
    stdinLock.lock();
    try {
      stdin.write(line);
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "upstream " + server + " is gone; cannot send " + method, e);
    } finally {
      stdinLock.unlock();
    }
  }

  private void sendQuietly(ObjectNode message) {
    try {
      send(message, message.path("method").asText());
    } catch (UpstreamException e) {
      LOG.log(Level.DEBUG, "upstream " + server + ": " + e.getMessage());
    }
  }

  private void readMessages() {
    LineReader lines = new LineReader(process.getInputStream());
    try {
      LineReader.Line line;
      while ((line = lines.next(settings.maxResponseSizeAsArrayLength())) != null) {
        switch (line) {
          case LineReader.Line.Whole whole -> {
            if (whole.bytes().length > 0) {
              dispatch(whole.bytes());
            }
          }
          case LineReader.Line.TooLong tooLong -> dropOversized(tooLong);
        }
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "upstream " + server + ": stdout closed: " + e.getMessage());
    } catch (RuntimeException e) {
      // A bug here must not leave callers waiting on a reader that stopped: close the pipe below.
      LOG.log(Level.ERROR, "upstream " + server + ": reader failed", e);
    } finally {
      pending.close(
          method ->
              new UpstreamException(
                  UpstreamException.Kind.UNAVAILABLE, "upstream " + server + " exited before answering " + method));
    }
  }

  private void dispatch(byte[] bytes) {
    JsonNode message;
    try {
      message = json.parse(bytes);
    } catch (StrictJson.MalformedJsonException e) {
      // Never log the parser's message: it can quote the payload.
      JsonRpc.Envelope envelope = JsonRpc.envelope(new ByteArrayInputStream(bytes));
      Long id = JsonRpc.gatewayId(envelope.id());
      if (envelope.answers(id)
          && pending.fail(
              id,
              method ->
                  new UpstreamException(
                      UpstreamException.Kind.PROTOCOL_ERROR,
                      "upstream " + server + " answered " + method + " with malformed JSON"))) {
        return;
      }
      LOG.log(Level.WARNING, "upstream " + server + " wrote a line that is not valid JSON (" + bytes.length + " bytes); skipped");
      return;
    }
    switch (JsonRpc.classify(message)) {
      case JsonRpc.Incoming.Response response -> {
        if (!pending.answer(JsonRpc.gatewayId(response.id()), response.message())) {
          LOG.log(Level.WARNING, "upstream " + server + " sent an answer to no waiting request (unknown id, or too late); skipped");
        }
      }
      case JsonRpc.Incoming.ServerRequest request -> events.request(server, request, this::sendQuietly);
      case JsonRpc.Incoming.Notification notification -> events.notification(server, notification.message());
      case JsonRpc.Incoming.Unrecognised unrecognised ->
          LOG.log(Level.WARNING, "upstream " + server + " wrote JSON that is not a JSON-RPC message; skipped");
    }
  }

  /**
   * Finds which request an oversized line answered by streaming it past a parser that keeps only
   * the top-level id, then fails that request. The line itself is never held whole.
   */
  private void dropOversized(LineReader.Line.TooLong line) {
    InputStream whole = new SequenceInputStream(new ByteArrayInputStream(line.head()), line.rest());
    JsonRpc.Envelope envelope = JsonRpc.envelope(whole);
    Long id = JsonRpc.gatewayId(envelope.id());
    if (envelope.answers(id)
        && pending.fail(id, method -> UpstreamException.tooLarge(server, method, settings.maxResponseSizeBytes()))) {
      return;
    }
    LOG.log(
        Level.WARNING,
        "upstream " + server + " wrote a message over " + settings.maxResponseSizeBytes()
            + " bytes that answers no waiting request; skipped");
  }

  private void readLog() {
    LineReader lines = new LineReader(process.getErrorStream());
    try {
      LineReader.Line line;
      while ((line = lines.next(MAX_LOG_LINE_BYTES)) != null) {
        String text =
            switch (line) {
              case LineReader.Line.Whole whole -> printable(whole.bytes());
              case LineReader.Line.TooLong tooLong -> printable(tooLong.head()) + " [line truncated]";
            };
        LOG.log(Level.INFO, "[" + server + "] " + text);
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "upstream " + server + ": stderr closed: " + e.getMessage());
    }
  }

  /** Control characters could forge log lines or terminal escapes; show them as '?'. */
  private static String printable(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
  }
}
