package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.fakeStdioServer;
import static dev.cmcp.gateway.upstream.Interop.node;
import static dev.cmcp.gateway.upstream.Interop.text;
import static dev.cmcp.gateway.upstream.Interop.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A stdio upstream that misbehaves: a small node script standing in for a faulty server. */
class FaultyStdioUpstreamTest {

  private static JsonNode call(Upstreams upstreams, String tool) throws Exception {
    return upstreams.connection("fake").request("tools/call", toolCall(tool, JsonNodeFactory.instance.objectNode()));
  }

  @Test
  void garbageFromTheServerIsSkipped() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      upstreams.start();

      assertThat(text(call(upstreams, "garbage"))).isEqualTo("still here");
      assertThat(text(call(upstreams, "garbage"))).isEqualTo("still here");
    }
  }

  @Test
  void serverRequestsGetPingAnsweredAndEverythingElseRefused() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      upstreams.start();

      JsonNode replies = new StrictJson().parse(text(call(upstreams, "client-replies")));

      assertThat(replies.path("ping").path("id").asText()).isEqualTo("server-ping");
      assertThat(replies.path("ping").path("result").isObject()).isTrue();
      assertThat(replies.path("sampling").path("error").path("code").asInt()).isEqualTo(-32601);
    }
  }

  @Test
  void toolsFollowEveryPageKeepUnknownFieldsAndRefreshWhenTheListChanges() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      upstreams.start();

      assertThat(upstreams.tools("fake")).extracting(tool -> tool.path("name").asText()).containsExactly("first", "second-v1");
      assertThat(upstreams.tools("fake").get(0).path("x_vendor").asInt()).isEqualTo(1);

      call(upstreams, "change-tools");

      assertThat(upstreams.tools("fake")).extracting(tool -> tool.path("name").asText()).containsExactly("first", "second-v2");
    }
  }

  @Test
  void answerWithDuplicateKeysFailsInsteadOfPickingOne() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      upstreams.start();

      UpstreamException failure = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "duplicate-keys"));

      assertThat(failure.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL_ERROR);
      assertThat(text(call(upstreams, "garbage"))).isEqualTo("still here");
    }
  }

  @Test
  void childSeesOnlyItsCatalogEnvironmentNotTheGateways() throws Exception {
    UpstreamServer.Stdio fake =
        new UpstreamServer.Stdio(
            "fake", "node", List.of(fakeStdioServer().toString()), Map.of("FAKE_SETTING", "from the catalog"), null);
    try (Upstreams upstreams = new Upstreams(catalog(fake), PATIENT)) {
      upstreams.start();

      JsonNode environment = new StrictJson().parse(text(call(upstreams, "environment")));

      assertThat(environment.path("setting").asText()).isEqualTo("from the catalog");
      assertThat(environment.path("names"))
          .extracting(JsonNode::asText)
          .isSubsetOf(Set.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "FAKE_SETTING"));
    }
  }

  @Test
  void closeStopsTheChild() throws Exception {
    ProcessHandle child;
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      upstreams.start();
      child = ((StdioConnection) upstreams.connection("fake")).process().orElseThrow();
      assertThat(child.isAlive()).isTrue();
    }
    assertThat(child.isAlive()).isFalse();
  }

  @Test
  void serverThatCrashesOnStartFailsItsCallsButNotTheGateway() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer(), "crash")), PATIENT)) {
      upstreams.start();

      UpstreamException down = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "garbage"));

      assertThat(down.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(down).hasMessageContaining("upstream fake exited before answering initialize");
    }
  }

  @Test
  void missingCommandFailsItsCallsButNotTheGateway() throws Exception {
    UpstreamServer.Stdio missing = new UpstreamServer.Stdio("fake", "/nonexistent/mcp-server", List.of(), Map.of(), null);
    try (Upstreams upstreams = new Upstreams(catalog(missing), PATIENT)) {
      upstreams.start();

      UpstreamException down = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "garbage"));

      assertThat(down.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(down).hasMessageContaining("upstream fake: cannot run command '/nonexistent/mcp-server'");
    }
  }

  @Test
  void serverMissingFromTheCatalogIsUnavailable() {
    try (Upstreams upstreams = new Upstreams(catalog(), PATIENT)) {
      UpstreamException unknown = catchThrowableOfType(UpstreamException.class, () -> upstreams.connection("crm"));

      assertThat(unknown.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(unknown).hasMessage("upstream crm is not a server in the catalog");
    }
  }
}
