// An MCP client built on one of the TypeScript SDK releases installed here, for the interop tests:
//   node sdk-client.mjs <sdk package: sdk-1-12 | @modelcontextprotocol/sdk> <MCP URL> <steps JSON> [elicitation answer]
// With an elicitation answer (accept, decline or cancel) the client declares elicitation and
// answers every elicitation/create so, recording each question's message in "elicited".
// Each step is {"do": "listTools" | "callTool" | "listPrompts" | "getPrompt" | "readResource" |
// "subscribe" | "unsubscribe" | "callToolTask" | "listTasks" | "getTask" | "awaitListChanged", ...its arguments}
// (the task steps need an SDK with tasks: 1.24 or later; awaitListChanged {"list": "tools" | "prompts" |
// "resources", "count": n} waits, at most 30 s, until n such notifications came, on the GET stream
// the SDK opens itself). It prints one JSON object: the negotiated version,
// the server's name and, per step, {"result": ...} or {"error": {code, message, transport}}, where
// transport says whether the SDK reported a transport failure rather than an MCP error.
// MCP_HEADERS (a JSON object), if set, adds headers to every request (e.g. X-MCP-Workflow-ID).
const [sdk, url, stepsJson, elicitAnswer] = process.argv.slice(2);
const { Client } = await import(`${sdk}/client/index.js`);
const { StreamableHTTPClientTransport } = await import(`${sdk}/client/streamableHttp.js`);
const types = await import(`${sdk}/types.js`);

const client = new Client({ name: "cmcp-interop", version: "1.0.0" },
  { capabilities: elicitAnswer ? { elicitation: {} } : {} });
const elicited = [];
if (elicitAnswer) {
  client.setRequestHandler(types.ElicitRequestSchema, (request) => {
    elicited.push(request.params.message);
    return elicitAnswer === "accept" ? { action: "accept", content: {} } : { action: elicitAnswer };
  });
}
const updates = [];
if (types.ResourceUpdatedNotificationSchema) {
  client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
}
const listChanges = [];
for (const [list, schema] of [["tools", types.ToolListChangedNotificationSchema],
  ["prompts", types.PromptListChangedNotificationSchema], ["resources", types.ResourceListChangedNotificationSchema]]) {
  client.setNotificationHandler(schema, () => listChanges.push(list));
}
const headers = process.env.MCP_HEADERS ? JSON.parse(process.env.MCP_HEADERS) : undefined;
const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
await client.connect(transport);
const out = {
  protocolVersion: transport.protocolVersion ?? null,
  server: client.getServerVersion()?.name ?? null,
  steps: [],
};
for (const step of JSON.parse(stepsJson)) {
  try {
    let result;
    switch (step.do) {
      case "listTools": result = await client.listTools(); break;
      case "callTool": result = await client.callTool({ name: step.name, arguments: step.arguments ?? {} }); break;
      case "listPrompts": result = await client.listPrompts(); break;
      case "getPrompt": result = await client.getPrompt({ name: step.name, arguments: step.arguments ?? {} }); break;
      case "readResource": result = await client.readResource({ uri: step.uri }); break;
      case "subscribe": result = await client.subscribeResource({ uri: step.uri }); break;
      case "unsubscribe": result = await client.unsubscribeResource({ uri: step.uri }); break;
      case "wait": await new Promise((r) => setTimeout(r, step.ms)); result = { updates }; break;
      case "callToolTask": {
        // MCP 2025-11-25 tasks (the SDK's experimental API): create, poll tasks/get, fetch tasks/result.
        const messages = [];
        const stream = client.experimental.tasks.callToolStream({ name: step.name, arguments: step.arguments ?? {} },
          undefined, { task: { ttl: step.ttl ?? 60000 } });
        for await (const message of stream) {
          messages.push(message.type === "error"
            ? { type: "error", code: message.error?.code ?? null, message: String(message.error?.message) } : message);
        }
        result = { messages };
        break;
      }
      case "awaitListChanged": {
        const heard = () => listChanges.filter((list) => list === step.list).length;
        for (const until = Date.now() + 30000; heard() < (step.count ?? 1) && Date.now() < until;) {
          await new Promise((r) => setTimeout(r, 50));
        }
        result = { heard: heard() };
        break;
      }
      case "listTasks": result = await client.experimental.tasks.listTasks(); break;
      case "getTask": result = await client.experimental.tasks.getTask(step.taskId); break;
      default: throw new Error(`unknown step ${step.do}`);
    }
    out.steps.push({ result });
  } catch (e) {
    const mcp = e instanceof types.McpError;
    out.steps.push({ error: { code: mcp ? e.code : null, message: String(e.message), transport: !mcp } });
  }
}
out.updates = updates;
out.listChanges = listChanges;
out.elicited = elicited;
await transport.terminateSession().catch(() => {});
await client.close();
console.log(JSON.stringify(out));
