#!/usr/bin/env node
// An MCP server over stdio built on the official TypeScript SDK (@modelcontextprotocol/sdk,
// McpServer) whose lists change when a client asks: the tool `add-tool` registers the tool
// `extra`, `add-prompt` the prompt `extra-prompt`, `add-resource` the resource `lc://extra`, and
// the SDK itself announces each with notifications/tools|prompts|resources/list_changed. From the
// start it offers the tool `echo`, the prompt `greeting` and the resource `lc://start`. cMCP's
// tests put it behind the gateway to see list changes reach agents.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

const mcp = new McpServer({ name: 'cmcp-list-changing-server', version: '1.0.0' });
const text = (value) => ({ content: [{ type: 'text', text: value }] });
const readable = (uri, value) => async () => ({ contents: [{ uri, mimeType: 'text/plain', text: value }] });

mcp.registerTool('echo', { description: 'Echoes the message', inputSchema: { message: z.string() } },
  async ({ message }) => text(`echo: ${message}`));
mcp.registerPrompt('greeting', { description: 'A greeting' },
  () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }] }));
mcp.registerResource('start', 'lc://start', { mimeType: 'text/plain' }, readable('lc://start', 'there from the start'));

const once = (register) => {
  let done = false;
  return async () => {
    if (!done) {
      done = true;
      register();
    }
    return text('added');
  };
};
mcp.registerTool('add-tool', { description: 'Adds the tool extra' }, once(() =>
  mcp.registerTool('extra', { description: 'Added while running' }, async () => text('extra'))));
mcp.registerTool('add-prompt', { description: 'Adds the prompt extra-prompt' }, once(() =>
  mcp.registerPrompt('extra-prompt', { description: 'Added while running' },
    () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'extra' } }] }))));
mcp.registerTool('add-resource', { description: 'Adds the resource lc://extra' }, once(() =>
  mcp.registerResource('extra', 'lc://extra', { mimeType: 'text/plain' }, readable('lc://extra', 'added while running'))));

await mcp.connect(new StdioServerTransport());
