#!/usr/bin/env node
// An MCP 2026-07-28 server (stateless, server/discover, the envelope in each request's _meta) that
// offers the tasks extension, io.modelcontextprotocol/tasks (SEP-2663), as its specification says,
// with the tools the conformance suite's tasks scenarios call. No official server from npm offers
// the extension yet (checked 2026-12-06: @modelcontextprotocol/server 2.4.0 has no tasks extension;
// the conformance package's everything-server 0.2.0-alpha does not implement it), so cMCP's tests
// put this one behind the gateway. Plain Node.js (20 or later), no dependencies.
//
// Tools: greet (never a task), slow_compute (a task when the request declares the extension, else
// run at once; `seconds` of work, cancellable), failing_job (a task that completes with isError;
// needs the extension: -32021 otherwise), protocol_error_job (a task that fails with a JSON-RPC
// error), confirm_delete (a task that asks one elicitation through inputRequests and completes with
// the answer), multi_input (a task that asks two at once; answers may come one at a time),
// test_tool_with_task (an input_required round trip first, then a task that uses its answer),
// secret_report (a task whose result holds an email address, for redaction tests).
// subscriptions/listen with notifications.taskIds streams notifications/tasks (the whole task, as
// tasks/get shows it) at each change of those tasks (-32021 without the extension).
// Headers are checked as the revision says: Mcp-Method always, Mcp-Name for tools/call and for
// tasks/get|update|cancel (the task id); a mismatch is HTTP 400, -32020.
// Prints "listening on port N" on stderr when ready (PORT chooses the port, 0 for any), and one
// line per request on stdout: "request <method> <mcp-name header or ->".
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const VERSION = '2026-07-28';
const TASKS = 'io.modelcontextprotocol/tasks';
const tasks = new Map();
/** Open listens: { taskIds: Set, write(message) }. */
const listeners = new Set();

const TOOLS = [
  { name: 'greet', description: 'Says hello', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } },
  { name: 'slow_compute', description: 'Works for `seconds` seconds', inputSchema: { type: 'object', properties: { seconds: { type: 'number' }, label: { type: 'string' } } } },
  { name: 'failing_job', description: 'Fails as a tool', inputSchema: { type: 'object', properties: {} } },
  { name: 'protocol_error_job', description: 'Fails with a JSON-RPC error', inputSchema: { type: 'object', properties: {} } },
  { name: 'confirm_delete', description: 'Asks before deleting', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'multi_input', description: 'Asks two questions at once', inputSchema: { type: 'object', properties: {} } },
  { name: 'test_tool_with_task', description: 'Asks a name, then works on it as a task', inputSchema: { type: 'object', properties: {} } },
  { name: 'secret_report', description: 'Reports a contact', inputSchema: { type: 'object', properties: {} } },
];

function elicit(message, property) {
  return { method: 'elicitation/create', params: { mode: 'form', message,
    requestedSchema: { type: 'object', properties: { [property]: { type: property === 'confirm' ? 'boolean' : 'string' } }, required: [property] } } };
}

function declaresTasks(params) {
  const caps = params?._meta?.['io.modelcontextprotocol/clientCapabilities'];
  return !!(caps && caps.extensions && typeof caps.extensions[TASKS] === 'object');
}

function now() {
  return new Date().toISOString();
}

function text(t) {
  return { content: [{ type: 'text', text: t }] };
}

function complete(result) {
  return { resultType: 'complete', ...result };
}

function newTask(run) {
  const task = { taskId: randomUUID(), status: 'working', createdAt: now(), lastUpdatedAt: now(), ttlMs: 600000, pollIntervalMs: 100 };
  tasks.set(task.taskId, task);
  run(task);
  return task;
}

function settle(task, fields) {
  if (['completed', 'failed', 'cancelled'].includes(task.status)) return;
  Object.assign(task, fields, { lastUpdatedAt: now() });
  for (const listener of listeners) {
    if (listener.taskIds.has(task.taskId)) {
      const shown = envelope(task);
      if (shown.status !== 'input_required') delete shown.inputRequests;
      listener.write({ jsonrpc: '2.0', method: 'notifications/tasks', params: { ...shown, _meta: { 'io.modelcontextprotocol/subscriptionId': listener.id } } });
    }
  }
}

