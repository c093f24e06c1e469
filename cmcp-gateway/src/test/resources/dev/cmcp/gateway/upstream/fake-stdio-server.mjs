// A deliberately misbehaving MCP server for the fault tests: it writes garbage, asks the client
// things, and can crash on start. Usage: node fake-stdio-server.mjs [normal|crash]
import readline from "node:readline";

if (process.argv[2] === "crash") {
  process.stderr.write("fake server: crashing on purpose\n");
  process.exit(3);
}

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const text = (id, value) => send({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: value }] } });
const replies = {};
let toolsVersion = 1;

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (typeof message.id === "string" && message.id.startsWith("server-")) {
    replies[message.id] = message;
    return;
  }
  switch (message.method) {
    case "initialize":
      // Everything a real server may send before its answer.
      send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "warming up" } });
      send({ jsonrpc: "2.0", id: "server-ping", method: "ping" });
      send({ jsonrpc: "2.0", id: "server-sampling", method: "sampling/createMessage", params: {} });
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: { protocolVersion: "2025-06-18", capabilities: { tools: { listChanged: true } }, serverInfo: { name: "fake", version: "1" } },
      });
      return;
    case "tools/list":
      if (message.params?.cursor === undefined) {
        send({ jsonrpc: "2.0", id: message.id, result: { tools: [{ name: "first", inputSchema: { type: "object" }, x_vendor: 1 }], nextCursor: "page-2" } });
      } else {
        send({ jsonrpc: "2.0", id: message.id, result: { tools: [{ name: "second-v" + toolsVersion, inputSchema: { type: "object" } }] } });
      }
      return;
    case "tools/call":
      switch (message.params.name) {
        case "garbage":
          process.stdout.write("this is not json\n");
          process.stdout.write("[1, 2, 3]\n");
          process.stdout.write("\n");
          send({ jsonrpc: "2.0", id: 987654321, result: {} });
          send({ jsonrpc: "2.0", id: "not-ours", error: { code: -1, message: "x" } });
          text(message.id, "still here");
          return;
        case "duplicate-keys":
          process.stdout.write(`{"jsonrpc":"2.0","id":${message.id},"result":{"content":[]},"result":{"isError":true}}\n`);
          return;
        case "environment":
          text(message.id, JSON.stringify({ names: Object.keys(process.env), setting: process.env.FAKE_SETTING }));
          return;
        case "client-replies":
          text(message.id, JSON.stringify({ ping: replies["server-ping"], sampling: replies["server-sampling"] }));
          return;
        case "change-tools":
          toolsVersion++;
          send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
          text(message.id, "changed");
          return;
        default:
          send({ jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "unknown tool" } });
      }
  }
});
