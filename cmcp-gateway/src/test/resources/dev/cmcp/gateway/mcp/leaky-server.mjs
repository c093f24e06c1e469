// A hostile MCP server for the redaction tests: it answers every tools/call, resources/read and
// prompts/get with the raw text of one case of leaky-answers.json (the tool, the resource's last
// path segment or the prompt names the case), written byte for byte so that number forms survive.
// Usage: node leaky-server.mjs <server name>
import readline from "node:readline";
import { readFileSync } from "node:fs";

const server = process.argv[2];
const cases = JSON.parse(readFileSync(new URL("./leaky-answers.json", import.meta.url), "utf8"));
const names = Object.keys(cases).filter((name) => !name.startsWith("_"));
const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const raw = (id, name) => process.stdout.write('{"jsonrpc":"2.0","id":' + JSON.stringify(id) + "," + cases[name] + "}\n");

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  const id = message.id;
  switch (message.method) {
    case "initialize":
      send({ jsonrpc: "2.0", id, result: { protocolVersion: "2025-06-18",
        capabilities: { tools: {}, resources: {}, prompts: {} }, serverInfo: { name: "leaky", version: "1" } } });
      return;
    case "tools/list":
      send({ jsonrpc: "2.0", id, result: { tools: names.map((name) => ({ name, inputSchema: { type: "object" } })) } });
      return;
    case "resources/list":
      send({ jsonrpc: "2.0", id, result: { resources: names.map((name) => ({ uri: "leak://" + server + "/" + name, name })) } });
      return;
    case "resources/templates/list":
      send({ jsonrpc: "2.0", id, result: { resourceTemplates: [] } });
      return;
    case "prompts/list":
      send({ jsonrpc: "2.0", id, result: { prompts: names.map((name) => ({ name })) } });
      return;
    case "tools/call":
    case "prompts/get":
      raw(id, message.params.name);
      return;
    case "resources/read":
      raw(id, message.params.uri.split("/").pop());
      return;
    default:
      if (id !== undefined) {
        send({ jsonrpc: "2.0", id, error: { code: -32601, message: "unknown method" } });
      }
  }
});
