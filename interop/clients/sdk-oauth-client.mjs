// The official TypeScript MCP SDK client running the MCP authorization flow by itself, for the tests:
//   node sdk-oauth-client.mjs <MCP URL> <client id> <client secret> <scope> <steps JSON>
// It is given only the gateway's URL and its client credentials and scope (the SDK's client
// credentials grant asks for the scope of the client's own metadata, not the one the gateway's
// metadata or challenge names: SDK 1.32.2, client/auth.js fetchToken). On the gateway's 401 the SDK reads
// the protected resource metadata (RFC 9728), then the authorization server's metadata, gets a token
// by the client credentials grant for the gateway's resource (RFC 8707), and retries. Steps are
// {"do": "listTools"} or {"do": "callTool", "name": ..., "arguments": {...}}. It prints one JSON
// object: per step {"result": ...} or {"error": {code, message}}, and the URLs it fetched.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";

const [url, clientId, clientSecret, scope, stepsJson] = process.argv.slice(2);
const fetched = [];
const recordingFetch = async (input, init) => {
  const response = await fetch(input, init);
  fetched.push({ method: init?.method ?? "GET", url: String(input instanceof Request ? input.url : input), status: response.status });
  return response;
};
const authProvider = new ClientCredentialsProvider({ clientId, clientSecret, scope });
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider, fetch: recordingFetch });
const client = new Client({ name: "cmcp-oauth-interop", version: "1.0.0" }, { capabilities: {} });
const out = { steps: [], fetched };
try {
  await client.connect(transport);
  for (const step of JSON.parse(stepsJson)) {
    try {
      const result = step.do === "listTools" ? await client.listTools()
        : await client.callTool({ name: step.name, arguments: step.arguments ?? {} });
      out.steps.push({ result });
    } catch (e) {
      out.steps.push({ error: { code: e.code ?? null, message: String(e.message) } });
    }
  }
  await transport.terminateSession().catch(() => {});
  await client.close();
} catch (e) {
  out.connectError = String(e.message);
}
console.log(JSON.stringify(out));
