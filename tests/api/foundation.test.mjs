// The HTTP core and operations: routing, problems, limits, CORS, ETags, request ids, framing
// hardening, migrations, readiness, slow-request isolation and graceful drain.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, startServer, request, rawRequest, assertProblem, sql, createDatabase, runTracker, dbUrl, MEASURES,
} from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Holds an ACCESS EXCLUSIVE lock on `table` for `seconds` from a psql session. Resolves once the
 * lock is held, with {released}: a promise of the session's end.
 */
async function holdLock(db, table, seconds) {
  // The hold counts from the moment the lock is seen granted (not from psql's start, which a
  // loaded machine can delay past a short hold: 'lock was not taken' was seen in a full run).
  const child = spawn('psql', [dbUrl(db), '-Xq', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const released = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT 1;\n`);
  for (let i = 0; i < 200; i++) {
    const held = sql(db, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                          WHERE c.relname = '${table}' AND l.mode = 'AccessExclusiveLock' AND l.granted`);
    if (held === '1') {
      setTimeout(() => child.stdin.end('COMMIT;\n'), seconds * 1000);
      return { released };
    }
    await sleep(50);
  }
  child.stdin.end('ROLLBACK;\n');
  throw new Error('lock was not taken');
}

describe('HTTP core', () => {
  let server, editor;
  before(async () => {
    server = await startServer({ env: { TRACKER_CORS_ORIGINS: 'https://app.example, https://other.example' } });
    editor = await server.token('editor');
  });
  after(async () => { await server.stop(); });

  test('healthz and readyz answer with JSON and a request id', async () => {
    const h = await server.request('GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.json, { status: 'ok' });
    assert.match(h.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
    const r = await server.request('GET', '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ready');
    const files = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
    assert.equal(r.json.schema_version, files.at(-1).slice(0, 4));
  });

  test('the operations endpoints carry an ETag too, and If-None-Match gives 304', async () => {
    for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.yaml']) {
      const r = await server.request('GET', p);
      const etag = r.headers.get('etag');
      assert.match(etag || '', /^"[^"]+"$/, `${p}: ${etag}`);
      if (p === '/metrics') continue; // it counts the request just made: its tag moves every time
      const again = await server.request('GET', p, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, p);
      assert.equal(again.text, '', p);
    }
    // a weak star is no entity tag, so it matches nothing
    const star = await server.request('GET', '/healthz', { headers: { 'If-None-Match': 'W/*' } });
    assert.equal(star.status, 200);
  });

  test('unknown path is 404, known path with another method is 405 with Allow', async () => {
    const r = await server.request('GET', '/v1/nothing-here');
    assertProblem(assert, r, 404);
    const r2 = await server.request('DELETE', '/v1/resolutions');
    assertProblem(assert, r2, 405);
    assert.equal(r2.headers.get('allow'), 'GET, POST');
    const r3 = await server.request('PUT', '/v1/updates/00000000-0000-0000-0000-000000000000');
    assertProblem(assert, r3, 405);
    assert.equal(r3.headers.get('allow'), 'GET');
  });

  test('problem bodies carry type, title, status, detail, request_id and code', async () => {
    const r = await server.request('GET', '/v1/resolutions?limit=0');
    assertProblem(assert, r, 400, 'limit');
    assert.equal(r.json.type, '/problems/validation_failed');
    assert.equal(r.json.code, 'validation_failed');
    // one code for every bad query parameter, whichever endpoint reads it; bad_request is for
    // a request that could not be read at all (here a body that is not JSON)
    for (const [url, field] of [['/v1/resolutions?cursor=zz', 'cursor'], ['/v1/resolutions?lang=_', 'lang'],
      ['/v1/resolutions?format=xml', 'format'], ['/v1/resolutions?archived=maybe', 'archived'],
      ['/v1/recommendations?resolution=nope', 'resolution'], ['/v1/recommendations?sdg=18', 'sdg'],
      ['/v1/updates?source=x', 'source'], ['/v1/reports/stale?days=0', 'days'],
      ['/v1/reports/timeline?interval=week', 'interval'], ['/v1/agencies?kind=x', 'kind']]) {
      const bad = await server.request('GET', url);
      assertProblem(assert, bad, 400, field);
      assert.equal(bad.json.code, 'validation_failed', url);
    }
    const unreadable = await server.request('POST', '/v1/resolutions', { token: editor, body: '{"slug":', headers: { 'Content-Type': 'application/json' } });
    assertProblem(assert, unreadable, 400);
    assert.equal(unreadable.json.code, 'bad_request');
  });

  test('a declared body over 1 MiB is refused with 413 before it is sent, to a client that waits for 100 Continue', async () => {
    const out = await rawRequest(server.port,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${editor}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /application\/problem\+json/);
    assert.doesNotMatch(out, /100 Continue/);
  });

  test('a declared body over 1 MiB sent whole is read, dropped and answered 413, every time', async () => {
    // Answered before the body was read, the connection closed on unread bytes and the reset
    // could reach the client before the answer (fetch: "other side closed", about 1 try in 8).
    const big = JSON.stringify({ slug: 'x', title: { en: 'a'.repeat(1024 * 1024) }, adopted_on: '2021-01-01' });
    const headers = { 'Content-Type': 'application/json' };
    for (let i = 0; i < 24; i++) {
      const r = await server.request('POST', '/v1/resolutions', { token: editor, body: big, headers });
      assertProblem(assert, r, 413);
    }
    // the checks that come first still do: an unknown path, a missing token
    assertProblem(assert, await server.request('POST', '/v1/nowhere', { token: editor, body: big, headers }), 404);
    assertProblem(assert, await server.request('POST', '/v1/resolutions', { body: big, headers }), 401);
    // and the connection stays usable
    assert.equal((await server.request('GET', '/healthz')).status, 200);
  });

  test('a chunked body that grows past 1 MiB is refused with 413', async () => {
    const chunk = 'a'.repeat(64 * 1024);
    const chunks = Array.from({ length: 17 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const out = await rawRequest(server.port,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${editor}\r\n` +
      `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /application\/problem\+json/);
  });

  test('a body just under the limit is parsed (and validated)', async () => {
    const body = JSON.stringify({ slug: 'big', title: { en: 'a'.repeat(1000 * 1000) }, adopted_on: '2021-01-01' });
    const r = await server.request('POST', '/v1/resolutions', { token: editor, body, headers: { 'Content-Type': 'application/json' } });
    assertProblem(assert, r, 400, '/title/en');
  });

  test('CORS: preflight for an allowed origin, nothing for others', async () => {
    const r = await server.request('OPTIONS', '/v1/resolutions', {
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(r.headers.get('access-control-allow-methods'), /POST/);
    for (const h of ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-Request-Id']) {
      assert.match(r.headers.get('access-control-allow-headers'), new RegExp(h));
    }
    const g = await server.request('GET', '/v1/resolutions', { headers: { Origin: 'https://other.example' } });
    assert.equal(g.headers.get('access-control-allow-origin'), 'https://other.example');
    for (const h of ['ETag', 'Link', 'X-Request-Id']) assert.match(g.headers.get('access-control-expose-headers'), new RegExp(h));
    // an origin's scheme and host are case-insensitive: the configured form need not be the browser's
    const upper = await server.request('GET', '/v1/resolutions', { headers: { Origin: 'HTTPS://App.Example' } });
    assert.equal(upper.headers.get('access-control-allow-origin'), 'HTTPS://App.Example');
    const bad = await server.request('OPTIONS', '/v1/resolutions', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
    // with a list of origins every answer varies by Origin, also those for no or another origin
    for (const headers of [{}, { Origin: 'https://evil.example' }, { Origin: 'https://app.example' }]) {
      const v = await server.request('GET', '/v1/resolutions', { headers });
      assert.match(v.headers.get('vary') || '', /\bOrigin\b/, JSON.stringify(headers));
    }
    const unknown = await server.request('OPTIONS', '/v1/nowhere', { headers: { Origin: 'https://app.example' } });
    assert.equal(unknown.status, 404);
  });

  test('GETs carry a strong ETag and If-None-Match gives 304 without a body', async () => {
    const r = await server.request('GET', '/v1/resolutions');
    const etag = r.headers.get('etag');
    assert.match(etag, /^"[^"]+"$/);
    const again = await server.request('GET', '/v1/resolutions', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.get('etag'), etag);
    const other = await server.request('GET', '/v1/resolutions', { headers: { 'If-None-Match': '"nope"' } });
    assert.equal(other.status, 200);
    const spec = await server.request('GET', '/openapi.yaml');
    assert.equal(spec.status, 200);
    assert.match(spec.headers.get('content-type'), /yaml/);
    assert.match(spec.text, /^openapi: 3\.1/m);
  });

  test('X-Request-Id is echoed when well-formed, replaced otherwise, and in problems', async () => {
    const r = await server.request('GET', '/nope', { headers: { 'X-Request-Id': 'abc.DEF_123-x' } });
    assert.equal(r.headers.get('x-request-id'), 'abc.DEF_123-x');
    assert.equal(r.json.request_id, 'abc.DEF_123-x');
    for (const bad of ['a b', 'x'.repeat(129), 'ü', "a';--"]) {
      const r2 = await server.request('GET', '/healthz', { headers: { 'X-Request-Id': encodeURI(bad) === bad ? bad : 'a%20b' } });
      assert.notEqual(r2.headers.get('x-request-id'), bad);
      assert.match(r2.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
    }
  });

  test('framing: conflicting Content-Length is refused and the smuggled request never runs', async () => {
    const smuggled = 'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + editor +
      '\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n' +
      '{"slug":"smuggled","title":{"en":"S"},"adopted_on":"2021-01-01"}';
    const out = await rawRequest(server.port,
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Content-Length: 2\r\nContent-Length: ${2 + smuggled.length}\r\n\r\n{}` + smuggled);
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.equal((out.match(/HTTP\/1\.1 \d{3}/g) || []).length, 1, out);
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'smuggled'"), '0');
  });

  test('framing: Content-Length with Transfer-Encoding, odd encodings and repeated headers are 400', async () => {
    const cases = [
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /v1/resolutions HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
      'GET /v1/resolutions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n',
      'PATCH /v1/resolutions/x HTTP/1.1\r\nHost: x\r\nIf-Match: "1-a"\r\nIf-Match: "2-b"\r\nContent-Length: 0\r\n\r\n',
      'POST /v1/import HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: 0\r\n\r\n',
      'POST /v1/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n',
    ];
    for (const c of cases) {
      const out = await rawRequest(server.port, c);
      assert.match(out, /^HTTP\/1\.1 400 /, c);
    }
    assert.equal((await server.request('GET', '/healthz')).status, 200);
  });

  test('metrics count requests by route template and status', async () => {
    await server.request('GET', '/v1/resolutions');
    const m = await server.request('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type'), /^text\/plain/);
    assert.match(m.text, /tracker_http_requests_total\{route="GET \/v1\/resolutions",status="200"\} \d+/);
    assert.match(m.text, /tracker_http_request_duration_seconds_bucket\{route="GET \/v1\/resolutions",le="\+Inf"\} \d+/);
    assert.match(m.text, /tracker_db_reconnects_total \d+/);
    assert.match(m.text, /tracker_db_errors_total \d+/);
  });

  test('the access log has one JSON line per request and never a token', async () => {
    const secret = 'trk_ThisIsNotARealTokenButMustNeverBeLogged00000';
    await server.request('GET', '/v1/resolutions', { token: secret, headers: { 'X-Request-Id': 'log-check-1' } });
    await sleep(100);
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === 'log-check-1');
    assert.ok(line, 'no access log line');
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/v1/resolutions');
    assert.equal(line.status, 401);
    for (const k of ['time', 'bytes', 'us']) assert.ok(k in line);
    assert.ok(!server.logs.join('\n').includes(secret));
    assert.ok(!server.logs.join('\n').includes(editor));
  });

  test('the access log counts a streamed answer\'s bytes, and a request left unfinished by its client is no 500', async () => {
    const csv = await server.request('GET', '/v1/agencies?format=csv', { headers: { 'X-Request-Id': 'log-csv-1' } });
    assert.equal(csv.status, 200);
    await sleep(100);
    const entry = (srv, id) => srv.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === id);
    assert.equal(entry(server, 'log-csv-1').bytes, Buffer.byteLength(csv.text));
    // request `id` is logged with `status`, counted so in /metrics (as unmatched), and no 500 is
    const assertCounted = async (srv, id, status) => {
      await sleep(200);
      const line = entry(srv, id);
      assert.ok(line, `no access log line for ${id}`);
      assert.equal(line.status, status, id);
      const metrics = (await srv.request('GET', '/metrics')).text;
      assert.doesNotMatch(metrics, /status="500"/);
      assert.match(metrics, new RegExp(`tracker_http_requests_total\\{route="unmatched",status="${status}"\\} 1`));
    };
    const idle = await startServer({ env: { TRACKER_IDLE_TIMEOUT_S: '1' } });
    try {
      // half a body, then silence: closed at the idle timeout, logged 408
      await rawRequest(idle.port, 'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nX-Request-Id: log-stalled-1\r\n'
        + 'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"slug":', 3000);
      await assertCounted(idle, 'log-stalled-1', 408);
      // a chunk without its size: libmicrohttpd answers 400 itself, and it is counted so, not as 500
      const bad = await rawRequest(idle.port, 'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nX-Request-Id: log-badchunk-1\r\n'
        + 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{"title"\r\n', 3000);
      assert.match(bad, /^HTTP\/1\.1 400 /);
      await assertCounted(idle, 'log-badchunk-1', 400);
    } finally { await idle.stop(); }
  });
});

describe('migrations', () => {
  test('concurrent runs apply each migration once', async () => {
    const db = createDatabase();
    const runs = await Promise.all([1, 2, 3].map(() => runTracker(db, ['migrate'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const files = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f));
    assert.equal(sql(db, 'SELECT count(*) FROM schema_migrations'), String(files.length));
    const again = await runTracker(db, ['migrate']);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /migrations applied: 0/);
  });

  test('an edited migration is refused by migrate and by serve', async () => {
    const db = createDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    for (const f of fs.readdirSync(path.join(ROOT, 'migrations'))) fs.copyFileSync(path.join(ROOT, 'migrations', f), path.join(dir, f));
    const env = { TRACKER_MIGRATIONS_DIR: dir };
    assert.equal((await runTracker(db, ['migrate'], env)).code, 0);
    const first = fs.readdirSync(dir).sort()[0];
    fs.appendFileSync(path.join(dir, first), '\n-- an edit after release\n');
    const r = await runTracker(db, ['migrate'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`migration ${first} was edited`));
    const s = await runTracker(db, ['serve', '--port', '0'], env);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /was edited/);
    fs.rmSync(dir, { recursive: true });
  });

  test('serve without --migrate does not migrate, and /readyz says the schema is behind', async () => {
    const db = createDatabase();
    const server = await startServer({ db, migrate: false });
    try {
      const r = await server.request('GET', '/readyz');
      assertProblem(assert, r, 503);
      assert.equal(sql(db, "SELECT to_regclass('resolutions') IS NULL"), 't');
      // the API answers 503 (not 500) while the schema is behind, and works once it is migrated
      for (const p of ['/v1/resolutions', '/v1/reports/summary']) {
        const behind = await server.request('GET', p);
        assertProblem(assert, behind, 503);
        assert.match(behind.json.detail, /migration/);
      }
      assert.equal((await runTracker(db, ['migrate'])).code, 0);
      assert.equal((await server.request('GET', '/readyz')).status, 200);
      assert.equal((await server.request('GET', '/v1/resolutions')).status, 200);
    } finally { await server.stop(); }
  });
});

describe('isolation and shutdown', () => {
  test('a request stuck on the database does not slow requests on other connections', async () => {
    const server = await startServer({ env: { TRACKER_LOCK_TIMEOUT_MS: '10000' } });
    try {
      const lock = await holdLock(server.db, 'resolutions', 2.5);
      const started = Date.now();
      const slow = [1, 2].map(() => server.request('GET', '/v1/resolutions'));
      await sleep(100);
      const latencies = [];
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 10 }, async () => {
          const t = Date.now();
          const r = await server.request('GET', '/readyz');
          latencies.push(Date.now() - t);
          assert.equal(r.status, 200);
        }));
      }
      const fastDone = Date.now() - started;
      const slowAnswers = await Promise.all(slow);
      const slowDone = Date.now() - started;
      for (const s of slowAnswers) assert.equal(s.status, 200);
      latencies.sort((a, b) => a - b);
      assert.equal(latencies.length, 100);
      if (MEASURES) {
        assert.ok(latencies[98] < 500, `p99 of fast requests ${latencies[98]} ms`);
        assert.ok(fastDone < 2000, `100 fast requests took ${fastDone} ms while the slow ones waited`);
      }
      assert.ok(slowDone >= 2000, `the slow requests were not held (${slowDone} ms)`);
      await lock.released;
    } finally { await server.stop(); }
  });

  test('SIGTERM: readiness off, new clients refused at once, in-flight requests finish, exit 0', async () => {
    const server = await startServer({ env: { TRACKER_LOCK_TIMEOUT_MS: '10000' } });
    const lock = await holdLock(server.db, 'resolutions', 1.5);
    const inflight = server.request('GET', '/v1/resolutions');
    await sleep(200);
    server.proc.kill('SIGTERM');
    await sleep(200);
    const refused = await new Promise((resolve) => {
      const t = Date.now();
      const s = net.connect(server.port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve({ ok: false, ms: Date.now() - t }); });
      s.on('error', (e) => resolve({ ok: e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET', ms: Date.now() - t, code: e.code }));
    });
    assert.ok(refused.ok, `a new connection was not refused (${refused.code})`);
    assert.ok(refused.ms < 500);
    const answer = await inflight;
    assert.equal(answer.status, 200);
    assert.ok(Array.isArray(answer.json.items));
    const exit = await server.exited;
    assert.equal(exit.code, 0);
    await lock.released;
  });
});

describe('database outages', () => {
  test('/readyz turns 503 while PostgreSQL is down and 200 again when it returns, without a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracker-outage-'));
    fs.chmodSync(dir, 0o755);
    const port = String(30000 + Math.floor(Math.random() * 20000));
    const pg = path.join(ROOT, 'scripts/pg');
    const base = execFileSync(pg, ['start', path.join(dir, 'pg'), port], { encoding: 'utf8' }).trim();
    sql(base, 'CREATE DATABASE outage');
    const url = base.replace(/^postgresql:\/\/\/postgres/, 'postgresql:///outage');
    const server = await startServer({ env: { DATABASE_URL: url } });
    try {
      assert.equal((await server.request('GET', '/readyz')).status, 200);
      execFileSync(pg, ['stop', path.join(dir, 'pg')]);
      const t = Date.now();
      const down = await server.request('GET', '/readyz');
      assertProblem(assert, down, 503);
      assert.ok(Date.now() - t < 2000, 'readiness did not answer fast while the database is down');
      const unavailable = await server.request('GET', '/v1/resolutions');
      assertProblem(assert, unavailable, 503);
      assert.equal(unavailable.headers.get('retry-after'), '1');
      execFileSync(pg, ['start', path.join(dir, 'pg'), port]);
      let ready = 0;
      const back = Date.now();
      while (Date.now() - back < 5000) {
        if ((await server.request('GET', '/readyz')).status === 200) { ready = Date.now() - back; break; }
        await sleep(50);
      }
      assert.ok(ready > 0 || (await server.request('GET', '/readyz')).status === 200, 'not ready again');
      assert.equal((await server.request('GET', '/v1/resolutions')).status, 200);
      const m = await server.request('GET', '/metrics');
      assert.match(m.text, /tracker_db_reconnects_total [1-9]/);
    } finally {
      await server.stop();
      execFileSync(pg, ['stop', path.join(dir, 'pg')]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('database deadlines and the pool', () => {
  test('a query past the client-side deadline is cancelled and answered 504 in bounded time', async () => {
    const server = await startServer({
      env: { TRACKER_QUERY_DEADLINE_MS: '500', TRACKER_STATEMENT_TIMEOUT_MS: '0', TRACKER_LOCK_TIMEOUT_MS: '0' },
    });
    try {
      const lock = await holdLock(server.db, 'resolutions', 3);
      const t = Date.now();
      const r = await server.request('GET', '/v1/resolutions');
      const ms = Date.now() - t;
      assertProblem(assert, r, 504);
      assert.ok(ms >= 450 && (ms < 2000 || !MEASURES), `answered after ${ms} ms`);
      await lock.released;
      assert.equal((await server.request('GET', '/v1/resolutions')).status, 200);
      assert.match((await server.request('GET', '/metrics')).text, /tracker_db_timeouts_total [1-9]/);
    } finally { await server.stop(); }
  });

  test('when no connection frees up within the bounded wait the answer is 503', async () => {
    const server = await startServer({
      env: { TRACKER_THREADS: '1', TRACKER_DB_WAIT_MS: '200', TRACKER_LOCK_TIMEOUT_MS: '10000' },
    });
    try {
      const lock = await holdLock(server.db, 'resolutions', 1.5);
      const holder = server.request('GET', '/v1/resolutions');
      await sleep(150);
      const t = Date.now();
      const waiter = await server.request('GET', '/readyz');
      assertProblem(assert, waiter, 503);
      assert.equal(waiter.headers.get('retry-after'), '1');
      assert.ok(Date.now() - t < 1000);
      assert.equal((await holder).status, 200);
      await lock.released;
      assert.equal((await server.request('GET', '/readyz')).status, 200);
    } finally { await server.stop(); }
  });

  test('a read whose connection was killed is retried on a new one', async () => {
    const server = await startServer();
    try {
      assert.equal((await server.request('GET', '/v1/resolutions')).status, 200);
      sql(server.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tracker' AND datname = current_database() AND pid <> pg_backend_pid()");
      await sleep(100);
      const r = await server.request('GET', '/v1/resolutions');
      assert.equal(r.status, 200, r.text);
      assert.match((await server.request('GET', '/metrics')).text, /tracker_db_reconnects_total [1-9]/);
    } finally { await server.stop(); }
  });
});
