// Users and tokens (admin) and /v1/me: create/read/list/patch users, create/list/revoke tokens,
// tokens that stop working on the next request (revoked, expired, user disabled), the audit trail
// of these writes, and no token secret in any log line, error body or audit entry.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, assertTooLong, sql, forgeCursor, textOf } from './harness.mjs';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const JSON_CT = { 'Content-Type': 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('users and tokens', () => {
  let server, admin, editor, agency, secrets;
  const write = (method, path, token, body, headers) => server.request(method, path, { token, body, headers });

  /** Creates a user and a token for it through the API; returns {user, token, tokenId}. */
  async function account(body, tokenBody = { name: 'main' }) {
    const u = await write('POST', '/v1/users', admin, body);
    assert.equal(u.status, 201, u.text);
    const t = await write('POST', `/v1/users/${u.json.id}/tokens`, admin, tokenBody);
    assert.equal(t.status, 201, t.text);
    secrets.push(t.json.token);
    return { user: u.json, token: t.json.token, tokenId: t.json.id };
  }

  before(async () => {
    secrets = [];
    server = await startServer();
    admin = await server.token('admin');
    editor = await server.token('editor');
    secrets.push(admin, editor);
    const a = await write('POST', '/v1/agencies', admin, { slug: 'min-health', name: { en: 'Ministry of Health' }, kind: 'ministry' });
    assert.equal(a.status, 201, a.text);
    agency = a.json;
  });
  after(async () => { await server.stop(); });

  test('GET /v1/me answers the caller and its token, without a secret', async () => {
    const r = await server.request('GET', '/v1/me', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), ['token', 'user']);
    assert.equal(r.json.user.role, 'admin');
    assert.equal(r.json.user.active, true);
    assert.deepEqual(Object.keys(r.json.token).sort(), ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix']);
    assert.equal(r.json.token.prefix, admin.slice(0, 8));
    assert.equal(r.json.token.expires_at, null);
    assert.match(r.json.token.created_at, TS);
    assert.match(r.json.token.last_used_at, TS); // stamped by this very request
    assert.ok(!r.text.includes(admin));
    const etag = r.headers.get('etag');
    assert.ok(etag);
    const again = await server.request('GET', '/v1/me', { token: admin, headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assertProblem(assert, await server.request('GET', '/v1/me'), 401);
    const bogus = await server.request('GET', '/v1/me', { token: 'trk_bogus_bogus_bogus' });
    assertProblem(assert, bogus, 401);
    assert.match(bogus.headers.get('www-authenticate'), /^Bearer/);
    assert.ok(!bogus.text.includes('trk_bogus_bogus_bogus'));
    assertProblem(assert, await server.request('GET', '/v1/me', { headers: { Authorization: 'Basic abc' } }), 401);
    assertProblem(assert, await server.request('GET', '/v1/me?lang=!!', { token: admin }), 400, 'lang');
  });

  test('POST /v1/users creates a user: 201, Location, ETag, defaults', async () => {
    const r = await write('POST', '/v1/users', admin, { name: 'Aida Monitor', email: 'aida@example.org', role: 'monitor' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/v1/users/${r.json.id}`);
    assert.match(r.headers.get('etag'), /^"1-[0-9a-f]+"$/);
    assert.deepEqual(Object.keys(r.json).sort(),
      ['active', 'agency_id', 'created_at', 'email', 'id', 'name', 'role', 'updated_at', 'version']);
    assert.equal(r.json.active, true);
    assert.equal(r.json.agency_id, null);
    assert.equal(r.json.version, 1);
    assert.match(r.json.created_at, TS);
    const g = await server.request('GET', `/v1/users/${r.json.id}`, { token: admin });
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, r.json);
    assert.equal(g.headers.get('etag'), r.headers.get('etag'));
    const nm = await server.request('GET', `/v1/users/${r.json.id}`, { token: admin, headers: { 'If-None-Match': g.headers.get('etag') } });
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
    const upper = await server.request('GET', `/v1/users/${r.json.id.toUpperCase()}`, { token: admin });
    assert.equal(upper.status, 200);
    const minimal = await write('POST', '/v1/users', admin, { name: 'No Mail', role: 'editor', active: false, email: null, agency_id: null });
    assert.equal(minimal.status, 201, minimal.text);
    assert.equal(minimal.json.email, null);
    assert.equal(minimal.json.active, false);
  });

  test('agency users: agency_id by id or slug, required exactly for the agency role', async () => {
    const bySlug = await write('POST', '/v1/users', admin, { name: 'Staff 1', role: 'agency', agency_id: 'min-health' });
    assert.equal(bySlug.status, 201, bySlug.text);
    assert.equal(bySlug.json.agency_id, agency.id);
    const byId = await write('POST', '/v1/users', admin, { name: 'Staff 2', role: 'agency', agency_id: agency.id });
    assert.equal(byId.json.agency_id, agency.id);
    const post = (body) => write('POST', '/v1/users', admin, body);
    assertProblem(assert, await post({ name: 'x', role: 'agency' }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'agency', agency_id: null }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'monitor', agency_id: 'min-health' }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'agency', agency_id: 'no-such-agency' }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'agency', agency_id: '00000000-0000-0000-0000-000000000000' }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'agency', agency_id: "x'; DROP TABLE users; --" }), 400, '/agency_id');
    assertProblem(assert, await post({ name: 'x', role: 'agency', agency_id: 7 }), 400, '/agency_id');
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE name = 'x'"), '0');
  });

  test('bad user bodies are 400 naming the member; 415; nothing written', async () => {
    const post = (body, headers) => write('POST', '/v1/users', admin, body, headers);
    assertProblem(assert, await post('{"name": ', JSON_CT), 400);
    assertProblem(assert, await post('[]', JSON_CT), 400);
    assertProblem(assert, await post('', JSON_CT), 400);
    assertProblem(assert, await post('"text"', JSON_CT), 400);
    assertProblem(assert, await post('{"name":"a","name":"b","role":"monitor"}', JSON_CT), 400);
    assertProblem(assert, await post('{"name":"a\\u0000","role":"monitor"}', JSON_CT), 400);
    assertProblem(assert, await post(Buffer.from('{"name":"\xff","role":"monitor"}', 'latin1'), JSON_CT), 400);
    assertProblem(assert, await post(JSON.stringify({ name: 'ok', role: 'monitor' }), { 'Content-Type': 'text/plain' }), 415);
    assertProblem(assert, await post({ role: 'monitor' }), 400, '/name');
    assertProblem(assert, await post({ name: 'b1' }), 400, '/role');
    assertProblem(assert, await post({ name: '', role: 'monitor' }), 400, '/name');
    assertProblem(assert, await post({ name: 'x'.repeat(20001), role: 'monitor' }), 400, '/name');
    assertProblem(assert, await post({ name: 42, role: 'monitor' }), 400, '/name');
    assertProblem(assert, await post({ name: null, role: 'monitor' }), 400, '/name');
    assertProblem(assert, await post({ name: 'b1', role: 'superuser' }), 400, '/role');
    assertProblem(assert, await post({ name: 'b1', role: 'anonymous' }), 400, '/role');
    assertProblem(assert, await post({ name: 'b1', role: 'monitor', active: 'yes' }), 400, '/active');
    assertProblem(assert, await post({ name: 'b1', role: 'monitor', active: null }), 400, '/active');
    for (const email of ['not-an-email', '@example.org', 'a@b', 'a b@example.org', 'a@@example.org', '', 'a@example..org', `${'a'.repeat(250)}@example.org`]) {
      assertProblem(assert, await post({ name: 'b1', role: 'monitor', email }), 400, '/email');
    }
    assertProblem(assert, await post({ name: 'b1', role: 'monitor', emial: 'typo@example.org' }), 400, '/emial');
    for (const ro of ['id', 'version', 'created_at', 'updated_at']) {
      assertProblem(assert, await post({ name: 'b1', role: 'monitor', [ro]: ro === 'version' ? 1 : 'x' }), 400, `/${ro}`);
    }
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE name IN ('b1', 'ok')"), '0');
  });

  test('a duplicate e-mail (whatever its case) is 409', async () => {
    const a = await write('POST', '/v1/users', admin, { name: 'Dup 1', role: 'monitor', email: 'dup@example.org' });
    assert.equal(a.status, 201);
    assertProblem(assert, await write('POST', '/v1/users', admin, { name: 'Dup 2', role: 'monitor', email: 'DUP@Example.org' }), 409, '/email');
    const b = await write('POST', '/v1/users', admin, { name: 'Dup 3', role: 'monitor', email: 'other@example.org' });
    assertProblem(assert, await write('PATCH', `/v1/users/${b.json.id}`, admin, { email: 'Dup@example.org' }, { 'If-Match': b.headers.get('etag') }), 409, '/email');
    assert.equal(sql(server.db, `SELECT email FROM users WHERE id = '${b.json.id}'`), 'other@example.org');
  });

  test('SQL metacharacters and Cyrillic are stored and returned verbatim', async () => {
    const nasty = "Robert'); DROP TABLE users; -- \\ \" % _ Айгүл Ёлка";
    const r = await write('POST', '/v1/users', admin, { name: nasty, role: 'monitor', email: "o'brien+x@example.org" });
    assert.equal(r.status, 201, r.text);
    const g = await server.request('GET', `/v1/users/${r.json.id}`, { token: admin });
    assert.equal(g.json.name, nasty);
    assert.equal(g.json.email, "o'brien+x@example.org");
    assert.ok(Buffer.from(g.text, 'utf8').includes(Buffer.from('Айгүл Ёлка', 'utf8')));
  });

  test('an admin with a long non-ASCII name writes, audited under the whole name (not cut at 200 bytes)', async () => {
    const long = await account({ name: `a${'Жө'.repeat(150)}`, role: 'admin' });
    const r = await write('POST', '/v1/users', long.token, { name: 'made by long', role: 'monitor' });
    assert.equal(r.status, 201, r.text);
    const audit = await server.request('GET', `/v1/audit?entity=user&entity_id=${r.json.id}`, { token: admin });
    assert.equal(audit.json.items.length, 1);
    assert.equal(audit.json.items[0].actor.name, long.user.name);
  });

  test('names count characters: a user\'s and a token\'s name at most 500, one more is too long', async () => {
    const name = textOf(500, true); // 1,000 UTF-16 units, 2,000 bytes
    const at = await account({ name, role: 'monitor' }, { name });
    assert.equal(at.user.name, name);
    assert.equal((await server.request('GET', `/v1/users/${at.user.id}/tokens`, { token: admin })).json.items[0].name, name);
    const before = sql(server.db, 'SELECT (SELECT count(*) FROM users) || \'|\' || (SELECT count(*) FROM api_tokens)');
    assertTooLong(assert, await write('POST', '/v1/users', admin, { name: textOf(501, true), role: 'monitor' }), '/name', 500);
    assertTooLong(assert, await write('POST', '/v1/users', admin, { name: textOf(501), role: 'monitor' }), '/name', 500);
    const etag = (await server.request('GET', `/v1/users/${at.user.id}`, { token: admin })).headers.get('etag');
    assertTooLong(assert, await write('PATCH', `/v1/users/${at.user.id}`, admin, { name: textOf(501) }, { 'If-Match': etag }), '/name', 500);
    assertTooLong(assert, await write('POST', `/v1/users/${at.user.id}/tokens`, admin, { name: textOf(501, true) }), '/name', 500);
    assert.equal(sql(server.db, 'SELECT (SELECT count(*) FROM users) || \'|\' || (SELECT count(*) FROM api_tokens)'), before);
    assert.equal((await server.request('GET', `/v1/users/${at.user.id}`, { token: admin })).json.name, name);
  });

  test('GET /v1/users: oldest first, keyset pages, bad paging is 400', async () => {
    for (let i = 0; i < 5; i++) await write('POST', '/v1/users', admin, { name: `Page ${i}`, role: 'monitor' });
    const expected = sql(server.db, 'SELECT id FROM users ORDER BY created_at, id').split('\n');
    const seen = [];
    let url = '/v1/users?limit=2';
    for (let pages = 0; url && pages < 100; pages++) {
      const r = await server.request('GET', url, { token: admin });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.headers.get('etag'));
      seen.push(...r.json.items.map((u) => u.id));
      const link = r.headers.get('link');
      if (r.json.next_cursor) {
        assert.match(link, /rel="next"/);
        url = `/v1/users?limit=2&cursor=${r.json.next_cursor}`;
      } else {
        assert.equal(link, null);
        url = null;
      }
    }
    assert.deepEqual(seen, expected);
    const all = await server.request('GET', '/v1/users', { token: admin });
    assert.deepEqual(all.json.items.map((u) => u.id), expected);
    assert.ok(all.json.items.some((u) => u.active === false));
    const nm = await server.request('GET', '/v1/users', { token: admin, headers: { 'If-None-Match': all.headers.get('etag') } });
    assert.equal(nm.status, 304);
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1']) {
      assertProblem(assert, await server.request('GET', `/v1/users?${q}`, { token: admin }), 400, 'limit');
    }
    const real = (await server.request('GET', '/v1/users?limit=1', { token: admin })).json.next_cursor;
    for (const c of ['garbage', forgeCursor(real, []), forgeCursor(real, ['x', 'y']), "'; DROP TABLE users; --"]) {
      assertProblem(assert, await server.request('GET', `/v1/users?cursor=${encodeURIComponent(c)}`, { token: admin }), 400, 'cursor');
    }
    assertProblem(assert, await server.request('GET', '/v1/users?lang=x_y', { token: admin }), 400, 'lang');
  });

  test('unknown and malformed user ids are 404', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope', "x'--", 'A'.repeat(300), '00000000-0000-0000-0000-00000000000g']) {
      assertProblem(assert, await server.request('GET', `/v1/users/${encodeURIComponent(id)}`, { token: admin }), 404);
      assertProblem(assert, await write('PATCH', `/v1/users/${encodeURIComponent(id)}`, admin, { name: 'x' }, { 'If-Match': '"1-x"' }), 404);
      assertProblem(assert, await write('POST', `/v1/users/${encodeURIComponent(id)}/tokens`, admin, { name: 'x' }), 404);
      assertProblem(assert, await server.request('GET', `/v1/users/${encodeURIComponent(id)}/tokens`, { token: admin }), 404);
      assertProblem(assert, await server.request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`, { token: admin }), 404);
    }
  });

  test('PATCH /v1/users/{id}: If-Match required, role and agency kept consistent', async () => {
    const c = await write('POST', '/v1/users', admin, { name: 'Patch Me', role: 'monitor' });
    const url = `/v1/users/${c.json.id}`;
    let etag = c.headers.get('etag');
    assertProblem(assert, await write('PATCH', url, admin, { name: 'P2' }), 428);
    assertProblem(assert, await write('PATCH', url, admin, { name: 'P2' }, { 'If-Match': '"9-abc"' }), 412);
    // validation comes before the precondition
    assertProblem(assert, await write('PATCH', url, admin, { name: '' }), 400, '/name');
    assertProblem(assert, await write('PATCH', url, admin, { id: c.json.id }, { 'If-Match': etag }), 400, '/id');
    assertProblem(assert, await write('PATCH', url, admin, { version: 5 }, { 'If-Match': etag }), 400, '/version');
    assertProblem(assert, await write('PATCH', url, admin, { nmae: 'x' }, { 'If-Match': etag }), 400, '/nmae');
    assertProblem(assert, await write('PATCH', url, admin, { role: null }, { 'If-Match': etag }), 400, '/role');
    assertProblem(assert, await write('PATCH', url, admin, { role: 'agency' }, { 'If-Match': etag }), 400, '/agency_id');
    assertProblem(assert, await write('PATCH', url, admin, { agency_id: 'min-health' }, { 'If-Match': etag }), 400, '/agency_id');
    assertProblem(assert, await write('PATCH', url, admin, '[1]', { 'If-Match': etag, ...JSON_CT }), 400);
    const ok = await write('PATCH', url, admin, { name: 'Патч', email: 'patch@example.org' }, { 'If-Match': etag });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.name, 'Патч');
    assert.equal(ok.json.version, 2);
    assert.notEqual(ok.headers.get('etag'), etag);
    assertProblem(assert, await write('PATCH', url, admin, { name: 'stale' }, { 'If-Match': etag }), 412);
    etag = ok.headers.get('etag');
    const same = await write('PATCH', url, admin, {}, { 'If-Match': etag });
    assert.equal(same.status, 200);
    assert.equal(same.json.version, 2);
    const toAgency = await write('PATCH', url, admin, { role: 'agency', agency_id: 'min-health' }, { 'If-Match': etag });
    assert.equal(toAgency.status, 200, toAgency.text);
    assert.equal(toAgency.json.agency_id, agency.id);
    etag = toAgency.headers.get('etag');
    assertProblem(assert, await write('PATCH', url, admin, { role: 'monitor' }, { 'If-Match': etag }), 400, '/agency_id');
    assertProblem(assert, await write('PATCH', url, admin, { agency_id: null }, { 'If-Match': etag }), 400, '/agency_id');
    const back = await write('PATCH', url, admin, { role: 'editor', agency_id: null, email: null }, { 'If-Match': '*' });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.role, 'editor');
    assert.equal(back.json.agency_id, null);
    assert.equal(back.json.email, null);
    assert.equal(back.json.version, 4);
  });

  test('non-admin roles get 403 on every user and token endpoint; no token 401', async () => {
    const monitor = await account({ name: 'Mon', role: 'monitor' });
    const staff = await account({ name: 'Staff', role: 'agency', agency_id: 'min-health' });
    const target = monitor.user.id;
    const calls = [
      ['GET', '/v1/users'],
      ['POST', '/v1/users', { name: 'x', role: 'monitor' }],
      ['GET', `/v1/users/${target}`],
      ['PATCH', `/v1/users/${target}`, { name: 'x' }, { 'If-Match': '*' }],
      ['POST', `/v1/users/${target}/tokens`, { name: 'x' }],
      ['GET', `/v1/users/${target}/tokens`],
      ['GET', '/v1/audit'],
    ];
    for (const tok of [editor, monitor.token, staff.token]) {
      for (const [m, p, body, headers] of calls) {
        assertProblem(assert, await write(m, p, tok, body, headers), 403);
      }
    }
    for (const [m, p, body, headers] of calls) {
      const r = await write(m, p, undefined, body, headers);
      assertProblem(assert, r, 401);
      assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    }
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${monitor.tokenId}`), 401);
    // everyone may read themselves
    const me = await server.request('GET', '/v1/me', { token: staff.token });
    assert.equal(me.json.user.role, 'agency');
    assert.equal(me.json.user.agency_id, agency.id);
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE name = 'x'"), '0');
  });

  test('POST /v1/users/{id}/tokens: 201 without ETag, the secret once, stored only as a hash', async () => {
    const u = (await write('POST', '/v1/users', admin, { name: 'Token Owner', role: 'monitor' })).json;
    const r = await write('POST', `/v1/users/${u.id}/tokens`, admin, { name: 'laptop' });
    assert.equal(r.status, 201, r.text);
    secrets.push(r.json.token);
    assert.equal(r.headers.get('etag'), null);
    assert.equal(r.headers.get('location'), `/v1/users/${u.id}/tokens`);
    assert.deepEqual(Object.keys(r.json).sort(), ['created_at', 'expires_at', 'id', 'name', 'prefix', 'token']);
    assert.match(r.json.token, /^trk_[A-Za-z0-9_-]{43}$/);
    assert.equal(r.json.prefix, r.json.token.slice(0, 8));
    assert.equal(r.json.expires_at, null);
    assert.equal(r.json.name, 'laptop');
    // stored as sha256 only: no column holds the secret
    assert.equal(sql(server.db, `SELECT encode(token_hash, 'hex') FROM api_tokens WHERE id = '${r.json.id}'`),
      (await import('node:crypto')).createHash('sha256').update(r.json.token).digest('hex'));
    assert.equal(sql(server.db, `SELECT count(*) FROM api_tokens t WHERE position('${r.json.token}' in t::text) > 0`), '0');
    // it works at once
    const me = await server.request('GET', '/v1/me', { token: r.json.token });
    assert.equal(me.status, 200);
    assert.equal(me.json.user.id, u.id);
    assert.equal(me.json.token.id, r.json.id);
    assert.equal(me.json.token.name, 'laptop');
    // with an expiry in another zone: normalized to UTC
    const later = new Date(Date.now() + 86400e3);
    const local = later.toISOString().replace('Z', '+00:00');
    const e = await write('POST', `/v1/users/${u.id}/tokens`, admin, { name: 'expiring', expires_at: local });
    assert.equal(e.status, 201, e.text);
    secrets.push(e.json.token);
    assert.equal(e.json.expires_at, later.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'));
    const nullExp = await write('POST', `/v1/users/${u.id}/tokens`, admin, { name: 'forever', expires_at: null });
    assert.equal(nullExp.status, 201);
    secrets.push(nullExp.json.token);
    assert.notEqual(nullExp.json.token, r.json.token);
  });

  test('bad token bodies are 400 naming the member', async () => {
    const u = (await write('POST', '/v1/users', admin, { name: 'Token Bad', role: 'monitor' })).json;
    const post = (body, headers) => write('POST', `/v1/users/${u.id}/tokens`, admin, body, headers);
    assertProblem(assert, await post('{', JSON_CT), 400);
    assertProblem(assert, await post('[]', JSON_CT), 400);
    assertProblem(assert, await post('', JSON_CT), 400);
    assertProblem(assert, await post('{"name":"x"}', { 'Content-Type': 'text/plain' }), 415);
    assertProblem(assert, await post({}), 400, '/name');
    assertProblem(assert, await post({ name: '' }), 400, '/name');
    assertProblem(assert, await post({ name: 5 }), 400, '/name');
    assertProblem(assert, await post({ name: 'x'.repeat(20001) }), 400, '/name');
    assertProblem(assert, await post({ name: 'x', expires_at: '2999-01-01T00:00:00' }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: '2999-01-01' }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: 'tomorrow' }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: '2999-02-30T00:00:00Z' }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: 1893456000 }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: '2020-01-01T00:00:00Z' }), 400, '/expires_at');
    assertProblem(assert, await post({ name: 'x', expires_at: new Date(Date.now() - 1000).toISOString() }), 400, '/expires_at');
    for (const ro of ['token', 'prefix', 'id', 'created_at', 'last_used_at']) {
      assertProblem(assert, await post({ name: 'x', [ro]: 'trk_chosen_by_client_123' }), 400, `/${ro}`);
    }
    assertProblem(assert, await post({ name: 'x', scope: 'all' }), 400, '/scope');
    assert.equal(sql(server.db, `SELECT count(*) FROM api_tokens WHERE user_id = '${u.id}'`), '0');
  });

  test('GET /v1/users/{id}/tokens: no secrets, revoked left out, expired listed, newest first', async () => {
    const u = (await write('POST', '/v1/users', admin, { name: 'Lister', role: 'monitor' })).json;
    const made = [];
    for (let i = 0; i < 5; i++) {
      const t = await write('POST', `/v1/users/${u.id}/tokens`, admin, { name: `t${i}` });
      secrets.push(t.json.token);
      made.push(t.json);
    }
    // revoking takes no body: a body is 400 (415 when not JSON), and the token stays valid
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${made[1].id}`, { token: admin, body: { reason: 'x' } }), 400, '/reason');
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${made[1].id}`, { token: admin, body: 'x', headers: { 'Content-Type': 'text/plain' } }), 415);
    assert.equal((await server.request('GET', '/v1/me', { token: secrets[1] })).status, 200);
    assert.equal((await server.request('DELETE', `/v1/tokens/${made[1].id}`, { token: admin, body: {} })).status, 204);
    sql(server.db, `UPDATE api_tokens SET expires_at = now() - interval '1 day' WHERE id = '${made[2].id}'`);
    const seen = [];
    let url = `/v1/users/${u.id}/tokens?limit=1`;
    for (let pages = 0; url && pages < 20; pages++) {
      const r = await server.request('GET', url, { token: admin });
      assert.equal(r.status, 200, r.text);
      for (const t of r.json.items) {
        assert.deepEqual(Object.keys(t).sort(), ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix']);
        seen.push(t.id);
      }
      assert.ok(!made.some((m) => r.text.includes(m.token)));
      url = r.json.next_cursor ? `/v1/users/${u.id}/tokens?limit=1&cursor=${r.json.next_cursor}` : null;
    }
    assert.deepEqual(seen, [made[4].id, made[3].id, made[2].id, made[0].id]);
    const all = await server.request('GET', `/v1/users/${u.id}/tokens`, { token: admin });
    assert.ok(all.json.items.find((t) => t.id === made[2].id).expires_at < new Date().toISOString());
    assert.equal(all.json.next_cursor, null);
    const nm = await server.request('GET', `/v1/users/${u.id}/tokens`, { token: admin, headers: { 'If-None-Match': all.headers.get('etag') } });
    assert.equal(nm.status, 304);
    assertProblem(assert, await server.request('GET', `/v1/users/${u.id}/tokens?limit=0`, { token: admin }), 400, 'limit');
    assertProblem(assert, await server.request('GET', `/v1/users/${u.id}/tokens?cursor=zzz`, { token: admin }), 400, 'cursor');
  });

  test('DELETE /v1/tokens/{id}: admin or own user; revoked token 401 on the next request', async () => {
    const owner = await account({ name: 'Revoker', role: 'monitor' });
    const second = await write('POST', `/v1/users/${owner.user.id}/tokens`, admin, { name: 'second' });
    secrets.push(second.json.token);
    const other = await account({ name: 'Other', role: 'editor' });
    // a non-admin: another user's token is 404, as an unknown one
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${other.tokenId}`, { token: owner.token }), 404);
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${owner.tokenId}`, { token: other.token }), 404);
    assertProblem(assert, await server.request('DELETE', '/v1/tokens/00000000-0000-0000-0000-000000000000', { token: owner.token }), 404);
    // its own user revokes another of its tokens
    const r = await server.request('DELETE', `/v1/tokens/${second.json.id}`, { token: owner.token });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('etag'), null);
    assertProblem(assert, await server.request('GET', '/v1/me', { token: second.json.token }), 401);
    // a public read with a revoked token is 401 too
    const pub = await server.request('GET', '/v1/resolutions', { token: second.json.token });
    assertProblem(assert, pub, 401);
    assert.ok(!pub.text.includes(second.json.token));
    assert.equal((await server.request('GET', '/v1/resolutions')).status, 200);
    // revoking again is 204 (and not audited twice)
    assert.equal((await server.request('DELETE', `/v1/tokens/${second.json.id}`, { token: admin })).status, 204);
    assert.equal((await server.request('DELETE', `/v1/tokens/${second.json.id}`, { token: owner.token })).status, 204);
    // an admin revokes anyone's token
    assert.equal((await server.request('DELETE', `/v1/tokens/${other.tokenId.toUpperCase()}`, { token: admin })).status, 204);
    assertProblem(assert, await server.request('GET', '/v1/me', { token: other.token }), 401);
    // a token revokes itself: still 204, then 401
    assert.equal((await server.request('DELETE', `/v1/tokens/${owner.tokenId}`, { token: owner.token })).status, 204);
    assertProblem(assert, await server.request('GET', '/v1/me', { token: owner.token }), 401);
    assertProblem(assert, await server.request('DELETE', `/v1/tokens/${owner.tokenId}`, { token: owner.token }), 401);
    // other methods on the path
    const put = await server.request('PUT', `/v1/tokens/${owner.tokenId}`, { token: admin, body: {} });
    assertProblem(assert, put, 405);
    assert.match(put.headers.get('allow'), /DELETE/);
  });

  test('a token expires: usable until expires_at, 401 afterwards; revoking it then is 204', async () => {
    const u = (await write('POST', '/v1/users', admin, { name: 'Short Lived', role: 'monitor' })).json;
    const soon = new Date(Date.now() + 2000).toISOString();
    const t = await write('POST', `/v1/users/${u.id}/tokens`, admin, { name: 'brief', expires_at: soon });
    assert.equal(t.status, 201, t.text);
    secrets.push(t.json.token);
    assert.equal((await server.request('GET', '/v1/me', { token: t.json.token })).status, 200);
    await sleep(2600);
    assertProblem(assert, await server.request('GET', '/v1/me', { token: t.json.token }), 401);
    assertProblem(assert, await server.request('GET', '/v1/resolutions', { token: t.json.token }), 401);
    assert.equal((await server.request('DELETE', `/v1/tokens/${t.json.id}`, { token: admin })).status, 204);
  });

  test('disabling a user stops every token at once; enabling brings back the live ones', async () => {
    const acct = await account({ name: 'Disable Me', role: 'editor' });
    const second = await write('POST', `/v1/users/${acct.user.id}/tokens`, admin, { name: 'second' });
    secrets.push(second.json.token);
    assert.equal((await server.request('GET', '/v1/me', { token: acct.token })).status, 200);
    const tag = (await server.request('GET', `/v1/users/${acct.user.id}`, { token: admin })).headers.get('etag');
    const off = await write('PATCH', `/v1/users/${acct.user.id}`, admin, { active: false }, { 'If-Match': tag });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.active, false);
    for (const tok of [acct.token, second.json.token]) {
      assertProblem(assert, await server.request('GET', '/v1/me', { token: tok }), 401);
      assertProblem(assert, await server.request('GET', '/v1/resolutions', { token: tok }), 401);
      assertProblem(assert, await write('POST', '/v1/resolutions', tok, { slug: 'nope', title: { en: 'x' }, adopted_on: '2021-01-01' }), 401);
    }
    const on = await write('PATCH', `/v1/users/${acct.user.id}`, admin, { active: true }, { 'If-Match': off.headers.get('etag') });
    assert.equal(on.status, 200, on.text);
    assert.equal((await server.request('GET', '/v1/me', { token: acct.token })).status, 200);
  });

  test('GET /v1/audit lists the user and token writes with before, after and request_id', async () => {
    const since = new Date().toISOString();
    const c = await write('POST', '/v1/users', admin, { name: 'Audited', role: 'monitor' }, { 'X-Request-Id': 'usr-create-1' });
    const p = await write('PATCH', `/v1/users/${c.json.id}`, admin, { name: 'Audited 2' }, { 'If-Match': c.headers.get('etag'), 'X-Request-Id': 'usr-patch-1' });
    assert.equal(p.status, 200);
    // a PATCH that changes nothing is not a write
    assert.equal((await write('PATCH', `/v1/users/${c.json.id}`, admin, {}, { 'If-Match': p.headers.get('etag') })).status, 200);
    const t = await write('POST', `/v1/users/${c.json.id}/tokens`, admin, { name: 'audited token' }, { 'X-Request-Id': 'usr-token-1' });
    secrets.push(t.json.token);
    const d = await server.request('DELETE', `/v1/tokens/${t.json.id}`, { token: admin, headers: { 'X-Request-Id': 'usr-revoke-1' } });
    assert.equal(d.status, 204);
    assert.equal((await server.request('DELETE', `/v1/tokens/${t.json.id}`, { token: admin })).status, 204);
    const me = (await server.request('GET', '/v1/me', { token: admin })).json.user;

    const r = await server.request('GET', `/v1/audit?since=${encodeURIComponent(since)}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    const mine = r.json.items.filter((e) => e.entity_id === c.json.id || e.entity_id === t.json.id);
    assert.deepEqual(mine.map((e) => `${e.action} ${e.entity} ${e.request_id}`), [
      'revoke token usr-revoke-1', 'create_token token usr-token-1', 'update user usr-patch-1', 'create user usr-create-1',
    ]);
    const [revoke, createToken, update, create] = mine;
    assert.equal(create.before, null);
    assert.deepEqual(create.after, c.json);
    assert.deepEqual(update.before, c.json);
    assert.deepEqual(update.after, p.json);
    assert.equal(createToken.before, null);
    assert.equal(createToken.after.id, t.json.id);
    assert.equal(createToken.after.user_id, c.json.id);
    assert.equal(createToken.after.prefix, t.json.prefix);
    assert.equal(createToken.after.revoked_at, null);
    assert.ok(!('token' in createToken.after) && !('token_hash' in createToken.after));
    assert.equal(revoke.before.revoked_at, null);
    assert.match(revoke.after.revoked_at, TS);
    for (const e of mine) {
      assert.deepEqual(e.actor, { id: me.id, name: me.name, role: 'admin' });
      assert.match(e.at, TS);
    }
    for (let i = 1; i < r.json.items.length; i++) assert.ok(r.json.items[i - 1].at >= r.json.items[i].at);
    // nothing of any secret in the audit trail, neither the token nor its hash
    const text = r.text + sql(server.db, 'SELECT coalesce(string_agg(before::text || after::text, \'\'), \'\') FROM audit_log');
    for (const s of secrets) assert.ok(!text.includes(s) && !text.includes(s.slice(8)));
    const hashes = sql(server.db, "SELECT string_agg(encode(token_hash, 'hex'), ' ') FROM api_tokens").split(' ');
    const dump = sql(server.db, "SELECT string_agg(before::text || ' ' || after::text, ' ') FROM audit_log");
    for (const h of hashes) assert.ok(!dump.includes(h));

    // filters
    const byEntity = await server.request('GET', `/v1/audit?entity=token&entity_id=${t.json.id}`, { token: admin });
    assert.deepEqual(byEntity.json.items.map((e) => e.action), ['revoke', 'create_token']);
    const byUser = await server.request('GET', `/v1/audit?entity=user&entity_id=${c.json.id}`, { token: admin });
    assert.deepEqual(byUser.json.items.map((e) => e.action), ['update', 'create']);
    const byActor = await server.request('GET', `/v1/audit?actor=${me.id}&since=${encodeURIComponent(update.at)}`, { token: admin });
    assert.deepEqual(byActor.json.items.map((e) => e.action), ['revoke', 'create_token']);
    const nobody = await server.request('GET', `/v1/audit?actor=${c.json.id}`, { token: admin });
    assert.deepEqual(nobody.json.items, []);
    assertProblem(assert, await server.request('GET', '/v1/audit?entity=person', { token: admin }), 400, 'entity');
    assertProblem(assert, await server.request('GET', '/v1/audit?since=yesterday', { token: admin }), 400, 'since');
    assertProblem(assert, await server.request('GET', '/v1/audit', { token: editor }), 403);
    assertProblem(assert, await server.request('GET', '/v1/audit'), 401);
  });

  test('Idempotency-Key on POST /v1/users: one user for many retries', async () => {
    const h = { 'Idempotency-Key': 'usr-idem-1' };
    const a = await write('POST', '/v1/users', admin, { name: 'Idem', role: 'monitor' }, h);
    const b = await write('POST', '/v1/users', admin, { name: 'Idem', role: 'monitor' }, h);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.text, a.text);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE name = 'Idem'"), '1');
  });

  test('no token secret appears in any log line or error body', async () => {
    // a failed lookup of every secret also goes through the logs
    for (const s of secrets) await server.request('GET', '/v1/resolutions', { token: `${s}x` });
    await sleep(200);
    assert.ok(secrets.length >= 20);
    const logs = server.logs.join('\n');
    assert.ok(logs.length > 0);
    assert.ok(!/"level":"error"/.test(logs), 'an error was logged');
    assert.ok(!server.logs.some((l) => /"status":5\d\d/.test(l)), 'a request failed with 5xx');
    for (const s of secrets) {
      assert.ok(!logs.includes(s), 'a token secret was logged');
      assert.ok(!logs.includes(s.slice(4)), 'a token secret was logged');
    }
  });
});
