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
    try (var a = relays.open("s", call); var b = relays.open("t", elsewhere)) {
      relays.log("s", log);
      assertThat(relays.ask("s", request, answer -> { })).isTrue();
    }
    assertThat(call.heard()).containsExactly(log, request);
    assertThat(elsewhere.heard()).isEmpty();
  }

  @Test
  void withTwoCallsInFlightNobodyHearsAndRequestsAreRefused() {
    Recording first = new Recording();
    Recording second = new Recording();
    try (var a = relays.open("s", first); var b = relays.open("s", second)) {
      relays.log("s", log);
      assertThat(relays.ask("s", request, answer -> { })).isFalse();
    }
    assertThat(first.heard()).isEmpty();
    assertThat(second.heard()).isEmpty();
  }

  @Test
  void afterTheCallEndedNothingIsRelayed() {
    Recording call = new Recording();
    relays.open("s", call).close();
    relays.log("s", log);
    assertThat(relays.ask("s", request, answer -> { })).isFalse();
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
