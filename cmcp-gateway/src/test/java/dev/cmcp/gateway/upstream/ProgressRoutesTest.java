package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressRoutesTest {

  private final ProgressRoutes routes = new ProgressRoutes();

  @Test
  void eachRequestGetsItsOwnToken() {
    try (ProgressRoutes.Route a = routes.open("s", n -> { }); ProgressRoutes.Route b = routes.open("s", n -> { })) {
      assertThat(a.token()).isNotEqualTo(b.token());
    }
  }

  @Test
  void progressGoesOnlyToTheRouteOfItsServerAndToken() {
    List<ObjectNode> mine = new ArrayList<>();
    List<ObjectNode> other = new ArrayList<>();
    try (ProgressRoutes.Route route = routes.open("s", mine::add); ProgressRoutes.Route unrelated = routes.open("t", other::add)) {
      routes.deliver("s", progress(route.token()));
      routes.deliver("t", progress(route.token()));
      routes.deliver("s", progress("made-up"));
      assertThat(mine).hasSize(1);
      assertThat(other).isEmpty();
    }
  }

  @Test
  void aClosedRouteReceivesNothing() {
    List<ObjectNode> received = new ArrayList<>();
    ProgressRoutes.Route route = routes.open("s", received::add);
    route.close();
    routes.deliver("s", progress(route.token()));
    assertThat(received).isEmpty();
  }

  private static ObjectNode progress(String token) {
    ObjectNode notification = JsonNodeFactory.instance.objectNode().put("method", "notifications/progress");
    notification.putObject("params").put("progressToken", token).put("progress", 1);
    return notification;
  }
}
