package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceRoutesTest {

  @Test
  void aListedUriGoesToTheServerThatListsItAndASharedOneGoesNowhere() throws Exception {
    ResourceRoutes routes = new ResourceRoutes();
    routes.learnResources("crm", List.of(resource("crm://accounts/acme"), resource("shared://readme")));
    routes.learnResources("docs", List.of(resource("docs://guide"), resource("shared://readme")));

    assertThat(routes.serverOf("crm://accounts/acme")).contains("crm");
    assertThat(routes.serverOf("docs://guide")).contains("docs");
    assertThat(routes.serverOf("shared://readme")).isEmpty();
    assertThat(routes.isAmbiguous("shared://readme")).isTrue();
    assertThat(routes.serverOf("crm://accounts/globex")).isEmpty();
  }

  @Test
  void templatesRouteWhatTheyCanExpandTo() throws Exception {
    ResourceRoutes routes = new ResourceRoutes();
    routes.learnTemplates("crm", List.of(template("crm://accounts/{id}"), template("crm://files{/path}{?version}")));
    routes.learnTemplates("web", List.of(template("https://example.com/{+path}")));

    assertThat(routes.serverOf("crm://accounts/acme")).contains("crm");
    assertThat(routes.serverOf("crm://accounts/acme/contacts")).as("{id} holds no slash").isEmpty();
    assertThat(routes.serverOf("crm://files/a/b?version=2")).contains("crm");
    assertThat(routes.serverOf("https://example.com/a/b/c")).contains("web");
    assertThat(routes.serverOf("https://example.com.evil/x")).isEmpty();
  }

  @Test
  void aTemplateWithUnbalancedBracesIsIgnored() {
    assertThat(UriTemplate.parse("crm://{id")).isEmpty();
    assertThat(UriTemplate.parse("crm://id}")).isEmpty();
    assertThat(UriTemplate.parse("crm://a.b/{id}").orElseThrow().matches("crm://aXb/1")).as("literals are literal").isFalse();
  }

  private static ObjectNode resource(String uri) throws Exception {
    return parse("{\"uri\":\"" + uri + "\",\"name\":\"x\"}");
  }

  private static ObjectNode template(String uriTemplate) throws Exception {
    return parse("{\"uriTemplate\":\"" + uriTemplate + "\",\"name\":\"x\"}");
  }
}
