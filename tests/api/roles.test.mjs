// The role × endpoint matrix: every write (and every restricted read) tried with no token, a
// revoked token, an expired token, a disabled user's token and each role; the exact status each
// must get, and that a refused write changes nothing in the database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sql, importSeed } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Everything the API can change, as one hash (last_used_at may move on any request). */
function fingerprint(db) {
  return sql(db, `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT 'r' || r::text AS x FROM resolutions r UNION ALL SELECT 's' || s::text FROM sectors s
    UNION ALL SELECT 'a' || a::text FROM agencies a UNION ALL SELECT 'c' || c::text FROM recommendations c
    UNION ALL SELECT 'g' || g::text FROM recommendation_agencies g UNION ALL SELECT 'u' || u::text FROM updates u
    UNION ALL SELECT 'p' || p::text FROM users p
    UNION ALL SELECT 't' || (t.id, t.revoked_at, t.expires_at, t.name)::text FROM api_tokens t
    UNION ALL SELECT 'l' || l::text FROM audit_log l UNION ALL SELECT 'i' || i::text FROM idempotency_keys i) q`);
}

describe('role × endpoint matrix', () => {
  let server;
  const creds = {};
  const ids = {};
  let n = 0;
  const uniq = () => `m${++n}`;

  before(async () => {
    server = await startServer();
    await importSeed(server);
    const admin = await server.token('admin');
    creds.admin = admin;
    creds.editor = await server.token('editor');
    creds.monitor = await server.token('monitor');
    creds.agency = await server.token('agency', 'ministry-of-emergency-situations');
    const get = (p) => server.request('GET', p).then((r) => r.json);
    ids.ps2 = (await get('/v1/resolutions/bishkek-2021-11-15/recommendations/PS-2')).id; // led by MoES
    ids.ea4 = (await get('/v1/resolutions/bishkek-2021-11-15/recommendations/EA-4')).id; // not MoES
    ids.sector = (await get('/v1/resolutions/bishkek-2021-11-15/sectors')).items[0].id;
    // a user whose tokens go bad in each of the three ways
    const mk = async (body) => (await server.request('POST', '/v1/users', { token: admin, body })).json;
    const doomed = await mk({ name: 'Doomed', role: 'editor' });
    const tok = async (user, extra = {}) => (await server.request('POST', `/v1/users/${user.id}/tokens`, { token: admin, body: { name: 'x', ...extra } })).json;
    const revoked = await tok(doomed);
    assert.equal((await server.request('DELETE', `/v1/tokens/${revoked.id}`, { token: admin })).status, 204);
    creds.revoked = revoked.token;
    creds.expired = (await tok(doomed, { expires_at: new Date(Date.now() + 1500).toISOString() })).token;
    const disabled = await mk({ name: 'Disabled', role: 'editor' });
    creds.disabled = (await tok(disabled)).token;
    const u = await server.request('GET', `/v1/users/${disabled.id}`, { token: admin });
    const off = await server.request('PATCH', `/v1/users/${disabled.id}`, { token: admin, body: { active: false }, headers: { 'If-Match': u.headers.get('etag') } });
    assert.equal(off.status, 200, off.text);
    ids.editorUser = (await server.request('GET', '/v1/me', { token: creds.editor })).json.user.id;
    await sleep(1600); // the expiring token is now expired
  });
  after(async () => { await server.stop(); });

  const etagOf = async (p) => (await server.request('GET', p)).headers.get('etag');
  const adminEtag = async (p) => (await server.request('GET', p, { token: creds.admin })).headers.get('etag');
  const someUpdate = async () => (await server.request('POST', `/v1/recommendations/${ids.ea4}/updates`, { token: creds.editor, body: { body: 'note' } })).json.id;

  // who may: the roles that succeed; everything else must be 403 (or 401 for bad credentials)
  const writes = [
    { name: 'create resolution', may: ['editor', 'admin'], req: async () => ['POST', '/v1/resolutions', { slug: uniq(), title: { en: 't' }, adopted_on: '2022-01-01' }] },
    { name: 'patch resolution', may: ['editor', 'admin'], req: async () => ['PATCH', '/v1/resolutions/bishkek-2021-11-15', { city: `Bishkek ${uniq()}` }, { 'If-Match': await etagOf('/v1/resolutions/bishkek-2021-11-15') }] },
    { name: 'archive resolution', may: ['editor', 'admin'], req: async () => {
      const slug = uniq();
      await server.request('POST', '/v1/resolutions', { token: creds.editor, body: { slug, title: { en: 't' }, adopted_on: '2022-01-01' } });
      return ['POST', `/v1/resolutions/${slug}/archive`];
    } },
    { name: 'create sector', may: ['editor', 'admin'], req: async () => ['POST', '/v1/resolutions/bishkek-2021-11-15/sectors', { code: uniq().toUpperCase(), title: { en: 's' } }] },
    { name: 'patch sector', may: ['editor', 'admin'], req: async () => ['PATCH', `/v1/sectors/${ids.sector}`, { participants: [uniq()] }, { 'If-Match': await etagOf(`/v1/sectors/${ids.sector}`) }] },
    { name: 'create agency', may: ['editor', 'admin'], req: async () => ['POST', '/v1/agencies', { slug: uniq(), name: { en: 'a' }, kind: 'other' }] },
    { name: 'patch agency', may: ['editor', 'admin'], req: async () => ['PATCH', '/v1/agencies/ebrd', { acronym: uniq() }, { 'If-Match': await etagOf('/v1/agencies/ebrd') }] },
    { name: 'archive agency', may: ['editor', 'admin'], req: async () => {
      const slug = uniq();
      await server.request('POST', '/v1/agencies', { token: creds.editor, body: { slug, name: { en: 'a' }, kind: 'other' } });
      return ['POST', `/v1/agencies/${slug}/archive`];
    } },
    { name: 'create recommendation', may: ['editor', 'admin'], req: async () => ['POST', '/v1/recommendations', { resolution: 'bishkek-2021-11-15', sector: 'PS', code: `PS-${100 + n++}`, number: 100 + n, text: { en: 'r' } }] },
    { name: 'patch recommendation', may: ['editor', 'admin'], req: async () => ['PATCH', `/v1/recommendations/${ids.ea4}`, { themes: [uniq()] }, { 'If-Match': await etagOf(`/v1/recommendations/${ids.ea4}`) }] },
    { name: 'assign agencies', may: ['editor', 'admin'], req: async () => ['PUT', `/v1/recommendations/${ids.ea4}/agencies`, { lead: 'local-self-government', supporting: [n++ % 2 ? 'cabinet-of-ministers' : 'ebrd'] }] },
    { name: 'post update on own agency recommendation', may: ['monitor', 'agency', 'editor', 'admin'], req: async () => ['POST', `/v1/recommendations/${ids.ps2}/updates`, { body: `u ${uniq()}` }] },
    { name: 'post update elsewhere', may: ['monitor', 'editor', 'admin'], req: async () => ['POST', `/v1/recommendations/${ids.ea4}/updates`, { body: `u ${uniq()}` }] },
    { name: 'retract update', may: ['editor', 'admin'], req: async () => ['POST', `/v1/updates/${await someUpdate()}/retract`, { reason: 'duplicate' }] },
    { name: 'import', may: ['editor', 'admin'], req: async () => ['POST', '/v1/import', { format: 'recommendation-tracker/bundle@1', resolution: { slug: uniq(), title: { en: 'i' }, adopted_on: '2022-01-01' }, sectors: [], agencies: [], recommendations: [] }] },
    { name: 'create user', may: ['admin'], req: async () => ['POST', '/v1/users', { name: uniq(), role: 'monitor' }] },
    { name: 'patch user', may: ['admin'], req: async () => ['PATCH', `/v1/users/${ids.editorUser}`, { email: `${uniq()}@example.org` }, { 'If-Match': await adminEtag(`/v1/users/${ids.editorUser}`) }] },
    { name: 'create token', may: ['admin'], req: async () => ['POST', `/v1/users/${ids.editorUser}/tokens`, { name: uniq() }] },
  ];
  const reads = [
    { name: 'me', may: ['agency', 'monitor', 'editor', 'admin'], path: '/v1/me' },
    { name: 'list users', may: ['admin'], path: '/v1/users' },
    { name: 'read tokens', may: ['admin'], path: () => `/v1/users/${ids.editorUser}/tokens` },
    { name: 'audit', may: ['admin'], path: '/v1/audit' },
  ];
  const everyone = ['none', 'revoked', 'expired', 'disabled', 'agency', 'monitor', 'editor', 'admin'];
  const expected = (may, who) => (['none', 'revoked', 'expired', 'disabled'].includes(who) ? 401 : may.includes(who) ? 'ok' : 403);

  for (const w of writes) {
    test(`write: ${w.name}`, async () => {
      for (const who of everyone) {
        const [method, path, body, headers] = await w.req();
        const want = expected(w.may, who);
        const before = want === 'ok' ? null : fingerprint(server.db);
        const r = await server.request(method, path, { token: creds[who === 'none' ? 'x' : who], body, headers });
        if (want === 'ok') {
          assert.ok(r.status >= 200 && r.status < 300, `${w.name} as ${who}: ${r.status} ${r.text}`);
        } else {
          assert.equal(r.status, want, `${w.name} as ${who}: ${r.text}`);
          assert.equal(fingerprint(server.db), before, `${w.name} as ${who} changed the database`);
          if (want === 401) assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
        }
      }
    });
  }

  for (const rd of reads) {
    test(`restricted read: ${rd.name}`, async () => {
      for (const who of everyone) {
        const path = typeof rd.path === 'function' ? rd.path() : rd.path;
        const r = await server.request('GET', path, { token: creds[who === 'none' ? 'x' : who] });
        const want = expected(rd.may, who);
        if (want === 'ok') assert.equal(r.status, 200, `${rd.name} as ${who}: ${r.text}`);
        else assert.equal(r.status, want, `${rd.name} as ${who}`);
      }
    });
  }

  test('public reads work without a token, and a bad token on them is 401', async () => {
    for (const p of ['/v1/resolutions', '/v1/agencies', '/v1/recommendations', `/v1/recommendations/${ids.ps2}/updates`, '/v1/updates', `/v1/recommendations/${ids.ps2}/history`, '/v1/reports/summary']) {
      assert.equal((await server.request('GET', p)).status, 200, p);
      for (const who of ['revoked', 'expired', 'disabled']) {
        assert.equal((await server.request('GET', p, { token: creds[who] })).status, 401, `${p} with a ${who} token`);
      }
    }
  });

  test('revoking tokens: admin any, a user their own, another user’s token is 404', async () => {
    const me = (await server.request('GET', '/v1/me', { token: creds.monitor })).json;
    const other = (await server.request('POST', `/v1/users/${ids.editorUser}/tokens`, { token: creds.admin, body: { name: 'other' } })).json;
    assert.equal((await server.request('DELETE', `/v1/tokens/${other.id}`, { token: creds.monitor })).status, 404);
    assert.equal((await server.request('DELETE', `/v1/tokens/${other.id}`)).status, 401);
    assert.equal((await server.request('DELETE', `/v1/tokens/${other.id}`, { token: creds.admin })).status, 204);
    assert.equal((await server.request('DELETE', `/v1/tokens/${me.token.id}`, { token: creds.monitor })).status, 204);
    assert.equal((await server.request('GET', '/v1/me', { token: creds.monitor })).status, 401);
  });
});
