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
 * <p>A message belongs to the upstream session it came in ({@link Upstreams#sessionFor}): an agent
 * session's own, or the server's shared one. Neither kind of message carries a request id over
 * stdio, and a shared session serves many agents, so within one upstream session a message is
 * attributed to a call only when that call is the session's one registered request in flight
 * (every governed request registers, whether or not its agent can hear). With two or more in
 * flight nobody can tell whose it is: a log message is dropped and a request refused, rather than
 * shown to a call it may not belong to. Calls in other agents' upstream sessions never count.
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

  /** One upstream session of one server. */
  private record Link(String server, String session) {}

  private final Map<Link, Set<Registration>> inFlight = new ConcurrentHashMap<>();

  /**
   * Registers one request to {@code server}, in upstream session {@code session}, for as long as it
   * is in flight; close it when the answer came.
   */
  public Registration open(String server, String session, Relay relay) {
    Registration registration = new Registration(new Link(server, session), relay);
    // Added inside compute, as close removes inside computeIfPresent: an emptied set is never added to.
    inFlight.compute(registration.link, (link, registrations) -> {
      Set<Registration> held = registrations == null ? ConcurrentHashMap.newKeySet() : registrations;
      held.add(registration);
      return held;
    });
    return registration;
  }

  void log(String server, String session, ObjectNode notification) {
    sole(new Link(server, session)).ifPresent(relay -> relay.log(notification));
  }

  boolean ask(String server, String session, ObjectNode request, Consumer<ObjectNode> answer) {
    return sole(new Link(server, session)).map(relay -> relay.ask(request, answer)).orElse(false);
  }

  private Optional<Relay> sole(Link link) {
    Set<Registration> registrations = inFlight.get(link);
    List<Registration> now = registrations == null ? List.of() : List.copyOf(registrations);
    return now.size() == 1 ? Optional.of(now.get(0).relay) : Optional.empty();
  }

  /** One request's place among its server's requests in flight. */
  public final class Registration implements AutoCloseable {
    private final Link link;
    private final Relay relay;

    private Registration(Link link, Relay relay) {
      this.link = link;
      this.relay = relay;
    }

    @Override
    public void close() {
      // An agent session's set goes with its last request, so that ended sessions leave nothing behind.
      inFlight.computeIfPresent(link, (key, registrations) -> {
        registrations.remove(this);
        return registrations.isEmpty() ? null : registrations;
      });
    }
  }
}
