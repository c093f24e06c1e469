package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which agent hears a server's log messages and requests ({@code sampling/createMessage},
 * {@code elicitation/create}) sent while the gateway's requests to it are in flight.
 *
 * <p>Neither carries a request id over stdio, and one server serves many agents through the
 * gateway, so a message is attributed to a call only when that call is the server's one
 * registered request in flight (every governed request registers, whether or not its agent can
 * hear). With two or more in flight nobody can tell whose it is: a log message is dropped and a
 * request refused, rather than shown to an agent it may not belong to.
 */
public final class AgentRelays {

  /** What a call in flight lets its server send to the agent. Called on the upstream's reader thread: return quickly. */
  public interface Relay {

    /** Hears and asks nothing: log messages are dropped and requests refused. */
    Relay NONE = new Relay() {
      @Override
      public void log(ObjectNode notification) {}

      @Override
      public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
        return false;
      }
    };

    /** A {@code notifications/message} of the server; the relay decides whether the agent sees it. */
    void log(ObjectNode notification);

    /**
     * A request of the server for the agent.
     *
     * @param answer takes the agent's response ({@code result} or {@code error}) once, later
     * @return false when the agent cannot be asked, and the server is refused at once
     */
    boolean ask(ObjectNode request, Consumer<ObjectNode> answer);
  }

  private final Map<String, Set<Registration>> inFlight = new ConcurrentHashMap<>();

  /** Registers one request to {@code server} for as long as it is in flight; close it when the answer came. */
  public Registration open(String server, Relay relay) {
    Registration registration = new Registration(server, relay);
    inFlight.computeIfAbsent(server, name -> ConcurrentHashMap.newKeySet()).add(registration);
    return registration;
  }

  void log(String server, ObjectNode notification) {
    sole(server).ifPresent(relay -> relay.log(notification));
  }

  boolean ask(String server, ObjectNode request, Consumer<ObjectNode> answer) {
    return sole(server).map(relay -> relay.ask(request, answer)).orElse(false);
  }

  private Optional<Relay> sole(String server) {
    Set<Registration> registrations = inFlight.get(server);
    List<Registration> now = registrations == null ? List.of() : List.copyOf(registrations);
    return now.size() == 1 ? Optional.of(now.get(0).relay) : Optional.empty();
  }

  /** One request's place among its server's requests in flight. */
  public final class Registration implements AutoCloseable {
    private final String server;
    private final Relay relay;

    private Registration(String server, Relay relay) {
      this.server = server;
      this.relay = relay;
    }

    @Override
    public void close() {
      inFlight.getOrDefault(server, Set.of()).remove(this);
    }
  }
}
