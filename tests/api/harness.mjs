// Test harness for the API tests: a fresh database per server, the real `tracker` binary as a
// child process on port 0, and small HTTP helpers. Needs TEST_PG_URL (a connection URI to the
// throwaway cluster's `postgres` database), set by scripts/test and scripts/test-api.
// With TEST_CONTRACT=1 (scripts/test-contract) every server gets a proxy in front of it that checks each
// answer against openapi.yaml (tests/api/contract.mjs): server.url is then the proxy's address, while
// server.port stays the service's own port, for raw-socket tests of HTTP framing.
// With TEST_SERVER_WRAPPER set (scripts/test-valgrind), each server runs under that command, e.g.
// `valgrind --leak-check=full --error-exitcode=1`: a report makes the graceful stop exit non-zero,
// which stop() turns into a failure of the test.
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.TRACKER_BIN || path.join(ROOT, 'build/tracker');
const PG_URL = process.env.TEST_PG_URL;
if (!PG_URL) throw new Error('TEST_PG_URL is not set: run the API tests through scripts/test or scripts/test-api');

const CONTRACT = process.env.TEST_CONTRACT === '1';
const WRAPPER = (process.env.TEST_SERVER_WRAPPER || '').split(/\s+/).filter(Boolean);
/** How long a server may take to start (a wrapped one is many times slower). */
const START_MS = WRAPPER.length ? 120000 : 15000;
/**
 * False when the servers run wrapped (valgrind): their latencies and RSS then measure the tool (a
 * 20-50× slowdown, shadow memory, a 20 MB queue of freed blocks), so the few latency and memory
 * bounds are asserted only in the normal runs; everything else those tests assert still holds.
 */
export const MEASURES = WRAPPER.length === 0;
/**
 * A wrapped server keeps idle connections for 10 minutes: at its pace a test's pause (synchronous
 * psql calls) can outlast the 15 s default, and a POST sent on a connection the server is closing
 * fails in the client ("fetch failed", seen once in a valgrind run).
 */
const WRAPPED_ENV = WRAPPER.length ? { TRACKER_IDLE_TIMEOUT_S: '600' } : {};
let dbCounter = 0;

/** The URI of database `name` on the test cluster. */
export function dbUrl(name) {
  return PG_URL.replace(/^postgresql:\/\/\/[^?]*/, `postgresql:///${name}`);
}

/** Runs SQL with psql on database `name` (or a URI); returns the unaligned output, trimmed. */
export function sql(db, query) {
  const url = db.startsWith('postgresql:') ? db : dbUrl(db);
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-AtXq', '-c', query], { encoding: 'utf8' }).trim();
}

/**
 * A digest of every row a write could touch, to assert "nothing written". Of a token only its id
 * and name: its last_used_at is refreshed in the background by any request that uses it.
 */
export function dbFingerprint(db) {
  return sql(db, `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT r::text AS x FROM resolutions r UNION ALL SELECT a::text FROM agencies a
    UNION ALL SELECT s::text FROM sectors s UNION ALL SELECT c::text FROM recommendations c
    UNION ALL SELECT u::text FROM updates u UNION ALL SELECT p::text FROM users p
    UNION ALL SELECT t.id::text || t.name FROM api_tokens t UNION ALL SELECT l::text FROM audit_log l) q`);
}

/** Creates an empty database with a unique name and returns the name. */
export function createDatabase(prefix = 't') {
  const name = `${prefix}_${process.pid}_${++dbCounter}_${Math.random().toString(36).slice(2, 8)}`;
  sql(PG_URL, `CREATE DATABASE ${name}`);
  return name;
}

/** Runs the tracker binary with DATABASE_URL of `db`; returns {code, stdout, stderr}. */
export function runTracker(db, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: dbUrl(db), ...env },
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `tracker serve --migrate --port 0` on a new database (or `opts.db`).
 * Resolves with {url, port, db, proc, logs, stop(), token(role, agencySlug?)}.
 */
export async function startServer(opts = {}) {
  const db = opts.db || createDatabase();
  const args = ['serve', '--port', '0', ...(opts.migrate === false ? [] : ['--migrate']), ...(opts.args || [])];
  const [cmd, ...argv] = [...WRAPPER, BIN, ...args];
  const proc = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: dbUrl(db), TRACKER_LOG_LEVEL: 'info', ...WRAPPED_ENV, ...(opts.env || {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  let buffered = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), START_MS);
    proc.stderr.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        const m = line.match(/listening on http:\/\/[^:]+:(\d+)/);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let contract = null;
  if (CONTRACT) {
    const { startContractProxy } = await import('./contract.mjs');
    contract = await startContractProxy(port);
    // A test that ends the process itself (not through stop()) must not leave the proxy running.
    exited.then(() => contract.stop());
  }
  const server = {
    url: contract ? contract.url : `http://127.0.0.1:${port}`,
    port,
    db,
    proc,
    logs,
    exited,
    /** Stops the server; a graceful stop must exit 0 (a sanitizer report would not). */
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      // valgrind was once seen to lose the SIGTERM of a server idle in sigwait(): send it again
      // while waiting (the service blocks it after the first, so a repeat changes nothing)
      const again = WRAPPER.length && signal === 'SIGTERM'
        ? setInterval(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal); }, 15000) : null;
      const result = await exited;
      if (again) clearInterval(again);
      if (contract) await contract.stop();
      if (signal === 'SIGTERM' && result.code !== 0) {
        throw new Error(`server exited with ${result.code} (${result.signal}):\n${logs.slice(-60).join('\n')}`);
      }
      return result;
    },
    async token(role, agencySlug) {
      const args2 = ['token', 'create', '--name', `${role} user`, '--role', role];
      if (agencySlug) args2.push('--agency', agencySlug);
      const r = await runTracker(db, args2);
      if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    request(method, p, options = {}) { return request(server, method, p, options); },
  };
  return server;
}

