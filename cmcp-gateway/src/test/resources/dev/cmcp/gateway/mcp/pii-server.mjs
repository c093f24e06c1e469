// A small MCP server over stdio whose answers hold personal data in every shape redaction must
// handle: nested structured content, the same JSON as pretty-printed text, and free text. All data
// is made up (example.com, 555-01xx, test card numbers).
//
// PII_SERVER_CONTACTS_DESCRIPTION, when set, replaces the description of the contacts tool: the
// test aid for a tool definition that changes between two starts (a "rug pull").
// PII_SERVER_SUBSCRIPTION_LOG, when set, is a file each resources/subscribe and unsubscribe is
// appended to; a subscribe is followed by a notifications/resources/updated for its URI, whose
// title holds personal data (which the gateway must not pass on).
import { appendFileSync } from "node:fs";
import readline from "node:readline";

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const answer = (id, result) => send({ jsonrpc: "2.0", id, result });

const account = {
  account: {
    name: "Acme Corp",
    owner: { name: "Alice Moreno", email: "alice.moreno@example.com", phone: "+1-202-555-0101" },
    contacts: [
      { name: "Ben Okafor", Email: "ben.okafor@example.com", phone: "(202) 555-0102", card: "4111 1111 1111 1111" },
      { name: "Chloe Tanaka", email: null, phone: "+44 20 7946 0958", card: "4111 1111 1111 1112" },
    ],
  },
  total_count: 2,
  updated: "2026-11-25T10:00:00Z",
};

const tools = [
  {
    name: "contacts",
    description: process.env.PII_SERVER_CONTACTS_DESCRIPTION ?? "Find the contacts of an account.",
    inputSchema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    annotations: { readOnlyHint: true },
  },
  {
    name: "notes",
    description: "Free-text notes about an account.",
    inputSchema: { type: "object", properties: { query: { type: "string" } } },
  },
];

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined) {
    return;
  }
  switch (message.method) {
    case "initialize":
      return answer(message.id, {
        protocolVersion: "2025-06-18",
        capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} },
        serverInfo: { name: "pii-server", version: "1" },
      });
    case "tools/list":
      return answer(message.id, { tools });
    case "tools/call":
      if (message.params.name === "contacts") {
        return answer(message.id, {
          content: [{ type: "text", text: JSON.stringify(account, null, 2) }],
          structuredContent: account,
          isError: false,
        });
      }
      if (message.params.name === "notes") {
        return answer(message.id, {
          content: [{
            type: "text",
            text: "Call Alice at +1-202-555-0101 or alice.moreno@example.com. Card on file 4111-1111-1111-1111, "
              + "SSN 123-45-6789. Renewal on 2026-11-25, order #12345.",
          }],
        });
      }
      return send({ jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "unknown tool" } });
    case "resources/list":
      return answer(message.id, { resources: [{ uri: "crm://accounts/acme", name: "acme", mimeType: "application/json" }] });
    case "resources/templates/list":
      return answer(message.id, { resourceTemplates: [{ uriTemplate: "crm://accounts/{id}", name: "account" }] });
    case "resources/read":
      if (String(message.params.uri).endsWith("/missing")) {
        // The 2025 revisions' "resource not found", without data, as 2025 servers answer it.
        return send({ jsonrpc: "2.0", id: message.id, error: { code: -32002, message: "Resource not found" } });
      }
      return answer(message.id, {
        contents: [{ uri: message.params.uri, mimeType: "application/json", text: JSON.stringify(account) }],
      });
    case "resources/subscribe":
    case "resources/unsubscribe": {
      const verb = message.method.slice("resources/".length);
      if (process.env.PII_SERVER_SUBSCRIPTION_LOG) {
        appendFileSync(process.env.PII_SERVER_SUBSCRIPTION_LOG, `${verb} ${message.params.uri}\n`);
      }
      answer(message.id, {});
      if (verb === "subscribe") {
        setTimeout(() => send({ jsonrpc: "2.0", method: "notifications/resources/updated",
          params: { uri: message.params.uri, title: "Account of alice.moreno@example.com changed" } }), 20);
      }
      return;
    }
    case "prompts/list":
      return answer(message.id, { prompts: [{ name: "summary", arguments: [{ name: "account" }] }] });
    case "prompts/get":
      return answer(message.id, {
        messages: [{ role: "user", content: { type: "text", text: `Summarise ${message.params.arguments?.account}; owner alice.moreno@example.com` } }],
      });
    default:
      return send({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "method not found" } });
  }
});
