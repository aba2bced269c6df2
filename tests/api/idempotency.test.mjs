// Idempotency-Key on POST: one write for many retries, byte-identical replays, 422 on another
// request, 409 while the first is in flight, 400 for a malformed key, keys scoped per token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, assertProblem, sql, dbUrl } from './harness.mjs';

const body = (slug) => ({ slug, title: { en: slug }, adopted_on: '2022-01-01' });

describe('Idempotency-Key', () => {
  let server, editor, editor2;
  before(async () => {
    server = await startServer({ env: { TRACKER_LOCK_TIMEOUT_MS: '10000' } });
    editor = await server.token('editor');
    editor2 = await server.token('editor');
  });
  after(async () => { await server.stop(); });

  test('five retries of one POST create exactly one resource and replay the first answer', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await server.request('POST', '/v1/resolutions', {
        token: editor, body: body('idem-1'), headers: { 'Idempotency-Key': 'key-1', 'X-Request-Id': `try-${i}` },
      }));
    }
    assert.equal(answers[0].status, 201);
    assert.equal(answers[0].headers.get('idempotent-replayed'), null);
    for (const a of answers.slice(1)) {
      assert.equal(a.status, 201);
      assert.equal(a.headers.get('idempotent-replayed'), 'true');
      assert.equal(a.text, answers[0].text);
      assert.equal(a.headers.get('location'), answers[0].headers.get('location'));
      assert.equal(a.headers.get('etag'), answers[0].headers.get('etag'));
      assert.equal(a.headers.get('content-type'), answers[0].headers.get('content-type'));
    }
    assert.equal(answers[3].headers.get('x-request-id'), 'try-3');
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'idem-1'"), '1');
  });

  test('parallel retries still write once', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => server.request('POST', '/v1/resolutions', {
      token: editor, body: body('idem-par'), headers: { 'Idempotency-Key': 'key-par' },
    })));
    for (const a of all) assert.ok([201, 409].includes(a.status), a.text);
    assert.ok(all.some((a) => a.status === 201));
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'idem-par'"), '1');
  });

  test('the same key with another body, or on another endpoint, is 422 and writes nothing', async () => {
    await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-2'), headers: { 'Idempotency-Key': 'key-2' } });
    const other = await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-2b'), headers: { 'Idempotency-Key': 'key-2' } });
    assertProblem(assert, other, 422);
    const elsewhere = await server.request('POST', '/v1/resolutions/idem-2/archive', { token: editor, headers: { 'Idempotency-Key': 'key-2' } });
    assertProblem(assert, elsewhere, 422);
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'idem-2b' OR (slug = 'idem-2' AND archived_at IS NOT NULL)"), '0');
  });

  test('keys belong to their token', async () => {
    const a = await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-3a'), headers: { 'Idempotency-Key': 'shared' } });
    const b = await server.request('POST', '/v1/resolutions', { token: editor2, body: body('idem-3b'), headers: { 'Idempotency-Key': 'shared' } });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.headers.get('idempotent-replayed'), null);
  });

  test('a 4xx answer is stored and replayed; a 401 never is', async () => {
    const bad = { slug: 'Bad Slug', title: { en: 'x' }, adopted_on: '2022-01-01' };
    const first = await server.request('POST', '/v1/resolutions', { token: editor, body: bad, headers: { 'Idempotency-Key': 'key-4' } });
    assertProblem(assert, first, 400, '/slug');
    const again = await server.request('POST', '/v1/resolutions', { token: editor, body: bad, headers: { 'Idempotency-Key': 'key-4' } });
    assert.equal(again.status, 400);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.text, first.text);
    const unauth = await server.request('POST', '/v1/resolutions', { token: 'trk_wrong_wrong_wrong', body: body('idem-5'), headers: { 'Idempotency-Key': 'key-5' } });
    assertProblem(assert, unauth, 401);
    assert.equal(sql(server.db, "SELECT count(*) FROM idempotency_keys WHERE key = 'key-5'"), '0');
  });

  test('a malformed key is 400', async () => {
    for (const key of ['k'.repeat(256), 'tab\tkey']) {
      const r = await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-6'), headers: { 'Idempotency-Key': key } });
      assertProblem(assert, r, 400, 'Idempotency-Key');
    }
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'idem-6'"), '0');
  });

  test('a retry while the first request is still running is 409', async () => {
    const locker = spawn('psql', [dbUrl(server.db), '-Xq', '-c',
      'BEGIN; LOCK TABLE resolutions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT;']);
    const released = new Promise((resolve) => locker.on('exit', resolve));
    for (let i = 0; i < 50 && sql(server.db, "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'resolutions'::regclass") !== '1'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-7'), headers: { 'Idempotency-Key': 'key-7' } });
    await new Promise((r) => setTimeout(r, 300));
    const second = await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-7'), headers: { 'Idempotency-Key': 'key-7' } });
    assertProblem(assert, second, 409);
    assert.equal(second.headers.get('retry-after'), '1');
    assert.equal((await first).status, 201);
    await released;
    const third = await server.request('POST', '/v1/resolutions', { token: editor, body: body('idem-7'), headers: { 'Idempotency-Key': 'key-7' } });
    assert.equal(third.status, 201);
    assert.equal(third.headers.get('idempotent-replayed'), 'true');
  });
});

describe('Idempotency-Key on token creation', () => {
  test('the new secret is replayed to its caller but never stored readable', async () => {
    const server = await startServer();
    try {
      const admin = await server.token('admin');
      const me = (await server.request('GET', '/v1/me', { token: admin })).json;
      const opts = { token: admin, body: { name: 'script' }, headers: { 'Idempotency-Key': 'tok-1' } };
      const first = await server.request('POST', `/v1/users/${me.user.id}/tokens`, opts);
      assert.equal(first.status, 201, first.text);
      const again = await server.request('POST', `/v1/users/${me.user.id}/tokens`, opts);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.text, first.text);
      const secret = first.json.token;
      const dump = sql(server.db, "SELECT coalesce(body, '') || encode(coalesce(sealed, ''), 'escape') FROM idempotency_keys");
      assert.ok(!dump.includes(secret), 'the token secret is stored readable');
      assert.equal(sql(server.db, "SELECT count(*) FROM api_tokens WHERE name = 'script'"), '1');
    } finally { await server.stop(); }
  });
});