/**
 * Sends one request. options: {token, body (object → JSON, string → as is), headers}.
 * Resolves with {status, headers (Headers), text, json (parsed when JSON, else undefined)}.
 */
export async function request(server, method, p, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    body = JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(server.url + p, { method, headers, body, redirect: 'manual' });
  } catch (e) {
    // A test that blocked the event loop (synchronous psql calls) for longer than the server's idle
    // timeout gets its request sent on a pooled connection the server closed meanwhile: fetch
    // fails with 'other side closed' before any answer (seen under load in the reports tests).
    // The service closes a connection without an answer only when it is idle (a crash would refuse
    // the retry), so the request is sent once more, on a new connection.
    if (e.cause?.code !== 'UND_ERR_SOCKET' || !/other side closed/.test(e.cause.message)) throw e;
    res = await fetch(server.url + p, { method, headers, body, redirect: 'manual' });
  }
  const text = await res.text();
  let json;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json') && text.length > 0) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Resolves the answer to `GET /v1/updates?<query>` once it lists at least `count` updates (15 s at
 * most). The feed shows an update only when no older transaction is open anywhere on the
 * PostgreSQL server, and the other test files share it and hold transactions for seconds.
 */
export async function feedShowing(server, query, count) {
  for (let i = 0; ; i++) {
    const r = await request(server, 'GET', `/v1/updates?${query}`);
    if (r.status !== 200 || r.json.items.length >= count || i === 300) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Writes raw bytes to the server and resolves with everything read until close or `ms`. */
export function rawRequest(port, data, ms = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { sock.destroy(); resolve(out); }, ms);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d) => { out += d.toString('latin1'); });
    sock.on('close', () => { clearTimeout(timer); resolve(out); });
    sock.on('error', (e) => { clearTimeout(timer); if (out) resolve(out); else reject(e); });
  });
}

/** Asserts a problem+json answer with `status` (and, when given, an errors[] field). */
export function assertProblem(assert, res, status, field) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/);
  for (const k of ['type', 'title', 'status', 'detail', 'request_id', 'code']) assert.ok(k in res.json, `problem lacks ${k}`);
  assert.equal(res.json.status, status);
  assert.equal(res.json.request_id, res.headers.get('x-request-id'));
  if (field !== undefined) {
    assert.ok(Array.isArray(res.json.errors), `problem lacks errors[]: ${res.text}`);
    assert.ok(res.json.errors.some((e) => e.field === field), `no error for ${field}: ${res.text}`);
  }
}

/** A 400 naming `field` as a text over its limit of `max` characters. */
export function assertTooLong(assert, res, field, max) {
  assertProblem(assert, res, 400, field);
  assert.deepEqual(res.json.errors.filter((e) => e.field === field),
    [{ field, message: `is too long (at most ${max} characters)` }], res.text.slice(0, 500));
}

/**
 * A text of exactly `n` Unicode characters, none of them one byte: astral emoji (two UTF-16 units,
 * four bytes each) when `astral`, else Cyrillic (two bytes each). A limit counted in bytes fails
 * on either, one counted in UTF-16 units on the emoji.
 */
export function textOf(n, astral = false) {
  return (astral ? '😀' : 'ң').repeat(n);
}

/** An https URL of exactly `n` Unicode characters, its path Cyrillic (two bytes each). */
export function urlOf(n) {
  const head = 'https://example.org/';
  return head + 'ң'.repeat(n - head.length);
}

/**
 * A cursor that carries the binding tag of `real` (a next_cursor of the same list and query: its
 * first 16 characters, src/api/cursor.h) around the key `key` (a JSON value), so that the key's own
 * checks are what answers.
 */
export function forgeCursor(real, key) {
  return real.slice(0, 16) + Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)).toString('base64url');
}

/** Imports the 2021 seed bundle into the server's database with `tracker import`. */
export async function importSeed(server) {
  const r = await runTracker(server.db, ['import', path.join(ROOT, 'data/resolution-2021-11-15.json')]);
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  return r;
}
