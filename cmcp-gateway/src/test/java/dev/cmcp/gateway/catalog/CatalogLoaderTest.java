package dev.cmcp.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogLoaderTest {

  private static final String STDIO_SERVER =
      """
      "salesforce": {
        "display_name": "Demo CRM",
        "transport": "stdio",
        "command": "java",
        "args": ["-jar", "../demo-crm/target/cmcp-demo-crm.jar"],
        "env": {"DEMO_CRM_DATA": "contacts.json"},
        "cwd": "."
      }""";

  private static final String HTTP_SERVER =
      """
      "everything": {
        "display_name": "MCP everything server",
        "transport": "streamable-http",
        "url": "http://127.0.0.1:3001/mcp",
        "headers": {"Authorization": "Bearer ${EVERYTHING_TOKEN}"}
      }""";

  private static final Map<String, String> ENVIRONMENT = Map.of("EVERYTHING_TOKEN", "t0ken");

  @TempDir Path folder;

  private Path write(String json) throws IOException {
    Path file = folder.resolve("catalog.json");
    Files.writeString(file, json);
    return file;
  }

  private Catalog load(String json) throws Exception {
    return CatalogLoader.load(write(json), ENVIRONMENT);
  }

  /** A catalog with the two example servers and the given tool entries. */
  private static String catalogWithTools(String... tools) {
    return "{\"servers\": {" + STDIO_SERVER + ",\n" + HTTP_SERVER + "},\n \"tools\": [" + String.join(",\n", tools) + "]}";
  }

  private String errorOf(String json) throws IOException {
    return errorOf(json, ENVIRONMENT);
  }

  private String errorOf(String json, Map<String, String> environment) throws IOException {
    Path file = write(json);
    try {
      CatalogLoader.load(file, environment);
    } catch (CatalogException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a CatalogException for:\n" + json);
  }

  private String prefix() {
    return folder.resolve("catalog.json") + ": ";
  }

  @Test
  void stdioServerIsRead() throws Exception {
    Catalog catalog = load(catalogWithTools());

    assertThat(catalog.servers().get("salesforce"))
        .isEqualTo(
            new UpstreamServer.Stdio(
                "salesforce", "java", List.of("-jar", "../demo-crm/target/cmcp-demo-crm.jar"),
                Map.of("DEMO_CRM_DATA", "contacts.json"), folder.toAbsolutePath()));
  }

  @Test
  void stdioServerWithoutCwdRunsInTheCatalogFolder() throws Exception {
    Catalog catalog = load("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"srv\", \"cwd\": \"bin/../run\"},"
        + " \"t\": {\"transport\": \"stdio\", \"command\": \"srv\"}}, \"tools\": []}");

    assertThat(((UpstreamServer.Stdio) catalog.servers().get("t")).workingDirectory()).isEqualTo(folder.toAbsolutePath());
    assertThat(((UpstreamServer.Stdio) catalog.servers().get("s")).workingDirectory()).isEqualTo(folder.resolve("run").toAbsolutePath());
    assertThat(((UpstreamServer.Stdio) catalog.servers().get("t")).args()).isEmpty();
  }

  @Test
  void httpServerIsReadWithItsHeadersExpanded() throws Exception {
    Catalog catalog = load(catalogWithTools());

    assertThat(catalog.servers().get("everything"))
        .isEqualTo(
            new UpstreamServer.StreamableHttp(
                "everything", URI.create("http://127.0.0.1:3001/mcp"), Map.of("Authorization", "Bearer t0ken")));
  }

  @Test
  void sessionModeIsPerAgentForHttpUnlessTheCatalogSaysSharedAndStdioIsAlwaysShared() throws Exception {
    assertThat(((UpstreamServer.StreamableHttp) load(catalogWithTools()).servers().get("everything")).sessionMode())
        .isEqualTo(UpstreamServer.SessionMode.PER_AGENT);
    String shared = "{\"servers\": {\"w\": {\"transport\": \"streamable-http\", \"url\": \"http://127.0.0.1:1/mcp\", "
        + "\"session_mode\": \"shared\"}, \"s\": {\"transport\": \"stdio\", \"command\": \"c\", \"session_mode\": \"shared\"}}, "
        + "\"tools\": []}";
    assertThat(((UpstreamServer.StreamableHttp) load(shared).servers().get("w")).sessionMode()).isEqualTo(UpstreamServer.SessionMode.SHARED);

    assertThat(errorOf("{\"servers\": {\"w\": {\"transport\": \"streamable-http\", \"url\": \"http://127.0.0.1:1/mcp\", "
        + "\"session_mode\": \"per_call\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.w.session_mode: \"per_call\" is not allowed; use per_agent or shared");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"c\", \"session_mode\": \"per_agent\"}}, "
        + "\"tools\": []}"))
        .startsWith(prefix() + "servers.s.session_mode: a stdio server is one process that every agent shares");
  }

  @Test
  void envValuesAreExpandedToo() throws Exception {
    Catalog catalog =
        CatalogLoader.load(
            write("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"srv\", \"env\": {\"KEY\": \"${A}-${B}-$x\"}}}, \"tools\": []}"),
            Map.of("A", "one", "B", "$two\\"));

    assertThat(((UpstreamServer.Stdio) catalog.servers().get("s")).env()).containsEntry("KEY", "one-$two\\-$x");
  }

  @Test
  void unsetVariableIsRefusedByName() throws IOException {
    assertThat(errorOf(catalogWithTools(), Map.of()))
        .isEqualTo(prefix() + "servers.everything.headers.Authorization: ${EVERYTHING_TOKEN} names a variable that is not set in the gateway's environment; set it or remove the reference");
  }

  @Test
  void malformedReferenceIsRefused() throws IOException {
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"srv\", \"env\": {\"K\": \"${A\"}}}, \"tools\": []}"))
        .startsWith(prefix() + "servers.s.env.K: has a ${ that is not a complete ${NAME} reference");
  }

  @Test
  void headerValueWithLineBreakFromTheEnvironmentIsRefused() throws IOException {
    String message = errorOf(catalogWithTools(), Map.of("EVERYTHING_TOKEN", "x\r\nX-Admin: yes"));

    assertThat(message).isEqualTo(prefix() + "servers.everything.headers.Authorization: the value contains a line break or control character, which a header cannot carry");
  }

  @Test
  void headersTheClientOwnsAreRefused() throws IOException {
    assertThat(errorOf("{\"servers\": {\"h\": {\"transport\": \"streamable-http\", \"url\": \"https://h.example/mcp\","
        + " \"headers\": {\"Mcp-Session-Id\": \"x\"}}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.h.headers.Mcp-Session-Id: the gateway sets Mcp-Session-Id itself; remove it");
  }

  @Test
  void hashCoversTheFileAsWrittenNotTheExpandedSecrets() throws Exception {
    Path file = write(catalogWithTools());

    Catalog one = CatalogLoader.load(file, Map.of("EVERYTHING_TOKEN", "first"));
    Catalog two = CatalogLoader.load(file, Map.of("EVERYTHING_TOKEN", "second"));

    assertThat(one.catalogHash()).isEqualTo(two.catalogHash()).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void upstreamNameDefaultsToToolNameWithoutServerPrefix() throws Exception {
    Catalog catalog = load(catalogWithTools("{\"tool_name\": \"salesforce.contacts\", \"server\": \"salesforce\"}"));

    assertThat(catalog.tool("salesforce.contacts").orElseThrow().upstreamName()).isEqualTo("contacts");
    assertThat(catalog.tool("salesforce.contacts").orElseThrow().server()).isEqualTo("salesforce");
  }

  @Test
  void explicitUpstreamNameAllowsAnyExposedName() throws Exception {
    Catalog catalog = load(catalogWithTools("{\"tool_name\": \"echo\", \"server\": \"everything\", \"upstream_name\": \"echo\"}"));

    assertThat(catalog.tool("echo").orElseThrow().upstreamName()).isEqualTo("echo");
  }

  @Test
  void toolNameOutsideItsServerNeedsUpstreamName() throws IOException {
    assertThat(errorOf(catalogWithTools("{\"tool_name\": \"crm.contacts\", \"server\": \"salesforce\"}")))
        .isEqualTo(prefix() + "tools[0].tool_name: \"crm.contacts\" does not start with \"salesforce.\"; name it salesforce.<tool> or give upstream_name");
    assertThat(errorOf(catalogWithTools("{\"tool_name\": \"salesforce.\", \"server\": \"salesforce\"}")))
        .contains("tools[0].tool_name: \"salesforce.\" does not start with");
  }

  @Test
  void descriptiveAttributesAreKeptAsJson() throws Exception {
    Catalog catalog =
        load(
            catalogWithTools(
                """
                {"tool_name": "salesforce.contacts", "server": "salesforce", "upstream_name": "contacts",
                 "sensitivity_level": "pii", "compliance_domain": "pii", "tags": ["crm", "read"],
                 "requires_baa": true, "approved_by": "developer@example.com", "added_at": "2026-06-05T00:00:00Z",
                 "description": "Look up contacts",
                 "definition_hash": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                 "approved_definition": {"name": "contacts", "inputSchema": {"type": "object"}}}"""));

    Map<String, com.fasterxml.jackson.databind.JsonNode> attributes = catalog.tool("salesforce.contacts").orElseThrow().attributes();
    assertThat(attributes.keySet())
        .containsExactlyInAnyOrder("sensitivity_level", "compliance_domain", "tags", "requires_baa", "approved_by",
            "added_at", "description", "definition_hash", "approved_definition");
    assertThat(attributes.get("tags").get(1).asText()).isEqualTo("read");
    assertThat(attributes.get("requires_baa").booleanValue()).isTrue();
    assertThat(attributes.get("approved_definition").get("inputSchema").get("type").asText()).isEqualTo("object");
  }

  @Test
  void attributesOfTheWrongShapeAreRefused() throws IOException {
    String tool = "{\"tool_name\": \"salesforce.contacts\", \"server\": \"salesforce\", ";
    assertThat(errorOf(catalogWithTools(tool + "\"tags\": \"crm\"}")))
        .isEqualTo(prefix() + "tools[0].tags: expected a list of strings, got the string \"crm\"");
    assertThat(errorOf(catalogWithTools(tool + "\"tags\": [\"crm\", 3]}")))
        .isEqualTo(prefix() + "tools[0].tags[1]: expected a string, got the number 3");
    assertThat(errorOf(catalogWithTools(tool + "\"requires_baa\": \"yes\"}")))
        .isEqualTo(prefix() + "tools[0].requires_baa: expected true or false, got the string \"yes\"");
    assertThat(errorOf(catalogWithTools(tool + "\"definition_hash\": \"sha256:ABC\"}")))
        .startsWith(prefix() + "tools[0].definition_hash: expected sha256: followed by 64 lower-case hex digits");
    assertThat(errorOf(catalogWithTools(tool + "\"added_at\": \"yesterday\"}")))
        .isEqualTo(prefix() + "tools[0].added_at: \"yesterday\" is not an RFC 3339 time; write it like 2026-06-05T00:00:00Z");
    assertThat(errorOf(catalogWithTools(tool + "\"sensitivity_level\": 3}")))
        .isEqualTo(prefix() + "tools[0].sensitivity_level: expected a string, got the number 3");
    assertThat(errorOf(catalogWithTools(tool + "\"approved_definition\": []}")))
        .startsWith(prefix() + "tools[0].approved_definition: expected the approved tool definition as an object");
  }

  @Test
  void unknownServerIsRefused() throws IOException {
    assertThat(errorOf(catalogWithTools(
            "{\"tool_name\": \"salesforce.a\", \"server\": \"salesforce\"}",
            "{\"tool_name\": \"hubspot.b\", \"server\": \"hubspot\"}")))
        .isEqualTo(prefix() + "tools[1].server: \"hubspot\" is not a server of this catalog; add it under servers or fix the name");
  }

  @Test
  void duplicateToolNameIsRefused() throws IOException {
    assertThat(errorOf(catalogWithTools(
            "{\"tool_name\": \"salesforce.a\", \"server\": \"salesforce\"}",
            "{\"tool_name\": \"salesforce.b\", \"server\": \"salesforce\"}",
            "{\"tool_name\": \"salesforce.a\", \"server\": \"salesforce\", \"upstream_name\": \"other\"}")))
        .isEqualTo(prefix() + "tools[2].tool_name: \"salesforce.a\" is already the name of tools[0]; exposed names must be unique");
  }

  @Test
  void namesDifferingOnlyByCaseAreRefusedAsConfusable() throws IOException {
    assertThat(errorOf(catalogWithTools(
            "{\"tool_name\": \"salesforce.export\", \"server\": \"salesforce\"}",
            "{\"tool_name\": \"salesforce.Export\", \"server\": \"salesforce\"}")))
        .isEqualTo(prefix() + "tools[1].tool_name: \"salesforce.Export\" differs from tools[0] only by letter case or Unicode form, so agents and policies could confuse them; rename one");
  }

  @Test
  void nonAsciiToolNameIsRefused() throws IOException {
    // A fullwidth "e" folds to "e" under NFKC; the name rule stops it before it can pose as another.
    assertThat(errorOf(catalogWithTools("{\"tool_name\": \"salesforce.\uFF45xport\", \"server\": \"salesforce\"}")))
        .contains("tools[0].tool_name: \"salesforce.\uFF45xport\" is not a tool name; use 1 to 128 of A-Z a-z 0-9 _ . -");
    assertThat(errorOf(catalogWithTools("{\"tool_name\": \"salesforce." + "x".repeat(128) + "\", \"server\": \"salesforce\"}")))
        .contains("is not a tool name");
  }

  @Test
  void duplicateJsonKeyIsRefusedWithItsPosition() throws IOException {
    assertThat(errorOf("{\"servers\": {},\n \"tools\": [],\n \"tools\": []}"))
        .startsWith(prefix() + "not valid JSON: ")
        .contains("tools")
        .contains("line 3");
  }

  @Test
  void promptAliasesAndResourceOwnersAreReadAndCheckedAgainstTheServers() throws Exception {
    String servers = "\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"c\"}}, \"tools\": []";
    Catalog catalog = load("{" + servers + ", \"prompts\": [{\"prompt_name\": \"summary\", \"server\": \"s\", "
        + "\"upstream_name\": \"sum\"}], \"resource_owners\": [{\"uri_prefix\": \"test://\", \"server\": \"s\"}]}");
    assertThat(catalog.prompt("summary")).contains(new CatalogPrompt("summary", "s", "sum"));
    assertThat(catalog.promptAliasOf("s", "sum")).isPresent();
    assertThat(catalog.resourceOwnerOf("test://static-text")).contains("s");
    assertThat(catalog.resourceOwnerOf("file:///x")).isEmpty();

    assertThat(errorOf("{" + servers + ", \"prompts\": [{\"prompt_name\": \"p\", \"server\": \"t\", \"upstream_name\": \"p\"}]}"))
        .startsWith(prefix() + "prompts[0].server: \"t\" is not a server of this catalog");
    assertThat(errorOf("{" + servers + ", \"prompts\": [{\"prompt_name\": \"P\", \"server\": \"s\", \"upstream_name\": \"a\"}, "
        + "{\"prompt_name\": \"p\", \"server\": \"s\", \"upstream_name\": \"b\"}]}"))
        .startsWith(prefix() + "prompts[1].prompt_name: \"p\" is already");
    assertThat(errorOf("{" + servers + ", \"resource_owners\": [{\"uri_prefix\": \"a:\", \"server\": \"s\"}, "
        + "{\"uri_prefix\": \"a:\", \"server\": \"s\"}]}"))
        .startsWith(prefix() + "resource_owners[1].uri_prefix: \"a:\" is given twice");
  }

  @Test
  void unknownKeysAreRefusedEverywhere() throws IOException {
    assertThat(errorOf("{\"servers\": {}, \"tools\": [], \"version\": 1}"))
        .isEqualTo(prefix() + "version: unknown key; allowed here: prompts, resource_owners, servers, tools");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"c\", \"url\": \"http://x\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.s.url: unknown key; allowed here: args, command, cwd, display_name, env, session_mode, transport");
    assertThat(errorOf(catalogWithTools("{\"tool_name\": \"salesforce.a\", \"server\": \"salesforce\", \"risk\": \"high\"}")))
        .startsWith(prefix() + "tools[0].risk: unknown key; allowed here: added_at, approved_by");
  }

  @Test
  void serverShapeErrorsNameTheServer() throws IOException {
    assertThat(errorOf("{\"servers\": {\"Sales Force\": {\"transport\": \"stdio\", \"command\": \"c\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers[\"Sales Force\"]: server names use lower-case letters, digits, _ and -, and start with a letter or digit");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"sse\", \"url\": \"http://x\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.s.transport: \"sse\" is not allowed; use one of stdio, streamable-http");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.s.command: is missing; it is required");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"c\", \"args\": \"-v\"}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.s.args: expected a list of strings, got the string \"-v\"");
    assertThat(errorOf("{\"servers\": {\"s\": {\"transport\": \"stdio\", \"command\": \"c\", \"env\": {\"A\": 1}}}, \"tools\": []}"))
        .isEqualTo(prefix() + "servers.s.env.A: expected a string, got the number 1");
    assertThat(errorOf("{\"servers\": [], \"tools\": []}"))
        .isEqualTo(prefix() + "servers: expected an object of servers by name, got a list");
    assertThat(errorOf("{\"servers\": {}}")).isEqualTo(prefix() + "tools: is missing; it is required");
  }

  @Test
  void httpUrlMustBeAbsoluteHttpWithoutCredentials() throws IOException {
    String server = "{\"servers\": {\"h\": {\"transport\": \"streamable-http\", \"url\": \"%s\"}}, \"tools\": []}";
    assertThat(errorOf(server.formatted("/mcp")))
        .isEqualTo(prefix() + "servers.h.url: \"/mcp\" is not an absolute http:// or https:// URL");
    assertThat(errorOf(server.formatted("ftp://h.example/mcp"))).contains("is not an absolute http:// or https:// URL");
    assertThat(errorOf(server.formatted("https://user:pw@h.example/mcp"))).contains("servers.h.url: has a user name or password in it");
  }

  @Test
  void missingOrMalformedFileIsRefused() throws IOException {
    Path missing = folder.resolve("absent.json");
    assertThatThrownBy(() -> CatalogLoader.load(missing, Map.of()))
        .isInstanceOf(CatalogException.class)
        .hasMessage(missing + ": file not found; check catalog_path in the gateway config");
    assertThat(errorOf("{\"servers\": {}, \"tools\": [}")).startsWith(prefix() + "not valid JSON: ").contains("line 1");
    assertThat(errorOf("[]")).isEqualTo(prefix() + "the catalog must be a JSON object with \"servers\" and \"tools\"");
  }

  @Test
  void hashIgnoresWhitespaceAndKeyOrder() throws Exception {
    String compact = "{\"servers\":{\"s\":{\"transport\":\"stdio\",\"command\":\"c\"}},\"tools\":[{\"tool_name\":\"s.a\",\"server\":\"s\"}]}";
    String reordered = "{\n  \"tools\": [ { \"server\": \"s\", \"tool_name\": \"s.a\" } ],\n  \"servers\": { \"s\": { \"command\": \"c\", \"transport\": \"stdio\" } }\n}\n";

    assertThat(load(compact).catalogHash()).isEqualTo(load(reordered).catalogHash());
  }

  @Test
  void hashChangesWithAnyChangeOfMeaning() throws Exception {
    String base = "{\"servers\":{\"s\":{\"transport\":\"stdio\",\"command\":\"c\"}},\"tools\":[{\"tool_name\":\"s.a\",\"server\":\"s\",\"tags\":[\"x\",\"y\"]}]}";
    String baseHash = load(base).catalogHash();

    for (String changed :
        List.of(
            base.replace("\"command\":\"c\"", "\"command\":\"d\""),
            base.replace("s.a", "s.b"),
            base.replace("[\"x\",\"y\"]", "[\"y\",\"x\"]"),
            base.replace("\"tags\"", "\"requires_baa\":false,\"tags\""))) {
      assertThat(load(changed).catalogHash()).as(changed).isNotEqualTo(baseHash);
    }
  }
}
