// An MCP 2026-07-28 client on the official TypeScript SDK 2.x (@modelcontextprotocol/client), for the interop tests:
//   node sdk2-client.mjs <MCP URL> <tool> <arguments JSON> <name to give when elicited>
// Pinned to 2026-07-28 (no initialize: server/discover, then stateless requests with the _meta envelope). It
// declares elicitation and answers each elicitation/create by accepting with {name}; the SDK fulfils
// input_required results itself (its multi round-trip driver retries with inputResponses and the
// requestState). Prints one JSON object: the negotiated version, the elicitation messages seen, and the call's result or error.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const [url, tool, argumentsJson, name] = process.argv.slice(2);
const client = new Client({ name: "cmcp-interop-2026", version: "1.0.0" },
  { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } });
const elicited = [];
client.setRequestHandler("elicitation/create", async (request) => {
  elicited.push(request.params.message);
  return { action: "accept", content: { name } };
});
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const out = { protocolVersion: client.getNegotiatedProtocolVersion() ?? null, elicited };
try {
  out.result = await client.callTool({ name: tool, arguments: JSON.parse(argumentsJson) });
} catch (e) {
  out.error = { code: e.code ?? null, message: String(e.message) };
}
await client.close();
console.log(JSON.stringify(out));
