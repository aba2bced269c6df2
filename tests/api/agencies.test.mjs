// Agencies: /v1/agencies, /v1/agencies/{id}, archive and unarchive (API.md §1, §3).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, assertTooLong, sql, forgeCursor, textOf, urlOf } from './harness.mjs';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const LONG = 'x'.repeat(20001);
const KINDS = ['presidency', 'cabinet', 'ministry', 'state_agency', 'parliament', 'judiciary', 'local_government',
  'ombudsman', 'security_council', 'international_organization', 'civil_society', 'business', 'other'];

describe('agencies', () => {
  let server, editor, admin, monitor, agencyToken;

  const post = (path, body, token = editor, headers = {}) => server.request('POST', path, { token, body, headers });
  const get = (path, options = {}) => server.request('GET', path, options);
  const patch = (path, body, etag, token = editor) =>
    server.request('PATCH', path, { token, body, headers: etag ? { 'If-Match': etag } : {} });

  async function newAgency(body) {
    const r = await post('/v1/agencies', { kind: 'ministry', name: { en: body.slug }, ...body });
    assert.equal(r.status, 201, r.text);
    return r;
  }

  async function allSlugs(query = '') {
    const r = await get(`/v1/agencies?limit=200${query}`);
    assert.equal(r.status, 200, r.text);
    return r.json.items.map((a) => a.slug);
  }

  before(async () => {
    server = await startServer();
    [editor, admin, monitor] = await Promise.all([server.token('editor'), server.token('admin'), server.token('monitor')]);
    await newAgency({ slug: 'mchs', kind: 'ministry', name: { en: 'Ministry of Emergency Situations', ru: 'Министерство чрезвычайных ситуаций' }, acronym: 'MES' });
    agencyToken = await server.token('agency', 'mchs');
  });
  after(async () => { await server.stop(); });

  it('creates an agency with its representation, Location and ETag', async () => {
    const r = await newAgency({
      slug: 'akyikatchy', kind: 'ombudsman', name: { ky: 'Акыйкатчы', ru: 'Омбудсмен', en: 'Ombudsman' },
      acronym: 'AK', website: 'https://ombudsman.kg/',
    });
    const a = r.json;
    assert.deepEqual(Object.keys(a).sort(), ['acronym', 'archived_at', 'created_at', 'id', 'kind', 'name', 'parent_id',
      'slug', 'updated_at', 'version', 'website'].sort());
    assert.equal(a.slug, 'akyikatchy');
    assert.equal(a.kind, 'ombudsman');
    assert.deepEqual(a.name, { ky: 'Акыйкатчы', ru: 'Омбудсмен', en: 'Ombudsman' });
    assert.equal(a.acronym, 'AK');
    assert.equal(a.website, 'https://ombudsman.kg/');
    assert.equal(a.parent_id, null);
    assert.equal(a.archived_at, null);
    assert.equal(a.version, 1);
    assert.match(a.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(r.headers.get('location'), `/v1/agencies/${a.id}`);
    assert.match(r.headers.get('etag'), /^"1-/);
    for (const ref of [a.id, a.slug]) {
      const g = await get(`/v1/agencies/${ref}`);
      assert.equal(g.status, 200);
      assert.deepEqual(g.json, a);
    }
    const min = (await newAgency({ slug: 'minimal', kind: 'other', name: { en: 'Minimal' } })).json;
    assert.equal(min.acronym, null);
    assert.equal(min.website, null);
    const nulls = (await newAgency({ slug: 'nulls', name: { en: 'N' }, acronym: null, website: null, parent_id: null })).json;
    assert.equal(nulls.parent_id, null);
  });

  it('accepts every kind and refuses others', async () => {
    for (const kind of KINDS) {
      const r = await newAgency({ slug: `kind-${kind.replace(/_/g, '-')}`, kind });
      assert.equal(r.json.kind, kind);
    }
    for (const kind of ['Ministry', 'minister', '', 3, null]) {
      assertProblem(assert, await post('/v1/agencies', { slug: 'bad-kind', name: { en: 'x' }, kind }), 400, '/kind');
    }
    // a slug shaped like a UUID would be read as an id in every path, so it is refused
    assertProblem(assert, await post('/v1/agencies', { slug: '0f8fad5b-d9cb-469f-a165-70867728950e', name: { en: 'x' }, kind: 'other' }), 400, '/slug');
  });

  it('answers 409 for a taken slug, on create and on patch', async () => {
    await newAgency({ slug: 'taken' });
    const other = await newAgency({ slug: 'not-taken' });
    assertProblem(assert, await post('/v1/agencies', { slug: 'taken', name: { en: 'x' }, kind: 'other' }), 409, '/slug');
    assertProblem(assert, await patch(`/v1/agencies/${other.json.id}`, { slug: 'taken' }, other.headers.get('etag')), 409, '/slug');
    const renamed = await patch(`/v1/agencies/not-taken`, { slug: 'renamed' }, other.headers.get('etag'));
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.slug, 'renamed');
    assertProblem(assert, await get('/v1/agencies/not-taken'), 404);
    assert.equal((await get('/v1/agencies/renamed')).json.id, other.json.id);
  });

  it('takes a parent by id or slug, refuses unknown ones and cycles', async () => {
    const top = (await newAgency({ slug: 'cabinet-kg', kind: 'cabinet' })).json;
    const mid = (await newAgency({ slug: 'mid', parent_id: 'cabinet-kg' })).json;
    assert.equal(mid.parent_id, top.id);
    const low = (await newAgency({ slug: 'low', parent_id: mid.id })).json;
    assert.equal(low.parent_id, mid.id);
    for (const ref of [UNKNOWN, 'no-such-agency', "'; DROP TABLE agencies; --", 'UPPER', '']) {
      assertProblem(assert, await post('/v1/agencies', { slug: 'orphan', name: { en: 'x' }, kind: 'other', parent_id: ref }), 400, '/parent_id');
    }
    assertProblem(assert, await post('/v1/agencies', { slug: 'orphan', name: { en: 'x' }, kind: 'other', parent_id: 5 }), 400, '/parent_id');
    const etag = async (ref) => (await get(`/v1/agencies/${ref}`)).headers.get('etag');
    // its own parent, by id or slug; its descendant as parent
    assertProblem(assert, await patch('/v1/agencies/cabinet-kg', { parent_id: 'cabinet-kg' }, await etag('cabinet-kg')), 400, '/parent_id');
    assertProblem(assert, await patch('/v1/agencies/cabinet-kg', { parent_id: top.id }, await etag('cabinet-kg')), 400, '/parent_id');
    assertProblem(assert, await patch('/v1/agencies/cabinet-kg', { parent_id: 'low' }, await etag('cabinet-kg')), 400, '/parent_id');
    assertProblem(assert, await patch('/v1/agencies/mid', { parent_id: 'low' }, await etag('mid')), 400, '/parent_id');
    assert.equal((await get('/v1/agencies/cabinet-kg')).json.parent_id, null);
    // validation (400) comes before the missing If-Match (428)
    assertProblem(assert, await patch('/v1/agencies/cabinet-kg', { parent_id: 'low' }), 400, '/parent_id');
    assertProblem(assert, await patch('/v1/agencies/cabinet-kg', { parent_id: 'no-such' }), 400, '/parent_id');
    // moving a branch elsewhere is fine, and null clears the parent
    const moved = await patch('/v1/agencies/low', { parent_id: 'cabinet-kg' }, await etag('low'));
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.parent_id, top.id);
    const cleared = await patch('/v1/agencies/low', { parent_id: null }, await etag('low'));
    assert.equal(cleared.json.parent_id, null);
    // an archived agency can still be a parent
    await post('/v1/agencies/mid/archive');
    const child = (await newAgency({ slug: 'child-of-archived', parent_id: 'mid' })).json;
    assert.equal(child.parent_id, mid.id);
    // the schema refuses a cycle whatever the writer
    const outcome = sql(server.db, `CREATE TEMP TABLE outcome (v text);
      DO $$ BEGIN
        UPDATE agencies SET parent_id = '${low.id}' WHERE id = '${top.id}';
        UPDATE agencies SET parent_id = '${top.id}' WHERE id = '${low.id}';
        INSERT INTO outcome VALUES ('written');
      EXCEPTION WHEN check_violation THEN INSERT INTO outcome VALUES (SQLERRM);
      END $$;
      SELECT v FROM outcome`);
    assert.equal(outcome, 'an agency cannot be its own ancestor');
    assert.equal((await get('/v1/agencies/cabinet-kg')).json.parent_id, null);
  });

  it('lists active agencies ordered by slug, paginated without skips or repeats', async () => {
    const r = await get('/v1/agencies');
    assert.equal(r.status, 200);
    const slugs = r.json.items.map((a) => a.slug);
    assert.deepEqual(slugs, [...slugs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    assert.ok(r.headers.get('etag'));
    const all = await allSlugs();
    const seen = [];
    let url = '/v1/agencies?limit=3', inserted = false;
    while (url) {
      const p = await get(url);
      assert.equal(p.status, 200, p.text);
      seen.push(...p.json.items.map((a) => a.slug));
      if (!inserted) {
        await newAgency({ slug: 'zzz-late' }); // after the cursor: seen once
        await newAgency({ slug: '0-early' }); // before the cursor: not seen
        inserted = true;
      }
      url = p.json.next_cursor ? p.headers.get('link').match(/<([^>]+)>/)[1] : null;
      if (!p.json.next_cursor) assert.equal(p.headers.get('link'), null);
    }
    assert.deepEqual(seen, [...all, 'zzz-late']);
    assert.equal((await get('/v1/agencies?limit=1')).json.items.length, 1);
  });

  it('rejects bad list parameters', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=abc']) assertProblem(assert, await get(`/v1/agencies?${q}`), 400, 'limit');
    const real = (await get('/v1/agencies?limit=1')).json.next_cursor;
    for (const c of ['garbage', forgeCursor(real, [1]), forgeCursor(real, ['a', 'b']), '%25%27']) {
      assertProblem(assert, await get(`/v1/agencies?cursor=${c}`), 400, 'cursor');
    }
    for (const k of ['bogus', 'Ministry', '', 'ministry%27%3B']) assertProblem(assert, await get(`/v1/agencies?kind=${k}`), 400, 'kind');
    assertProblem(assert, await get('/v1/agencies?kind=ministry&kind=other'), 400, 'kind');
    assertProblem(assert, await get('/v1/agencies?q='), 400, 'q');
    const long = await get(`/v1/agencies?q=${'a'.repeat(20001)}`);
    assertProblem(assert, long, 400, 'q');
    assert.equal(long.json.errors[0].message, 'is too long (at most 20000 characters)');
    assert.equal((await get(`/v1/agencies?q=${'a'.repeat(20000)}`)).status, 200);
    assertProblem(assert, await get('/v1/agencies?archived=yes'), 400, 'archived');
    assertProblem(assert, await get('/v1/agencies?lang=xx_YY'), 400, 'lang');
  });

  it('filters by kind and by q over every language of the name, the slug and the acronym', async () => {
    await newAgency({ slug: 'jogorku-kenesh', kind: 'parliament', name: { ky: 'Жогорку Кеңеш', ru: 'Жогорку Кенеш', en: 'Parliament of the Kyrgyz Republic' }, acronym: 'JK' });
    await newAgency({ slug: 'mvd', kind: 'ministry', name: { ru: 'Министерство внутренних дел', en: 'Ministry of Internal Affairs' }, acronym: 'МВД' });
    await newAgency({ slug: 'percent', kind: 'business', name: { en: '100% Business_Co' } });
    assert.deepEqual(await allSlugs('&kind=parliament'), ['jogorku-kenesh', 'kind-parliament']);
    assert.ok((await allSlugs('&kind=ministry')).includes('mvd'));
    assert.ok(!(await allSlugs('&kind=ministry')).includes('jogorku-kenesh'));
    const q = async (text) => allSlugs(`&q=${encodeURIComponent(text)}`);
    assert.deepEqual(await q('жогорку'), ['jogorku-kenesh'], 'Cyrillic, case-insensitive');
    assert.deepEqual(await q('КЕҢЕШ'), ['jogorku-kenesh']);
    assert.deepEqual(await q('kyrgyz REPUBLIC'), ['jogorku-kenesh'], 'the English name');
    assert.deepEqual(await q('jogorku-k'), ['jogorku-kenesh'], 'the slug');
    assert.deepEqual(await q('мвд'), ['mvd'], 'the acronym, case-insensitive');
    assert.deepEqual(await q('внутренних'), ['mvd']);
    assert.deepEqual(await q('%'), ['percent'], '% is a plain character');
    assert.deepEqual(await q('s_c'), ['percent']);
    assert.deepEqual(await q('100_'), [], '_ is a plain character');
    assert.deepEqual(await q('Business_Co'), ['percent']);
    assert.deepEqual(await q("'; DROP TABLE agencies; --"), []);
    assert.deepEqual(await q('ministry of'), ['mchs', 'mvd']);
    assert.deepEqual(await allSlugs('&q=ministry&kind=parliament'), []);
  });

  it('archives and unarchives: no body, no If-Match, repeat is a no-op 200', async () => {
    const a = (await newAgency({ slug: 'to-archive', kind: 'state_agency' })).json;
    const r = await post('/v1/agencies/to-archive/archive');
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.archived_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(r.json.version, 2);
    assert.match(r.headers.get('etag'), /^"2-/);
    const again = await post(`/v1/agencies/${a.id}/archive`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, r.json, 'a repeat changes nothing');
    // readable by id and slug, out of the default list, in ?archived=true only
    assert.equal((await get('/v1/agencies/to-archive')).json.archived_at, r.json.archived_at);
    assert.equal((await get(`/v1/agencies/${a.id}`)).status, 200);
    assert.ok(!(await allSlugs()).includes('to-archive'));
    const archived = await allSlugs('&archived=true');
    assert.ok(archived.includes('to-archive'));
    assert.ok(!archived.includes('mchs'), 'only archived ones');
    assert.ok((await allSlugs('&archived=false')).includes('mchs'));
    assert.ok((await allSlugs('&archived=true&q=archive&kind=state_agency')).includes('to-archive'));
    const un = await post('/v1/agencies/to-archive/unarchive');
    assert.equal(un.status, 200);
    assert.equal(un.json.archived_at, null);
    assert.equal(un.json.version, 3);
    const un2 = await post('/v1/agencies/to-archive/unarchive');
    assert.equal(un2.json.version, 3);
    assert.ok((await allSlugs()).includes('to-archive'));
    // body and auth rules
    assertProblem(assert, await post('/v1/agencies/to-archive/archive', { reason: 'x' }), 400);
    const emptyObject = await post('/v1/agencies/to-archive/archive', {});
    assert.equal(emptyObject.status, 200, 'an empty object is tolerated');
    for (const action of ['archive', 'unarchive']) {
      const noToken = await post(`/v1/agencies/to-archive/${action}`, undefined, null);
      assertProblem(assert, noToken, 401);
      assert.equal(noToken.headers.get('www-authenticate'), 'Bearer');
      assertProblem(assert, await post(`/v1/agencies/${UNKNOWN}/${action}`, undefined, null), 401);
      assertProblem(assert, await post(`/v1/agencies/${UNKNOWN}/${action}`, undefined, monitor), 404);
      assertProblem(assert, await post(`/v1/agencies/BAD_SLUG/${action}`, undefined, monitor), 404);
      assertProblem(assert, await post(`/v1/agencies/to-archive/${action}`, undefined, monitor), 403);
      assertProblem(assert, await post(`/v1/agencies/to-archive/${action}`, undefined, agencyToken), 403);
      assert.equal((await post(`/v1/agencies/to-archive/${action}`, undefined, admin)).status, 200);
    }
    assertProblem(assert, await server.request('GET', '/v1/agencies/to-archive/archive'), 405);
  });

  it('patches with If-Match: 428 without, 412 stale, 200 with the new representation', async () => {
    const created = await newAgency({ slug: 'patchable', acronym: 'P', website: 'http://example.org' });
    const url = '/v1/agencies/patchable';
    const etag = created.headers.get('etag');
    assertProblem(assert, await patch(url, { acronym: 'Q' }), 428);
    assertProblem(assert, await patch(url, { acronym: 'Q' }, '"9-abc"'), 412);
    const r = await patch(url, { acronym: null, website: null, kind: 'state_agency', name: { ru: 'Агентство' } }, etag);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.acronym, null);
    assert.equal(r.json.website, null);
    assert.equal(r.json.kind, 'state_agency');
    assert.deepEqual(r.json.name, { ru: 'Агентство' }, 'a localized object is replaced whole');
    assert.equal(r.json.version, 2);
    assert.ok(r.json.updated_at > created.json.updated_at);
    assertProblem(assert, await patch(url, { acronym: 'Q' }, etag), 412);
    assert.equal((await get(url)).json.acronym, null, 'nothing written on 412');
    // the ETag of another language's representation of the current version works
    const en = await get(`${url}?lang=en`);
    assert.equal(en.json.name, 'Агентство');
    const r2 = await patch(url, { acronym: 'AG' }, en.headers.get('etag'));
    assert.equal(r2.status, 200, r2.text);
    // a PATCH that changes nothing keeps the version and the ETag
    const r3 = await patch(url, {}, r2.headers.get('etag'));
    assert.equal(r3.status, 200);
    assert.equal(r3.json.version, 3);
    assert.equal(r3.headers.get('etag'), r2.headers.get('etag'));
    const r4 = await patch(url, { acronym: 'AG', name: { ru: 'Агентство' } }, r2.headers.get('etag'));
    assert.equal(r4.json.version, 3);
    // an archived agency can still be edited
    await post(`${url}/archive`);
    const r5 = await patch(url, { acronym: 'AR' }, '*');
    assert.equal(r5.status, 200);
    assert.notEqual(r5.json.archived_at, null);
  });

  it('requires a token and the editor role, in the order 401, 404, 403', async () => {
    const body = { slug: 'auth-test', name: { en: 'x' }, kind: 'other' };
    const noToken = await post('/v1/agencies', body, null);
    assertProblem(assert, noToken, 401);
    assert.equal(noToken.headers.get('www-authenticate'), 'Bearer');
    assertProblem(assert, await post('/v1/agencies', body, 'bogus'), 401);
    assertProblem(assert, await post('/v1/agencies', body, monitor), 403);
    assertProblem(assert, await post('/v1/agencies', body, agencyToken), 403);
    assert.equal((await post('/v1/agencies', body, admin)).status, 201);
    const etag = (await get('/v1/agencies/auth-test')).headers.get('etag');
    assertProblem(assert, await patch('/v1/agencies/auth-test', { acronym: 'A' }, etag, null), 401);
    assertProblem(assert, await patch(`/v1/agencies/${UNKNOWN}`, { acronym: 'A' }, etag, null), 401);
    assertProblem(assert, await patch(`/v1/agencies/${UNKNOWN}`, { acronym: 'A' }, etag, monitor), 404);
    assertProblem(assert, await patch('/v1/agencies/auth-test', { acronym: 'A' }, etag, monitor), 403);
    assertProblem(assert, await patch('/v1/agencies/mchs', { acronym: 'A' }, etag, agencyToken), 403, undefined);
    assertProblem(assert, await get('/v1/agencies', { token: 'bogus' }), 401);
    assertProblem(assert, await get('/v1/agencies/auth-test', { token: 'bogus' }), 401);
    assert.equal((await get('/v1/agencies/auth-test', { token: monitor })).status, 200);
    assert.equal((await get('/v1/agencies/auth-test')).json.acronym, null, 'nothing was written');
  });

  it('answers 404 for malformed and unknown ids and slugs', async () => {
    for (const ref of [UNKNOWN, 'no-such', 'Not_A_Slug', '%27%3B%20DROP%20TABLE%20agencies%3B%20--', 'a'.repeat(81), `${UNKNOWN}0`]) {
      assertProblem(assert, await get(`/v1/agencies/${ref}`), 404);
      assertProblem(assert, await patch(`/v1/agencies/${ref}`, {}, '*'), 404);
    }
    const d = await server.request('DELETE', '/v1/agencies/mchs', { token: editor });
    assertProblem(assert, d, 405);
    assert.match(d.headers.get('allow'), /PATCH/);
  });

  it('validates members, naming each by its JSON Pointer', async () => {
    const ok = { slug: 'valid', name: { en: 'x' }, kind: 'other' };
    const bad = async (body, field) => assertProblem(assert, await post('/v1/agencies', body), 400, field);
    await bad({ name: { en: 'x' }, kind: 'other' }, '/slug');
    await bad({ slug: 'x', kind: 'other' }, '/name');
    await bad({ slug: 'x', name: { en: 'x' } }, '/kind');
    await bad({ ...ok, slug: '' }, '/slug');
    await bad({ ...ok, slug: 'Upper' }, '/slug');
    await bad({ ...ok, slug: 'a--b' }, '/slug');
    await bad({ ...ok, slug: 'a'.repeat(81) }, '/slug');
    await bad({ ...ok, slug: 12 }, '/slug');
    await bad({ ...ok, name: 'Name' }, '/name');
    await bad({ ...ok, name: {} }, '/name');
    await bad({ ...ok, name: { en: '' } }, '/name/en');
    await bad({ ...ok, name: { EN: 'x' } }, '/name/EN');
    await bad({ ...ok, name: { en: LONG } }, '/name/en');
    await bad({ ...ok, acronym: '' }, '/acronym');
    await bad({ ...ok, acronym: LONG }, '/acronym');
    await bad({ ...ok, acronym: ['A'] }, '/acronym');
    for (const website of ['ftp://example.org', 'example.org', 'javascript:alert(1)', 'http://', 'http://a b', 7]) {
      await bad({ ...ok, website }, '/website');
    }
    await bad({ ...ok, parent: 'mchs' }, '/parent');
    await bad({ ...ok, unknown: 1 }, '/unknown');
    for (const ro of ['id', 'archived_at', 'created_at', 'updated_at', 'version']) await bad({ ...ok, [ro]: null }, `/${ro}`);
    // malformed bodies
    const raw = (text, type = 'application/json') => post('/v1/agencies', text, editor, { 'Content-Type': type });
    assertProblem(assert, await raw('{"slug": '), 400);
    assertProblem(assert, await raw('[]'), 400);
    assertProblem(assert, await raw('null'), 400);
    assertProblem(assert, await raw('{"slug": "a", "slug": "b"}'), 400);
    assertProblem(assert, await raw('{"slug": "\\ud800"}'), 400);
    assertProblem(assert, await raw(JSON.stringify(ok), 'text/plain'), 415);
    // patch: nothing may be nulled that is required, read-only members refused
    const etag = (await get('/v1/agencies/mchs')).headers.get('etag');
    for (const [body, field] of [[{ slug: null }, '/slug'], [{ name: null }, '/name'], [{ kind: null }, '/kind'],
      [{ kind: 'nope' }, '/kind'], [{ id: UNKNOWN }, '/id'], [{ version: 2 }, '/version'], [{ archived_at: null }, '/archived_at'],
      [{ website: 'mailto:x@y.z' }, '/website']]) {
      assertProblem(assert, await patch('/v1/agencies/mchs', body, etag), 400, field);
    }
    assertProblem(assert, await get('/v1/agencies/valid'), 404, undefined);
  });

  it('text limits count characters and are those of a bundle: acronym 100, website 2,048; refused with the limit', async () => {
    // astral emoji (two UTF-16 units, four bytes each) and Cyrillic URLs: only a count of characters passes both
    const acronym = textOf(100, true);
    const website = urlOf(2048);
    const r = await newAgency({ slug: 'at-the-limits', acronym, website });
    assert.equal(r.json.acronym, acronym);
    assert.equal(r.json.website, website);
    const tooLong = async (body, field, max) => {
      assertTooLong(assert, await post('/v1/agencies', { slug: 'over-the-limits', name: { en: 'x' }, kind: 'other', ...body }), field, max);
      const etag = (await get('/v1/agencies/at-the-limits')).headers.get('etag');
      assertTooLong(assert, await patch('/v1/agencies/at-the-limits', body, etag), field, max);
    };
    await tooLong({ acronym: textOf(101, true) }, '/acronym', 100);
    await tooLong({ acronym: 'A'.repeat(20000) }, '/acronym', 100);
    await tooLong({ website: urlOf(2049) }, '/website', 2048);
    await tooLong({ website: `https://${'a'.repeat(20000)}` }, '/website', 2048);
    await tooLong({ name: { ru: textOf(20001) } }, '/name/ru', 20000);
    assertProblem(assert, await get('/v1/agencies/over-the-limits'), 404);
    const stored = (await get('/v1/agencies/at-the-limits')).json;
    assert.equal(stored.acronym, acronym);
    assert.equal(stored.website, website);
  });

  it('renders ?lang without the source_language step, with per-language ETags and 304', async () => {
    await newAgency({ slug: 'langs', name: { ru: 'Русский', ky: 'Кыргызча' } });
    const name = async (lang) => (await get(`/v1/agencies/langs?lang=${lang}`)).json.name;
    assert.equal(await name('ru'), 'Русский');
    assert.equal(await name('ru-KG'), 'Русский');
    assert.equal(await name('fr'), 'Кыргызча', 'the alphabetically first key');
    await newAgency({ slug: 'langs-en', name: { ru: 'Русский', en: 'English' } });
    assert.equal((await get('/v1/agencies/langs-en?lang=ky')).json.name, 'English');
    // language tags are case-insensitive (RFC 5646): the region's case does not matter either way
    await newAgency({ slug: 'regional-names', name: { en: 'English', ru: 'Русский', 'ru-KG': 'Кыргызстанча', 'uz-latn': 'Oʻzbekcha' } });
    for (const [lang, want] of [['ru-KG', 'Кыргызстанча'], ['ru-kg', 'Кыргызстанча'], ['ru-Kg', 'Кыргызстанча'],
      ['ru-UA', 'Русский'], ['uz-Latn', 'Oʻzbekcha'], ['uz-LATN', 'Oʻzbekcha'], ['uz', 'English'],
      ['RU', 'Русский'], ['RU-KG', 'Кыргызстанча'], ['Ru-kG', 'Кыргызстанча'], ['EN', 'English']]) {
      assert.equal((await get(`/v1/agencies/regional-names?lang=${lang}`)).json.name, want, lang);
    }
    // a tag falls back along its own prefixes first (RFC 4647 lookup), the longest first
    await newAgency({ slug: 'script-names', name: { en: 'English', zh: '中文', 'zh-Hant': '繁體', 'sr-Latn': 'Srpski' } });
    for (const [lang, want] of [['zh-Hant-TW', '繁體'], ['zh-hant-tw', '繁體'], ['zh-Hans-CN', '中文'], ['zh-TW', '中文'],
      ['sr-Latn-RS', 'Srpski'], ['sr-Latn-RS-x1', 'Srpski'], ['sr-Cyrl-RS', 'English'], ['zh-Hant', '繁體']]) {
      assert.equal((await get(`/v1/agencies/script-names?lang=${lang}`)).json.name, want, lang);
    }
    // two keys of one language but for case would make ?lang ambiguous: refused, naming the later
    assertProblem(assert, await post('/v1/agencies', { slug: 'case-twins', name: { en: 'E', 'ru-KG': 'A', 'ru-kg': 'B' }, kind: 'other' }),
      400, '/name/ru-kg');
    const list = await get('/v1/agencies?q=langs&lang=fr');
    assert.deepEqual(list.json.items.map((a) => a.name), ['Кыргызча', 'English']);
    const a = await get('/v1/agencies/langs');
    const b = await get('/v1/agencies/langs?lang=ru');
    assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
    const nm = await get('/v1/agencies/langs?lang=ru', { headers: { 'If-None-Match': b.headers.get('etag') } });
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
    const l = await get('/v1/agencies?kind=ministry');
    assert.equal((await get('/v1/agencies?kind=ministry', { headers: { 'If-None-Match': l.headers.get('etag') } })).status, 304);
  });

  it('stores SQL metacharacters and Cyrillic verbatim', async () => {
    const name = { en: "'; DROP TABLE agencies; --", ru: 'Министерство «юстиции» — ёЁ', ky: 'Юстиция министрлиги ңөү' };
    const a = (await newAgency({ slug: 'sql-chars', name, acronym: "O'Brien \\ %_" })).json;
    const g = await get(`/v1/agencies/${a.id}`);
    assert.deepEqual(g.json.name, name);
    assert.equal(g.json.acronym, "O'Brien \\ %_");
    assert.ok(g.text.includes('Министерство «юстиции» — ёЁ'), 'byte-exact, not escaped');
    assert.deepEqual(await allSlugs(`&q=${encodeURIComponent("O'Brien")}`), ['sql-chars']);
    assert.equal(sql(server.db, 'SELECT count(*) > 0 FROM agencies'), 't');
  });
});
