// An MCP server that misbehaves on demand, for the gateway's fault and attack tests: each tool
// does one thing no real server does when asked. `calls` lists every tools/call it received, so
// a test can check what the gateway forwarded. Usage: node hostile-server.mjs
import readline from "node:readline";

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const text = (id, value) => send({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: value }] } });
const tools = ["get_contact", "echo", "calls", "hang", "crash", "garbage", "huge", "no-newline"];
const received = [];

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  switch (message.method) {
    case "initialize":
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "hostile", version: "1" } },
      });
      return;
    case "tools/list":
      send({ jsonrpc: "2.0", id: message.id, result: { tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })) } });
      return;
    case "tools/call": {
      const name = message.params.name;
      received.push(name);
      switch (name) {
        case "get_contact":
        case "echo":
          text(message.id, name + " " + JSON.stringify(message.params.arguments ?? {}));
          return;
        case "calls":
          text(message.id, JSON.stringify(received.slice(0, -1)));
          return;
        case "hang":
          return; // never answers
        case "crash":
          process.stderr.write("hostile server: crashing on purpose\n");
          process.exit(7);
          return;
        case "garbage":
          // Not JSON, JSON that is not a message, an answer to a request nobody sent, and a
          // message with our id but neither a result nor an error; never a real answer.
          process.stdout.write("\u0000\u00ff not json {{{\n[1,2]\n\"text\"\n");
          send({ jsonrpc: "2.0", id: 424242, result: { content: [] } });
          send({ jsonrpc: "2.0", id: message.id, surprise: true });
          return;
        case "huge":
          text(message.id, "x".repeat(200_000));
          return;
        case "no-newline":
          // Eight MiB without a line end, then the line is finished and an answer follows.
          process.stdout.write("y".repeat(8 * 1024 * 1024));
          process.stdout.write("\n");
          text(message.id, "after the flood");
          return;
        default:
          send({ jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "unknown tool " + name } });
      }
    }
  }
});