function listen(message, req, res) {
  const wanted = message.params?.notifications?.taskIds;
  if (wanted !== undefined && !declaresTasks(message.params)) {
    const answer = missingExtension();
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: answer.error }));
    return;
  }
  const taskIds = new Set((wanted ?? []).filter((taskId) => tasks.has(taskId)));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const listener = { id: message.id, taskIds, write: (event) => res.write(`data: ${JSON.stringify(event)}\n\n`) };
  listener.write({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
    params: { _meta: { 'io.modelcontextprotocol/subscriptionId': message.id }, notifications: { taskIds: [...taskIds] } } });
  listeners.add(listener);
  // The response's close, not the request's: a request closes once its body is read.
  res.on('close', () => listeners.delete(listener));
}

function envelope(task) {
  const { timer, answers, whenAnswered, ...shown } = task;
  return shown;
}

function startTask(name, args) {
  switch (name) {
    case 'slow_compute':
      return newTask((task) => {
        task.timer = setTimeout(() => settle(task, { status: 'completed', result: text(`computed ${args.label ?? ''}`) }),
          Math.max(0, Number(args.seconds ?? 0)) * 1000);
      });
    case 'failing_job':
      return newTask((task) => setTimeout(() => settle(task, { status: 'completed', result: { ...text('the job failed'), isError: true } }), 50));
    case 'protocol_error_job':
      return newTask((task) => setTimeout(() => settle(task, { status: 'failed', statusMessage: 'internal failure',
        error: { code: -32603, message: 'the job crashed' } }), 50));
    case 'secret_report':
      return newTask((task) => setTimeout(() => settle(task, { status: 'completed', result: text('contact: alice@example.com') }), 50));
    case 'confirm_delete':
      return newTask((task) => {
        task.status = 'input_required';
        task.inputRequests = { confirm: elicit(`Delete ${args.path ?? args.filename ?? 'it'}?`, 'confirm') };
        task.whenAnswered = (answers) => (answers.confirm?.action === 'accept' && answers.confirm?.content?.confirm ? 'deleted' : 'kept');
      });
    case 'multi_input':
      return newTask((task) => {
        task.status = 'input_required';
        task.inputRequests = { first: elicit('First?', 'name'), second: elicit('Second?', 'name') };
        task.whenAnswered = (answers) => `got ${Object.keys(answers).length} answers`;
      });
    case 'test_tool_with_task':
      return newTask((task) => setTimeout(() => settle(task, { status: 'completed', result: text(`Hello, ${args.userName}!`) }), 50));
    default:
      return null;
  }
}

function call(params) {
  const name = params?.name;
  const args = params?.arguments ?? {};
  if (!TOOLS.some((tool) => tool.name === name)) return { error: { code: -32602, message: `Unknown tool: ${name}` } };
  if (name === 'greet') return { result: complete(text(`Hello, ${args.name ?? 'World'}!`)) };
  if (name === 'test_tool_with_task') {
    // A multi round-trip request first (SEP-2322): the name, then the task (SEP-2663, "Composition").
    const answer = params.inputResponses?.user_name;
    if (!answer) {
      return { result: { resultType: 'input_required', inputRequests: { user_name: elicit('Your name?', 'name') }, requestState: 'asked-name' } };
    }
    if (!declaresTasks(params)) return missingExtension();
    return { result: { resultType: 'task', ...envelope(startTask(name, { userName: answer.content?.name ?? '?' })) } };
  }
  if (declaresTasks(params)) {
    const task = startTask(name, args);
    return { result: { resultType: 'task', ...envelope(task) } };
  }
  if (name === 'slow_compute') return { result: complete(text(`computed ${args.label ?? ''}`)) };
  return missingExtension();
}

