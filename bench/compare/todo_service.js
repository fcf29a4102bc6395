// bench/compare/todo_service.js — examples/todo_service written the idiomatic Node way, the
// peer of bench/todo_rps.sh: node:http, AsyncLocalStorage holding the request's id and user,
// better-sqlite3 (pinned in bench/compare/todo/package.json) with the same schema and the same
// parameterised statements.
//
//   node todo_service.js --port N [--db PATH]     (PORT 0: a free port; default db ":memory:")
//
// The API, auth and errors are examples/todo_service/todo_api.hpp's:
//   GET    /todos          the caller's todos, oldest first          200 [todo, ...]
//   POST   /todos          {"title": string, "done"?: bool}           201 todo (+ Location)
//   GET    /todos/{id}     one of the caller's todos                  200 todo | 404
//   PATCH  /todos/{id}     {"title"?: string, "done"?: bool}, >= 1     200 todo | 404
//   DELETE /todos/{id}                                                204 | 404
// with todo = {"id", "title", "done"}; "Authorization: Bearer alice-token | bob-token"
// (exactly one header, else 401 + WWW-Authenticate: Bearer); every 4xx has the JSON body
// {"error": {"code", "message"}}; a busy database is 503 + Retry-After: 1. X-Request-ID is
// echoed when the client sent exactly one valid value ([A-Za-z0-9._:-], 1-128), else a new id.
// Prints "todo service listening on 127.0.0.1:PORT ..." and serves until SIGINT/SIGTERM.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const { AsyncLocalStorage } = require('node:async_hooks');
const Database = require('better-sqlite3');

function parseArgs(argv) {
  const s = { port: null, db: ':memory:' };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--port' && i + 1 < argv.length) s.port = Number(argv[++i]);
    else if (argv[i] === '--db' && i + 1 < argv.length) s.db = argv[++i];
    else {
      process.stderr.write('usage: node todo_service.js --port N [--db PATH]\n');
      process.exit(2);
    }
  }
  if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) {
    process.stderr.write('todo_service.js: --port N is required (0-65535)\n');
    process.exit(2);
  }
  return s;
}

const MAX_BODY = 16 * 1024; // bytes of a POST/PATCH body (api_options::max_body)
const MAX_TITLE = 1000; // bytes of a title, UTF-8 (api_options::max_title)
const SERVER_BODY_LIMIT = 1024 * 1024; // what the server reads at all (http_server's body_limit)

// --- the request's context -------------------------------------------------------------------
// { id, user }: set for the whole request, read wherever it is needed, across every await.
const requestContext = new AsyncLocalStorage();
const currentUser = () => requestContext.getStore()?.user ?? null;

const ID_PREFIX = crypto.randomBytes(8).toString('hex');
let idCounter = 0n;
function generateRequestId() {
  idCounter += 1n;
  return `${ID_PREFIX}-${idCounter.toString(16).padStart(16, '0')}`;
}
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestIdOf(req) {
  const ids = req.headersDistinct['x-request-id'];
  if (ids && ids.length === 1 && VALID_REQUEST_ID.test(ids[0])) return ids[0];
  return generateRequestId();
}

// --- auth (auth_client) --------------------------------------------------------------------------
const usersByToken = new Map([
  ['alice-token', 'alice'],
  ['bob-token', 'bob'],
]);
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
// "Bearer" (any case), one or more spaces, a token68 of at most 256 characters.
function authenticate(authorization) {
  if (authorization.length <= 6 || authorization.slice(0, 6).toLowerCase() !== 'bearer') return null;
  if (authorization[6] !== ' ') return null;
  const token = authorization.slice(6).replace(/^ +/, '');
  if (token.length === 0 || token.length > 256 || !TOKEN68.test(token)) return null;
  const name = usersByToken.get(token);
  return name === undefined ? null : { name };
}

