package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One {@code tools/call} of an MCP 2026-07-28 client whose upstream asks the client something
 * (sampling, elicitation, or the gateway's own approval question) while the call runs.
 *
 * <p>That client keeps no stream open to be asked on: the gateway answers the call with an
 * {@code input_required} result carrying the open questions, keeps the call itself running
 * (the upstream still waits for its answers), and continues it when the client retries with
 * {@code inputResponses} and the {@code requestState} it was given ({@link RoundTrips}). The
 * policy decided the call once, before it was forwarded; a retry only carries answers.
 *
 * <p>Each state is good for one retry ({@link #resume}); one the client does not use within the
 * answer timeout ends the round trip, and the upstream's open requests get an error.
 */
final class RoundTrip {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** A server asking more than this at once within one call is refused: each question waits in memory. */
  static final int MAX_OPEN_QUESTIONS = CallStream.MAX_OPEN_REQUESTS;

  /** What the retry (or the first request) is answered with. */
  sealed interface Step {
    /** The call ended: its JSON-RPC response, or the refusal the pipeline threw. */
    record Done(Optional<ObjectNode> response, Optional<JsonRpcException> refusal) implements Step {}

    /** The call waits for the client: the questions, and the round of the state that continues it. */
    record InputRequired(ObjectNode inputRequests, int round) implements Step {}

    /** The round trip ended without the client's answer (it expired), so the call's end is not told. */
    record Ended(String why) implements Step {}
  }

  private record Question(String method, JsonNode params, Consumer<ObjectNode> answer) {}

  private final String id;
  private final String principal;
  private final String requestSha256;
  private final AgentCapabilities capabilities;
  private final RoundTrips store;
  private final Map<String, Question> open = new LinkedHashMap<>();
  private Step.Done outcome;
  private String endedWhy;
  private boolean registered;
  /** The rounds issued so far (each an {@code input_required} result), and the last one the client used. */
  private int round;
  private int resumedRound;
  private volatile Consumer<ObjectNode> listener = message -> { };

  RoundTrip(String id, String principal, String requestSha256, AgentCapabilities capabilities, RoundTrips store) {
    this.id = id;
    this.principal = principal;
    this.requestSha256 = requestSha256;
    this.capabilities = capabilities;
    this.store = store;
  }

  /** The gateway's name of this round trip, in its state and its audit entries. */
  String id() {
    return id;
  }

  String principal() {
    return principal;
  }

  String requestSha256() {
    return requestSha256;
  }

  /** Whether a question of {@code method} may be put to this client now (its capabilities, the open count). */
  synchronized boolean mayAsk(String method) {
    return endedWhy == null && outcome == null && capabilities.accepts(method) && open.size() < MAX_OPEN_QUESTIONS;
  }

  /**
   * Puts an upstream's question to the client: false, and nothing kept, when it cannot be
   * (ended, or the pending round trips are at their bounds).
   *
   * @param key the question's key in {@code inputRequests}, unique within the gateway
   * @param answer takes {@code {"result": ...}} or {@code {"error": ...}} once
   */
  synchronized boolean ask(String key, String method, JsonNode params, Consumer<ObjectNode> answer) {
    if (!mayAsk(method)) {
      return false;
    }
    if (!registered) {
      if (!store.register(this)) {
        return false;
      }
      registered = true;
    }
    open.put(key, new Question(method, params, answer));
    notifyAll();
    return true;
  }

  /** Whether the question under {@code key} still waits for the client's answer. */
  synchronized boolean waits(String key) {
    return open.containsKey(key);
  }

  /** Stops waiting for the client's answer to {@code key}; false when it was answered (or never asked). */
  synchronized boolean withdraw(String key) {
    return open.remove(key) != null;
  }

  /** The call ended; the outcome is kept for the client's retry, or handed to the request waiting now. */
  synchronized void finish(Step.Done done) {
    if (outcome != null) {
      return;
    }
    outcome = done;
    answerOpen("the tool call this request belongs to ended before the client answered");
    notifyAll();
  }

  /** Sends the call's progress and log messages to {@code sink} while a request of the client waits on it. */
  void listen(Consumer<ObjectNode> sink) {
    listener = sink;
  }

  /** What the upstream sends the client during the call; dropped between the client's requests. */
  void deliver(ObjectNode message) {
    listener.accept(message);
  }

  /**
   * Waits until the call ends or has questions for the client. Bounded by the upstream timeout,
   * which ends every forwarded call, and by the answer timeout of each round.
   */
  synchronized Step await() throws InterruptedException {
    while (outcome == null && open.isEmpty() && endedWhy == null) {
      wait();
    }
    if (endedWhy != null) {
      return new Step.Ended(endedWhy);
    }
    if (outcome != null) {
      end();
      return outcome;
    }
    round++;
    ObjectNode requests = NODES.objectNode();
    open.forEach((key, question) -> {
      ObjectNode request = requests.putObject(key).put("method", question.method());
      if (question.params() != null) {
        request.set("params", question.params());
      }
    });
    store.expireLater(this, round);
    return new Step.InputRequired(requests, round);
  }

  /**
   * The client's retry of {@code round} with its answers: each open question it answers gets its
   * result, the others stay open (and are asked again). Empty when accepted; otherwise why not.
   */
  synchronized Optional<String> resume(int stateRound, JsonNode inputResponses) {
    if (endedWhy != null) {
      return Optional.of(endedWhy);
    }
    if (stateRound != round || resumedRound >= stateRound) {
      return Optional.of("this requestState was used already; retry with the requestState of the latest input_required result");
    }
    resumedRound = stateRound;
    if (inputResponses instanceof ObjectNode responses) {
      for (var entry = open.entrySet().iterator(); entry.hasNext(); ) {
        var question = entry.next();
        if (responses.get(question.getKey()) instanceof ObjectNode result) {
          entry.remove();
          ObjectNode response = NODES.objectNode();
          response.set("result", result);
          question.getValue().answer().accept(response);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The answer timeout of {@code stateRound} passed: unless the client used it, the round trip
   * ends, its open questions are answered to the upstream with an error, and an outcome kept for
   * the retry is dropped.
   */
  synchronized void expire(int stateRound, String why) {
    if (endedWhy != null || resumedRound >= stateRound || round != stateRound) {
      return;
    }
    endedWhy = why;
    answerOpen(why);
    end();
    notifyAll();
  }

  private void end() {
    if (registered) {
      store.unregister(this);
      registered = false;
    }
  }

  private void answerOpen(String why) {
    open.values().forEach(question -> {
      ObjectNode response = NODES.objectNode();
      response.putObject("error").put("code", JsonRpcError.INTERNAL_ERROR).put("message", why);
      question.answer().accept(response);
    });
    open.clear();
  }
}