function missingExtension() {
  return { status: 400, error: { code: -32021, message: 'Missing required client capability',
    data: { requiredCapabilities: { extensions: { [TASKS]: {} } } } } };
}

function taskMethod(method, params) {
  if (!declaresTasks(params)) return missingExtension();
  const task = tasks.get(params?.taskId);
  if (!task) return { error: { code: -32602, message: 'Failed to retrieve task: Task not found' } };
  if (method === 'tasks/get') {
    const shown = envelope(task);
    if (shown.status !== 'input_required') delete shown.inputRequests;
    return { result: { resultType: 'complete', ...shown } };
  }
  if (method === 'tasks/update') {
    // Answers to outstanding questions only; others are ignored. The task goes on once all are answered.
    if (task.status === 'input_required' && params.inputResponses && typeof params.inputResponses === 'object') {
      task.answers ??= {};
      for (const [key, answer] of Object.entries(params.inputResponses)) {
        if (task.inputRequests?.[key]) {
          task.answers[key] = answer;
          delete task.inputRequests[key];
        }
      }
      if (Object.keys(task.inputRequests).length === 0) {
        delete task.inputRequests;
        settle(task, { status: 'working' });
        setTimeout(() => settle(task, { status: 'completed', result: text(task.whenAnswered(task.answers)) }), 50);
      }
    }
    return { result: { resultType: 'complete' } };
  }
  // tasks/cancel
  clearTimeout(task.timer);
  delete task.inputRequests;
  settle(task, { status: 'cancelled' });
  return { result: { resultType: 'complete' } };
}

function handle(message, headers) {
  const { method, params } = message;
  if (headers['mcp-method'] !== method) {
    return { status: 400, error: { code: -32020, message: `Header mismatch: Mcp-Method ${headers['mcp-method']}` } };
  }
  const named = method === 'tools/call' ? params?.name : ['tasks/get', 'tasks/update', 'tasks/cancel'].includes(method) ? params?.taskId : undefined;
  if (named !== undefined && headers['mcp-name'] !== named) {
    return { status: 400, error: { code: -32020, message: `Header mismatch: Mcp-Name ${headers['mcp-name']}` } };
  }
  const version = params?._meta?.['io.modelcontextprotocol/protocolVersion'];
  if (version !== VERSION || typeof params?._meta?.['io.modelcontextprotocol/clientCapabilities'] !== 'object') {
    return { status: 400, error: { code: -32602, message: 'Invalid params: _meta needs the protocol version and client capabilities' } };
  }
  switch (method) {
    case 'server/discover':
      return { result: { resultType: 'complete', supportedVersions: [VERSION],
        capabilities: { tools: {}, extensions: { [TASKS]: {} } }, ttlMs: 0, cacheScope: 'public', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'cmcp-tasks-server', version: '1.0.0' } } } };
    case 'tools/list':
      return { result: { resultType: 'complete', tools: TOOLS, ttlMs: 0, cacheScope: 'public' } };
    case 'tools/call':
      return call(params);
    case 'tasks/get':
    case 'tasks/update':
    case 'tasks/cancel':
      return taskMethod(method, params);
    default:
      return { status: 404, error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

const port = Number(process.env.PORT ?? 0);
const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    let message;
    try {
      message = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    console.log(`request ${message.method} ${req.headers['mcp-name'] ?? '-'}`);
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    if (req.headers['mcp-protocol-version'] !== VERSION) {
      // 2026-07-28 only: initialize and the like are refused, so the gateway asks server/discover.
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id,
        error: { code: -32022, message: 'Unsupported protocol version', data: { supported: [VERSION] } } }));
      return;
    }
    if (message.method === 'subscriptions/listen' && req.headers['mcp-method'] === message.method) {
      listen(message, req, res);
      return;
    }
    const answer = handle(message, req.headers);
    const reply = answer.error ? { jsonrpc: '2.0', id: message.id, error: answer.error } : { jsonrpc: '2.0', id: message.id, result: answer.result };
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  });
});
server.listen(port, '127.0.0.1', () => {
  console.error(`listening on port ${server.address().port}`);
});