// --- the store (todo_store): same schema, same statements --------------------------------------
class Store {
  constructor(path) {
    this.db = new Database(path, { timeout: 2000 }); // todo_store's busy_budget
    this.db.pragma('journal_mode=WAL');
    this.db.pragma('synchronous=NORMAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS todos (' +
        ' id INTEGER PRIMARY KEY AUTOINCREMENT,' +
        ' user TEXT NOT NULL,' +
        ' title TEXT NOT NULL,' +
        ' done INTEGER NOT NULL DEFAULT 0)',
    );
    this.db.exec('CREATE INDEX IF NOT EXISTS todos_by_user ON todos(user, id)');
    this.listSql = this.db.prepare('SELECT id, title, done FROM todos WHERE user = ?1 ORDER BY id');
    this.findSql = this.db.prepare('SELECT id, title, done FROM todos WHERE user = ?1 AND id = ?2');
    this.createSql = this.db.prepare(
      'INSERT INTO todos (user, title, done) VALUES (?1, ?2, ?3) RETURNING id, title, done',
    );
    this.updateSql = this.db.prepare(
      'UPDATE todos SET title = coalesce(?3, title), done = coalesce(?4, done)' +
        ' WHERE user = ?1 AND id = ?2 RETURNING id, title, done',
    );
    this.removeSql = this.db.prepare('DELETE FROM todos WHERE user = ?1 AND id = ?2 RETURNING id');
  }
  // Every query is the current user's: another user's id is simply not found.
  list() {
    return this.listSql.all({ 1: currentUser().name }).map(toTodo);
  }
  find(id) {
    const row = this.findSql.get({ 1: currentUser().name, 2: id });
    return row === undefined ? null : toTodo(row);
  }
  create(title, done) {
    return toTodo(this.createSql.get({ 1: currentUser().name, 2: title, 3: done ? 1 : 0 }));
  }
  update(id, patch) {
    const row = this.updateSql.get({
      1: currentUser().name,
      2: id,
      3: patch.title ?? null,
      4: patch.done === undefined ? null : patch.done ? 1 : 0,
    });
    return row === undefined ? null : toTodo(row);
  }
  remove(id) {
    return this.removeSql.get({ 1: currentUser().name, 2: id }) !== undefined;
  }
  close() {
    this.db.close();
  }
}
const toTodo = (row) => ({ id: row.id, title: row.title, done: row.done !== 0 });
const isBusy = (e) => typeof e?.code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(e.code);

// --- HTTP ----------------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers, 'X-Request-ID': requestContext.getStore().id };
  if (text !== undefined) {
    h['Content-Type'] = 'application/json';
    h['Content-Length'] = Buffer.byteLength(text);
  }
  res.writeHead(status, h);
  res.end(text);
}
const errorBody = (code, message) => ({ error: { code, message } });
function sendError(res, status, code, message, headers) {
  send(res, status, errorBody(code, message), headers);
}

// /todos -> collection; /todos/<id> -> item (1-18 digits, > 0); anything else -> null.
function parseRoute(target) {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (path === '/todos' || path === '/todos/') return { what: 'collection' };
  if (!path.startsWith('/todos/')) return null;
  const digits = path.slice(7);
  if (!/^[0-9]{1,18}$/.test(digits)) return null;
  const id = BigInt(digits); // 18 digits may exceed 2^53: SQLite gets the exact integer
  return id > 0n ? { what: 'item', id } : null;
}

