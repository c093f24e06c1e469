// An MCP server whose tools talk to the client during a call, for the gateway's relay tests:
// `log3` sends a debug, an info and an error log message before it answers; `ask` and `elicit`
// send sampling/createMessage and elicitation/create and answer with what came back; `hang`
// never answers; `cancelled` lists the request ids of the notifications/cancelled it received.
// Usage: node asking-server.mjs
import readline from "node:readline";

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const text = (id, value) => send({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: value }] } });
const tools = ["log3", "ask", "elicit", "hang", "cancelled"];
const waiting = new Map(); // our request id -> the tools/call id to answer
const cancelled = [];
let nextId = 1000;

const askClient = (callId, method, params) => {
  const id = nextId++;
  waiting.set(id, callId);
  send({ jsonrpc: "2.0", id, method, params });
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.method === undefined && waiting.has(message.id)) {
    const callId = waiting.get(message.id);
    waiting.delete(message.id);
    text(callId, "client answered " + JSON.stringify(message.result ?? { error: message.error }));
    return;
  }
  switch (message.method) {
    case "initialize":
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: "2025-06-18",
          capabilities: { tools: {}, logging: {} },
          serverInfo: { name: "asking", version: "1", clientCapabilities: message.params.capabilities },
        },
      });
      return;
    case "tools/list":
      send({ jsonrpc: "2.0", id: message.id, result: { tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })) } });
      return;
    case "notifications/cancelled":
      cancelled.push(message.params.requestId);
      return;
    case "tools/call":
      switch (message.params.name) {
        case "log3":
          for (const level of ["debug", "info", "error"]) {
            send({ jsonrpc: "2.0", method: "notifications/message", params: { level, logger: "asking", data: level + " message", extra: 1 } });
          }
          text(message.id, "logged");
          return;
        case "ask":
          askClient(message.id, "sampling/createMessage", {
            messages: [{ role: "user", content: { type: "text", text: "say hi" } }],
            maxTokens: 10,
          });
          return;
        case "elicit":
          askClient(message.id, "elicitation/create", {
            message: "your name?",
            requestedSchema: { type: "object", properties: { name: { type: "string" } } },
          });
          return;
        case "hang":
          return;
        case "cancelled":
          text(message.id, JSON.stringify(cancelled));
          return;
      }
      send({ jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "unknown tool" } });
      return;
    default:
      if (message.id !== undefined && message.method !== undefined) {
        send({ jsonrpc: "2.0", id: message.id, result: {} });
      }
  }
});
