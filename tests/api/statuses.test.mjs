// Every documented status of every write and read the other files do not reach on their own: 413
// and 415 on every write that takes a body, 422 and 409 (Idempotency-Key reused / still in flight)
// on every POST, 304, 400 and 401 on the reads by id and the reports, 404 for an uninstalled
// /openapi.yaml. Each is asserted here and, through the contract check, counted as exercised
// (tests/api/contract.mjs fails when a documented (operation, status) pair is never seen).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, assertProblem, sql, dbUrl, rawRequest, dbFingerprint } from './harness.mjs';

const fingerprint = dbFingerprint;
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const fresh = (prefix) => `${prefix}-${++seq}`;

describe('documented statuses of every write', () => {
  let server, editor, admin, adminId, etag;
  // One entry a POST: `make()` prepares what the request needs and returns {path, body}; each
  // call gives a request that succeeds on its own (a new slug, an active resolution to archive…).
  let posts;

  const resolution = async (slug = fresh('res')) => (await server.request('POST', '/v1/resolutions', {
    token: editor, body: { slug, title: { en: 'R' }, adopted_on: '2021-01-01' } })).json;
  const agency = async (slug = fresh('ag')) => (await server.request('POST', '/v1/agencies', {
    token: editor, body: { slug, name: { en: 'A' }, kind: 'ministry' } })).json;

  before(async () => {
    // long database timeouts: the in-flight test keeps first requests waiting on a table lock
    // for as long as a loaded machine (or the sanitizer build) needs to send the second one
    server = await startServer({ env: { TRACKER_LOCK_TIMEOUT_MS: '60000', TRACKER_STATEMENT_TIMEOUT_MS: '60000', TRACKER_QUERY_DEADLINE_MS: '60000' } });
    editor = await server.token('editor');
    admin = await server.token('admin');
    adminId = (await server.request('GET', '/v1/me', { token: admin })).json.user.id;
    const base = await resolution('base');
    etag = `"${base.version}-x"`;
    await server.request('POST', '/v1/resolutions/base/sectors', { token: editor, body: { code: 'PS', title: { en: 'S' } } });
    await agency('base-agency');
    const rec = (await server.request('POST', '/v1/recommendations', {
      token: editor, body: { resolution: 'base', sector: 'PS', code: 'PS-1', number: 1, text: { en: 't' } } })).json;
    const update = async () => (await server.request('POST', `/v1/recommendations/${rec.id}/updates`, {
      token: editor, body: { body: 'u' } })).json;
    posts = {
      'POST /v1/resolutions': { make: async () => ({ path: '/v1/resolutions', body: { slug: fresh('new'), title: { en: 'N' }, adopted_on: '2021-01-01' } }) },
      'POST /v1/resolutions/{id}/archive': { make: async () => ({ path: `/v1/resolutions/${(await resolution()).id}/archive` }) },
      'POST /v1/resolutions/{id}/unarchive': { make: async () => {
        const r = await resolution();
        await server.request('POST', `/v1/resolutions/${r.id}/archive`, { token: editor });
        return { path: `/v1/resolutions/${r.id}/unarchive` };
      } },
      'POST /v1/resolutions/{id}/sectors': { make: async () => ({ path: '/v1/resolutions/base/sectors', body: { code: fresh('S').replace('-', ''), title: { en: 'S' } } }) },
      'POST /v1/agencies': { make: async () => ({ path: '/v1/agencies', body: { slug: fresh('agn'), name: { en: 'A' }, kind: 'other' } }) },
      'POST /v1/agencies/{id}/archive': { make: async () => ({ path: `/v1/agencies/${(await agency()).id}/archive` }) },
      'POST /v1/agencies/{id}/unarchive': { make: async () => {
        const a = await agency();
        await server.request('POST', `/v1/agencies/${a.id}/archive`, { token: editor });
        return { path: `/v1/agencies/${a.id}/unarchive` };
      } },
      'POST /v1/recommendations': { make: async () => {
        const n = ++seq + 100;
        return { path: '/v1/recommendations', body: { resolution: 'base', sector: 'PS', code: `PS-${n}`, number: n, text: { en: 't' } } };
      } },
      'POST /v1/recommendations/{id}/updates': { make: async () => ({ path: `/v1/recommendations/${rec.id}/updates`, body: { body: fresh('note') } }) },
      'POST /v1/updates/{id}/retract': { make: async () => ({ path: `/v1/updates/${(await update()).id}/retract`, body: { reason: 'wrong' } }) },
      'POST /v1/users': { admin: true, make: async () => ({ path: '/v1/users', body: { name: fresh('user'), role: 'monitor' } }) },
      'POST /v1/users/{id}/tokens': { admin: true, make: async () => ({ path: `/v1/users/${adminId}/tokens`, body: { name: fresh('tok') } }) },
      'POST /v1/import': { make: async () => ({ path: '/v1/import', body: {
        format: 'recommendation-tracker/bundle@1', resolution: { slug: fresh('imp'), title: { en: 'I' }, adopted_on: '2021-01-01' },
        sectors: [], agencies: [], recommendations: [] } }) },
    };
  });
  after(async () => { await server.stop(); });

  // Every write that takes (or refuses) a body, with a target that exists.
  const writes = () => [
    ...Object.entries(posts).map(([name, p]) => ({ name, method: 'POST', path: null, post: p })),
    { name: 'PATCH /v1/resolutions/{id}', method: 'PATCH', path: '/v1/resolutions/base' },
    { name: 'PATCH /v1/sectors/{id}', method: 'PATCH', sector: true },
    { name: 'PATCH /v1/agencies/{id}', method: 'PATCH', path: '/v1/agencies/base-agency' },
    { name: 'PATCH /v1/recommendations/{id}', method: 'PATCH', rec: '' },
    { name: 'PUT /v1/recommendations/{id}/agencies', method: 'PUT', rec: '/agencies' },
    { name: 'PATCH /v1/users/{id}', method: 'PATCH', admin: true, user: true },
  ];

  async function target(w) {
    if (w.post) return { ...(await w.post.make()), token: w.post.admin ? admin : editor };
    if (w.sector) {
      const s = (await server.request('GET', '/v1/resolutions/base/sectors')).json.items[0];
      return { path: `/v1/sectors/${s.id}`, token: editor };
    }
    if (w.rec !== undefined) {
      const r = (await server.request('GET', '/v1/resolutions/base/recommendations/PS-1')).json;
      return { path: `/v1/recommendations/${r.id}${w.rec}`, token: editor };
    }
    if (w.user) return { path: `/v1/users/${adminId}`, token: admin };
    return { path: w.path, token: editor };
  }

  test('a declared body over 1 MiB is 413 on every write before it is read, and nothing is written', async () => {
    // Raw, to the address the tests use (the contract proxy when it runs), from a client that
    // waits for 100 Continue: the service answers before the body is sent.
    const port = Number(new URL(server.url).port);
    for (const w of writes()) {
      const t = await target(w);
      const before_ = fingerprint(server.db);
      const out = await rawRequest(port, `${w.method} ${t.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\n`
        + `If-Match: ${etag}\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n`, 3000);
      assert.match(out, /^HTTP\/1\.1 413 /, `${w.name}: ${out.slice(0, 100)}`);
      assert.match(out, /\r\ncontent-type: application\/problem\+json/i, w.name);
      assert.equal(fingerprint(server.db), before_, `${w.name} wrote something`);
    }
  });

  test('no body at all (and no Content-Type) is 400 naming the body on every write that takes one', async () => {
    for (const w of writes().filter((x) => !/archive$/.test(x.name))) {
      const t = await target(w);
      const before_ = fingerprint(server.db);
      const r = await server.request(w.method, t.path, { token: t.token, headers: { 'If-Match': etag } });
      assertProblem(assert, r, 400, '');
      assert.equal(fingerprint(server.db), before_, `${w.name} wrote something`);
    }
  });

  test('a declared body over 1 MiB still gets the checks that come first (404, 405, 401, 403), and its 413 is not kept under an Idempotency-Key', async () => {
    const port = Number(new URL(server.url).port);
    const monitor = await server.token('monitor');
    const big = (method, path, headers = '') => rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: x\r\n${headers}`
      + `Content-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n`, 3000);
    const status = (out) => Number(out.slice(9, 12));
    const rec = (await server.request('GET', '/v1/resolutions/base/recommendations/PS-1')).json;
    assert.equal(status(await big('POST', '/v1/nowhere')), 404);
    const wrong = await big('DELETE', '/v1/resolutions');
    assert.equal(status(wrong), 405);
    assert.match(wrong, /\r\nallow: GET, POST/i);
    assert.equal(status(await big('POST', '/v1/resolutions')), 401);
    assert.equal(status(await big('POST', '/v1/resolutions', `Authorization: Bearer ${monitor}\r\n`)), 403);
    assert.equal(status(await big('PATCH', `/v1/recommendations/${rec.id}`, `Authorization: Bearer ${monitor}\r\nIf-Match: *\r\n`)), 403);
    assert.equal(status(await big('POST', '/v1/recommendations/0f8fad5b-d9cb-469f-a165-70867728950e/updates', `Authorization: Bearer ${monitor}\r\n`)), 404);
    // a handler that takes no body, a read, and a revocation: 413, and nothing done
    const spare = (await server.request('POST', `/v1/users/${adminId}/tokens`, { token: admin, body: { name: 'spare' } })).json;
    const before_ = fingerprint(server.db);
    assert.equal(status(await big('GET', '/v1/resolutions')), 413);
    assert.equal(status(await big('POST', '/v1/resolutions/base/archive', `Authorization: Bearer ${editor}\r\n`)), 413);
    assert.equal(status(await big('DELETE', `/v1/tokens/${spare.id}`, `Authorization: Bearer ${admin}\r\n`)), 413);
    assert.equal(status(await big('POST', '/v1/resolutions', `Authorization: Bearer ${editor}\r\nIdempotency-Key: big-then-small\r\n`)), 413);
    assert.equal(fingerprint(server.db), before_);
    assert.equal((await server.request('GET', '/v1/me', { token: spare.token })).status, 200, 'the token was revoked');
    // the same key with a body that fits runs (the 413 was not stored against it)
    const small = await server.request('POST', '/v1/resolutions', { token: editor, body: { slug: fresh('after-big'), title: { en: 'R' }, adopted_on: '2021-01-01' }, headers: { 'Idempotency-Key': 'big-then-small' } });
    assert.equal(small.status, 201, small.text);
  });

  test('a body that is not JSON is 415 on every write, and nothing is written', async () => {
    for (const w of writes()) {
      const t = await target(w);
      const before_ = fingerprint(server.db);
      const r = await server.request(w.method, t.path, { token: t.token, body: '{"name":"x"}', headers: { 'Content-Type': 'text/plain', 'If-Match': etag } });
      assertProblem(assert, r, 415);
      assert.equal(fingerprint(server.db), before_, `${w.name} wrote something`);
    }
  });

  test('an Idempotency-Key reused with another body or path is 422 on every POST, nothing written twice', async () => {
    for (const [name, p] of Object.entries(posts)) {
      const token = p.admin ? admin : editor;
      const key = fresh('key');
      const first = await p.make();
      const r1 = await server.request('POST', first.path, { token, body: first.body, headers: { 'Idempotency-Key': key } });
      assert.ok(r1.status === 200 || r1.status === 201, `${name}: ${r1.status} ${r1.text}`);
      const other = await p.make();
      const before_ = fingerprint(server.db);
      const r2 = await server.request('POST', other.path, { token, body: other.body, headers: { 'Idempotency-Key': key } });
      assertProblem(assert, r2, 422);
      assert.equal(fingerprint(server.db), before_, `${name} wrote something`);
      // the first answer is still the one replayed
      const r3 = await server.request('POST', first.path, { token, body: first.body, headers: { 'Idempotency-Key': key } });
      assert.equal(r3.headers.get('idempotent-replayed'), 'true', name);
      assert.equal(r3.text, r1.text, name);
    }
  });

  test('an Idempotency-Key whose first request is still running is 409 on every POST', async () => {
    // Every signed-in write of an editor or admin ends by writing its audit record, inside the
    // transaction that holds the key: a session holding the audit table keeps the first request
    // in flight (the key held) until it is released.
    for (const [name, p] of Object.entries(posts)) {
      const token = p.admin ? admin : editor;
      const key = fresh('inflight');
      const req = await p.make();
      const locker = spawn('psql', [dbUrl(server.db), '-Xq', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'ignore', 'inherit'] });
      const done = new Promise((resolve) => locker.on('exit', resolve));
      locker.stdin.write('BEGIN; LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE; SELECT 1;\n');
      const waiting = "SELECT count(*) FROM pg_locks WHERE relation = 'audit_log'::regclass AND NOT granted";
      for (let i = 0; i < 100 && sql(server.db, "SELECT count(*) FROM pg_locks WHERE relation = 'audit_log'::regclass AND mode = 'AccessExclusiveLock' AND granted") !== '1'; i++) await wait(20);
      const first = server.request('POST', req.path, { token, body: req.body, headers: { 'Idempotency-Key': key } });
      for (let i = 0; i < 250 && sql(server.db, waiting) === '0'; i++) await wait(20);
      assert.equal(sql(server.db, waiting), '1', `${name}: the first request is not waiting on the audit table`);
      const second = await server.request('POST', req.path, { token, body: req.body, headers: { 'Idempotency-Key': key } });
      locker.stdin.end('COMMIT;\n');
      await done;
      assertProblem(assert, second, 409);
      const r1 = await first;
      assert.ok(r1.status === 200 || r1.status === 201, `${name}: ${r1.status} ${r1.text}`);
    }
  });

  test('archive and unarchive: 401 without a token, 403 for a monitor, 404 for an unknown target, 400 for a bad key', async () => {
    const monitor = await server.token('monitor');
    const res = await resolution();
    const ag = await agency();
    for (const base of [`/v1/resolutions/${res.id}`, `/v1/agencies/${ag.id}`]) {
      for (const action of ['archive', 'unarchive']) {
        const path = `${base}/${action}`;
        assertProblem(assert, await server.request('POST', path), 401);
        assertProblem(assert, await server.request('POST', path, { token: monitor }), 403);
        assertProblem(assert, await server.request('POST', `${base.replace(/[^/]+$/, 'no-such-thing')}/${action}`, { token: editor }), 404);
        assertProblem(assert, await server.request('POST', path, { token: editor, headers: { 'Idempotency-Key': 'tab\tkey' } }), 400, 'Idempotency-Key');
      }
    }
    assert.equal((await server.request('GET', `/v1/resolutions/${res.id}`)).json.archived_at, null);
  });

  test('PATCH of a resolution to a slug that is taken is 409, nothing written', async () => {
    const r = await resolution();
    const before_ = fingerprint(server.db);
    const tag = (await server.request('GET', `/v1/resolutions/${r.id}`)).headers.get('etag');
    const res = await server.request('PATCH', `/v1/resolutions/${r.id}`, { token: editor, body: { slug: 'base' }, headers: { 'If-Match': tag } });
    assertProblem(assert, res, 409);
    assert.equal(fingerprint(server.db), before_);
  });
});

describe('documented statuses of the reads', () => {
  let server, admin, rec, update;
  before(async () => {
    server = await startServer();
    admin = await server.token('admin');
    const editor = await server.token('editor');
    await server.request('POST', '/v1/resolutions', { token: editor, body: { slug: 'reads', title: { en: 'R' }, adopted_on: '2021-01-01' } });
    await server.request('POST', '/v1/resolutions/reads/sectors', { token: editor, body: { code: 'PS', title: { en: 'S' } } });
    await server.request('POST', '/v1/agencies', { token: editor, body: { slug: 'reads-agency', name: { en: 'A' }, kind: 'ministry' } });
    rec = (await server.request('POST', '/v1/recommendations', {
      token: editor, body: { resolution: 'reads', sector: 'PS', code: 'PS-1', number: 1, text: { en: 't' } } })).json;
    update = (await server.request('POST', `/v1/recommendations/${rec.id}/updates`, { token: editor, body: { body: 'u' } })).json;
  });
  after(async () => { await server.stop(); });

  test('If-None-Match with the current ETag is 304 with no body', async () => {
    for (const [path, token] of [['/openapi.yaml'], ['/v1/resolutions/reads'], ['/v1/resolutions/reads/recommendations/PS-1'], ['/v1/audit', admin]]) {
      const r = await server.request('GET', path, { token });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      const etag = r.headers.get('etag');
      assert.ok(etag, path);
      const again = await server.request('GET', path, { token, headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, path);
      assert.equal(again.text, '', path);
    }
  });

  test('a bad query parameter on a read by id is 400 naming it', async () => {
    const me = (await server.request('GET', '/v1/me', { token: admin })).json;
    for (const [path, token] of [['/v1/resolutions/reads'], ['/v1/resolutions/reads/recommendations/PS-1'],
      ['/v1/agencies/reads-agency'], [`/v1/users/${me.user.id}`, admin]]) {
      assertProblem(assert, await server.request('GET', `${path}?lang=not_a_tag`, { token }), 400, 'lang');
    }
  });

  test('an unknown token on a public read is 401 with WWW-Authenticate', async () => {
    for (const path of ['/v1/resolutions/reads', '/v1/resolutions/reads/recommendations/PS-1', `/v1/updates/${update.id}`,
      '/v1/reports/agencies', '/v1/reports/overdue', '/v1/reports/timeline', '/v1/reports/activity', '/v1/reports/stale']) {
      const r = await server.request('GET', path, { token: 'not-a-token' });
      assertProblem(assert, r, 401);
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer/, path);
      assert.equal((await server.request('GET', path)).status, 200, `${path} without a token`);
    }
  });

  test('/openapi.yaml is 404 problem+json when the document is not installed', async () => {
    const bare = await startServer({ db: server.db, migrate: false, env: { TRACKER_OPENAPI_FILE: '/nonexistent/openapi.yaml' } });
    try {
      assertProblem(assert, await bare.request('GET', '/openapi.yaml'), 404);
      assert.equal((await bare.request('GET', '/healthz')).status, 200);
    } finally { await bare.stop(); }
  });
});