function isJsonContentType(type) {
  if (type === undefined) return false;
  const media = type.split(';', 1)[0].replace(/ +$/, '');
  return media.toLowerCase() === 'application/json';
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= SERVER_BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => resolve(size > SERVER_BODY_LIMIT ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// The parsed POST/PATCH body ({title?, done?}), or [status, code, message] to answer with.
function parseBody(req, raw, creating) {
  if (raw === null || raw.length > MAX_BODY) {
    return [413, 'body_too_large', `the body is larger than ${MAX_BODY} bytes`];
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    return [415, 'unsupported_media_type', 'the body must be application/json'];
  }
  let body;
  try {
    body = JSON.parse(utf8.decode(raw)); // invalid UTF-8 throws, as nlohmann rejects it
  } catch {
    return [400, 'invalid_json', 'the body is not valid JSON'];
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return [400, 'invalid_body', 'the body must be a JSON object'];
  }
  const patch = {};
  for (const [key, value] of Object.entries(body)) {
    if (!key.isWellFormed()) return [400, 'invalid_json', 'the body is not valid JSON'];
    if (key === 'title') {
      if (typeof value !== 'string') return [400, 'invalid_field', 'title must be a string'];
      if (!value.isWellFormed()) return [400, 'invalid_json', 'the body is not valid JSON'];
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes === 0 || bytes > MAX_TITLE) return [400, 'invalid_field', `title must be 1 to ${MAX_TITLE} bytes`];
      patch.title = value;
    } else if (key === 'done') {
      if (typeof value !== 'boolean') return [400, 'invalid_field', 'done must be a boolean'];
      patch.done = value;
    } else {
      return [400, 'unknown_field', `unknown field: ${JSON.stringify(key)}`];
    }
  }
  if (creating && patch.title === undefined) return [400, 'missing_field', 'title is required'];
  if (!creating && patch.title === undefined && patch.done === undefined) {
    return [400, 'missing_field', 'nothing to change: give title or done'];
  }
  return patch;
}

async function handle(store, req, res) {
  const route = parseRoute(req.url);
  if (route === null) return sendError(res, 404, 'not_found', 'no such resource');

  // Exactly one Authorization header, carrying a known bearer token.
  const auth = req.headersDistinct.authorization;
  const who = auth && auth.length === 1 ? authenticate(auth[0]) : null;
  if (who === null) {
    return sendError(res, 401, 'unauthorized', 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' });
  }
  // The user is bound for the rest of this request: every await, every callback.
  return requestContext.run({ ...requestContext.getStore(), user: who }, () => serve(store, req, res, route));
}

async function serve(store, req, res, route) {
  const method = req.method;
  let patch = null;
  if ((route.what === 'collection' && method === 'POST') || (route.what === 'item' && method === 'PATCH')) {
    const parsed = parseBody(req, await readBody(req), route.what === 'collection');
    if (Array.isArray(parsed)) return sendError(res, ...parsed);
    patch = parsed;
  } else if (route.what === 'collection' && method !== 'GET') {
    return sendError(res, 405, 'method_not_allowed', 'allowed: GET, POST', { Allow: 'GET, POST' });
  } else if (route.what === 'item' && method !== 'GET' && method !== 'DELETE') {
    return sendError(res, 405, 'method_not_allowed', 'allowed: GET, PATCH, DELETE', {
      Allow: 'GET, PATCH, DELETE',
    });
  }

  try {
    if (route.what === 'collection') {
      if (method === 'GET') return send(res, 200, store.list());
      const created = store.create(patch.title, patch.done ?? false);
      return send(res, 201, created, { Location: `/todos/${created.id}` });
    }
    if (method === 'GET') {
      const t = store.find(route.id);
      if (t !== null) return send(res, 200, t);
    } else if (method === 'PATCH') {
      const t = store.update(route.id, patch);
      if (t !== null) return send(res, 200, t);
    } else if (store.remove(route.id)) {
      return send(res, 204);
    }
    return sendError(res, 404, 'not_found', `no todo ${route.id}`);
  } catch (e) {
    if (!isBusy(e)) throw e;
    return sendError(res, 503, 'database_busy', 'the database is busy; try again', { 'Retry-After': '1' });
  }
}

function main() {
  const settings = parseArgs(process.argv.slice(2));
  const store = new Store(settings.db);
  const server = http.createServer((req, res) => {
    requestContext.run({ id: requestIdOf(req), user: null }, () => {
      handle(store, req, res).catch((e) => {
        // What the C++ server does with a handler that throws: a 500, the error on stderr.
        process.stderr.write(`todo_service.js: ${e?.stack ?? e}\n`);
        if (!res.headersSent) sendError(res, 500, 'internal_error', 'internal server error');
        else res.destroy();
      });
    });
  });
  server.listen(settings.port, '127.0.0.1', () => {
    process.stdout.write(
      `todo service (Node ${process.version}) listening on 127.0.0.1:${server.address().port}` +
        ' (tokens: alice-token, bob-token)\n',
    );
  });
  const stop = () => {
    server.close(() => {
      store.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
