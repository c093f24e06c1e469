#!/usr/bin/env node
// An MCP server built on the official TypeScript SDK 2.x (@modelcontextprotocol/server and
// @modelcontextprotocol/node): it serves MCP 2026-07-28 only (stateless, server/discover,
// per-request _meta; the SDK's `legacy: 'reject'` refuses 2025-era requests, initialize among
// them). cMCP's tests put it behind the gateway as a 2026-07-28 upstream. Runs on Node.js 20.
// Prints "listening on port N" when ready; PORT chooses the port.
import http from 'node:http';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import * as z from 'zod';

function server() {
  const mcp = new McpServer({ name: 'cmcp-sdk2-server', version: '1.0.0' });
  mcp.registerTool('echo', { description: 'Echoes the message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }));
  mcp.registerResource('greeting', 'sdk2://greeting', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello from the 2026-07-28 server' }] }));
  return mcp;
}

const port = Number(process.env.PORT || 3002);
const handle = toNodeHandler(createMcpHandler(server, { legacy: 'reject' }));
http.createServer((req, res) => {
  // One line per HTTP request, its revision and method headers only, so tests can see which revision was spoken.
  console.log(`request ${req.method} ${req.headers['mcp-protocol-version'] ?? '-'} ${req.headers['mcp-method'] ?? '-'}`);
  handle(req, res);
}).listen(port, '127.0.0.1', () => {
  console.error(`listening on port ${port}`);
});
