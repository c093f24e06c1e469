package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class AgentRelaysTest {

  private final AgentRelays relays = new AgentRelays();
  private final ObjectNode log = JsonNodeFactory.instance.objectNode().put("method", "notifications/message");
  private final ObjectNode request = JsonNodeFactory.instance.objectNode().put("method", "sampling/createMessage");

  /** A relay that records what it hears and accepts every request. */
  private record Recording(List<ObjectNode> heard) implements AgentRelays.Relay {
    Recording() {
      this(new ArrayList<>());
    }

    @Override
    public void log(ObjectNode notification) {
      heard.add(notification);
    }

    @Override
    public boolean ask(ObjectNode message, Consumer<ObjectNode> answer) {
      heard.add(message);
      return true;
    }
  }

  @Test
  void theServersOnlyCallInFlightHearsItsLogAndRequests() {
    Recording call = new Recording();
    Recording elsewhere = new Recording();
    try (var a = relays.open("s", Upstreams.SHARED_SESSION, call); var b = relays.open("t", Upstreams.SHARED_SESSION, elsewhere)) {
      relays.log("s", Upstreams.SHARED_SESSION, log);
      assertThat(relays.ask("s", Upstreams.SHARED_SESSION, request, answer -> { })).isTrue();
    }
    assertThat(call.heard()).containsExactly(log, request);
    assertThat(elsewhere.heard()).isEmpty();
  }

  @Test
  void withTwoCallsInFlightNobodyHearsAndRequestsAreRefused() {
    Recording first = new Recording();
    Recording second = new Recording();
    try (var a = relays.open("s", Upstreams.SHARED_SESSION, first); var b = relays.open("s", Upstreams.SHARED_SESSION, second)) {
      relays.log("s", Upstreams.SHARED_SESSION, log);
      assertThat(relays.ask("s", Upstreams.SHARED_SESSION, request, answer -> { })).isFalse();
    }
    assertThat(first.heard()).isEmpty();
    assertThat(second.heard()).isEmpty();
  }

  @Test
  void aCallInAnotherAgentsUpstreamSessionNeitherHearsNorMakesTheMessageAmbiguous() {
    Recording mine = new Recording();
    Recording theirs = new Recording();
    try (var a = relays.open("s", "agent-a", mine); var b = relays.open("s", "agent-b", theirs)) {
      relays.log("s", "agent-a", log);
      assertThat(relays.ask("s", "agent-a", request, answer -> { })).isTrue();
      assertThat(relays.ask("s", Upstreams.SHARED_SESSION, request, answer -> { })).as("no call in the shared session").isFalse();
    }
    assertThat(mine.heard()).containsExactly(log, request);
    assertThat(theirs.heard()).isEmpty();
  }

  @Test
  void afterTheCallEndedNothingIsRelayed() {
    Recording call = new Recording();
    relays.open("s", Upstreams.SHARED_SESSION, call).close();
    relays.log("s", Upstreams.SHARED_SESSION, log);
    assertThat(relays.ask("s", Upstreams.SHARED_SESSION, request, answer -> { })).isFalse();
    assertThat(call.heard()).isEmpty();
  }

  @Test
  void theAgentsAnswerGoesBackUnderTheServersIdWithNothingElse() {
    ObjectNode agent = JsonNodeFactory.instance.objectNode().put("id", "cmcp-request-1").put("extra", "x");
    agent.putObject("result").put("model", "m");
    ObjectNode reply = JsonRpc.agentReply(JsonNodeFactory.instance.numberNode(1000), agent);
    assertThat(reply.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1000,\"result\":{\"model\":\"m\"}}");
  }

  @Test
  void aMalformedAgentAnswerBecomesAnError() {
    ObjectNode agent = JsonNodeFactory.instance.objectNode();
    agent.putObject("error").put("code", "not a number");
    ObjectNode reply = JsonRpc.agentReply(JsonNodeFactory.instance.textNode("srv-1"), agent);
    assertThat(reply.path("id").asText()).isEqualTo("srv-1");
    assertThat(reply.path("error").path("code").asInt()).isEqualTo(-32603);
  }
}
