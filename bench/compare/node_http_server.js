#!/usr/bin/env node
// Node's half of the HTTP comparison: a `http` server with request-context middleware on
// AsyncLocalStorage and contextual log lines, the twin of the Beast demo server
// (examples/request_context_server.cpp --serve, on asyncctx::asio::http_server): the same
// handler steps and the same five log lines per request.
//
//   node node_http_server.js --port 8080 [--no-context] [--max-seconds 300]
//
// With the context (the default), every request:
//   * gets a request id: a valid incoming X-Request-ID (1-128 chars of [A-Za-z0-9._:-]) or a
//     new one (a per-process random prefix, '-', a counter: 33 characters, as ours);
//   * runs its handler inside als.run({ id, method, url, start, startTime }, ...);
//   * logs lines that read the id from the store (the handler gets no parameter for it);
//   * echoes the id in X-Request-ID.
// With --no-context, no AsyncLocalStorage exists at all (in Node 20 merely creating and
// running one turns on the async_hooks machinery for the whole process): no id, and the log
// lines are written with '-' in its place. Everything else is the same.
//
// Log lines go to stdout; bench/compare/run sends stdout to /dev/null. The server exits by
// itself after --max-seconds (bounded, whatever happens to the runner), or on SIGTERM/SIGINT.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const { AsyncLocalStorage } = require('node:async_hooks');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const PORT = Number(opt('--port', '8080'));
const CONTEXT = !args.includes('--no-context');
const MAX_SECONDS = Number(opt('--max-seconds', '300'));

const als = CONTEXT ? new AsyncLocalStorage() : null;
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PREFIX = crypto.randomBytes(8).toString('hex');
let counter = 0n;
const newId = () => `${PREFIX}-${(++counter).toString(16).padStart(16, '0')}`;

// The application's logger: it knows nothing of requests, it asks the context. The same line
// as the demo server's log_with_id ("<id>: <message> [thread]"), one write per line.
function log(message) {
  const ctx = als?.getStore();
  process.stdout.write(`${ctx ? ctx.id : '-'}: ${message.padEnd(17)} [io]\n`);
}

const hop = () => new Promise((resolve) => setImmediate(resolve));

// A nested async function: called inside the request's handler, it inherits its context.
async function renderGreeting(who) {
  log('nested coroutine');
  return `hello, ${who}`;
}

// The application's handler, the twin of the demo server's `handle` (examples/
// request_context_server.cpp): log, a zero-delay wait, another hop, a nested async function,
// answer, log with the elapsed time. Not one line passes the request id around. Where the demo
// waits on a zero steady_timer this waits for setImmediate (setTimeout(0) is clamped to 1 ms),
// and where the demo hops to a thread-pool worker this takes one more event-loop turn (a Node
// program has no thread pool that runs JavaScript in the same heap).
async function handler(req, res) {
  log(`start            ${req.method} ${req.url}`);
  await hop();
  log('timer fired');
  await hop();
  log('on a pool worker');
  const ctx = als?.getStore();
  const body = (await renderGreeting(ctx ? `request ${ctx.id}` : 'anonymous')) + '\n';
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  const elapsed = ctx ? Number((process.hrtime.bigint() - ctx.start) / 1000000n) : -1;
  log(`finish           200 after ${elapsed} ms`);
}

// The middleware: a fresh context per request, id echoed in the response.
function withRequestContext(req, res) {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : newId();
  res.setHeader('X-Request-ID', id);
  const ctx = { id, method: req.method, url: req.url, start: process.hrtime.bigint(), startTime: Date.now() };
  als.run(ctx, handler, req, res);
}

const server = http.createServer({ keepAliveTimeout: 30000 }, CONTEXT ? withRequestContext : handler);
server.listen(PORT, '127.0.0.1', () => {
  process.stderr.write(`node ${process.version} listening on 127.0.0.1:${PORT} (context ${CONTEXT ? 'on' : 'off'})\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 200).unref();
};
setTimeout(stop, MAX_SECONDS * 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
