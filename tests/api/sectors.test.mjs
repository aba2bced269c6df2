// Sectors: /v1/resolutions/{id}/sectors and /v1/sectors/{id} (API.md §1, §3).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, sql, rawRequest, forgeCursor } from './harness.mjs';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const LONG = 'x'.repeat(20001);

describe('sectors', () => {
  let server, editor, admin, monitor, res1, res2;

  const post = (path, body, token = editor, headers = {}) => server.request('POST', path, { token, body, headers });
  const get = (path, options = {}) => server.request('GET', path, options);
  const patch = (path, body, etag, token = editor) =>
    server.request('PATCH', path, { token, body, headers: etag ? { 'If-Match': etag } : {} });

  async function newResolution(slug, extra = {}) {
    const r = await post('/v1/resolutions', { slug, title: { en: `Resolution ${slug}` }, adopted_on: '2021-11-15', ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json;
  }

  async function newSector(resolution, body) {
    const r = await post(`/v1/resolutions/${resolution}/sectors`, body);
    assert.equal(r.status, 201, r.text);
    return r;
  }

  before(async () => {
    server = await startServer();
    [editor, admin, monitor] = await Promise.all([server.token('editor'), server.token('admin'), server.token('monitor')]);
    res1 = await newResolution('dialogue-2021', { source_language: 'ru' });
    res2 = await newResolution('other-2022');
  });
  after(async () => { await server.stop(); });

  it('creates a sector with its representation, Location and ETag', async () => {
    const r = await newSector(res1.slug, {
      code: 'PS', title: { ru: 'Общественная безопасность', ky: 'Коомдук коопсуздук', en: 'Public security' },
      participants: ['Ministry of Emergency Situations', 'Айыл окмоту'],
    });
    const s = r.json;
    assert.deepEqual(Object.keys(s).sort(), ['code', 'created_at', 'id', 'participants', 'position', 'recommendations_count',
      'resolution_id', 'title', 'updated_at', 'version'].sort());
    assert.equal(s.resolution_id, res1.id);
    assert.equal(s.code, 'PS');
    assert.equal(s.position, 1, 'the first sector goes to position 1');
    assert.deepEqual(s.participants, ['Ministry of Emergency Situations', 'Айыл окмоту']);
    assert.equal(s.recommendations_count, 0);
    assert.equal(s.version, 1);
    assert.match(s.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(s.created_at, s.updated_at);
    assert.equal(r.headers.get('location'), `/v1/sectors/${s.id}`);
    assert.match(r.headers.get('etag'), /^"1-/);
    const g = await get(`/v1/sectors/${s.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, s);
  });

  it('puts a sector without position after the last one; null means the same; participants default empty', async () => {
    const r = await newSector(res2.id, { code: 'A', title: { en: 'A' }, position: 10 });
    assert.equal(r.json.position, 10);
    const b = await newSector(res2.id, { code: 'B', title: { en: 'B' } });
    assert.equal(b.json.position, 11);
    assert.deepEqual(b.json.participants, []);
    const c = await newSector(res2.id, { code: 'C', title: { en: 'C' }, position: null, participants: [] });
    assert.equal(c.json.position, 12);
    const z = await newSector(res2.id, { code: 'Z', title: { en: 'Z' }, position: -5 });
    assert.equal(z.json.position, -5);
  });

  it('lists sectors by position, then code, by id or slug of the resolution', async () => {
    const slug = 'ordering';
    const res = await newResolution(slug);
    await newSector(slug, { code: 'b', title: { en: 'b' }, position: 2 });
    await newSector(slug, { code: 'B', title: { en: 'B' }, position: 2 });
    await newSector(slug, { code: 'A', title: { en: 'A' }, position: 2 });
    await newSector(slug, { code: 'Z', title: { en: 'Z' }, position: 1 });
    await newSector(slug, { code: 'GI', title: { en: 'GI' }, position: 3 });
    for (const ref of [slug, res.id]) {
      const r = await get(`/v1/resolutions/${ref}/sectors`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.items.map((s) => s.code), ['Z', 'A', 'B', 'b', 'GI']);
      assert.equal(r.json.next_cursor, null);
      assert.equal(r.headers.get('link'), null);
      assert.ok(r.headers.get('etag'));
    }
    const other = await get(`/v1/resolutions/${res2.slug}/sectors`);
    assert.deepEqual(other.json.items.map((s) => s.code), ['Z', 'A', 'B', 'C']);
    const empty = await newResolution('no-sectors');
    const e = await get(`/v1/resolutions/${empty.id}/sectors`);
    assert.deepEqual(e.json, { items: [], next_cursor: null });
  });

  it('walks every page once, with Link headers, and sees a sector inserted meanwhile', async () => {
    const slug = 'paging';
    await newResolution(slug);
    for (let i = 0; i < 7; i++) await newSector(slug, { code: `S${i}`, title: { en: `S${i}` }, position: i % 3 });
    const seen = [];
    let url = `/v1/resolutions/${slug}/sectors?limit=2&lang=en`;
    let pages = 0, inserted = false;
    while (url) {
      const r = await get(url);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 2);
      seen.push(...r.json.items.map((s) => s.code));
      pages++;
      if (!inserted) {
        // lands after the cursor: must be seen exactly once
        await newSector(slug, { code: 'S9', title: { en: 'S9' }, position: 5 });
        inserted = true;
      }
      if (r.json.next_cursor) {
        const link = r.headers.get('link');
        assert.match(link, /rel="next"/);
        const target = link.match(/<([^>]+)>/)[1];
        assert.ok(target.includes('limit=2') && target.includes('lang=en'));
        assert.ok(target.includes(`cursor=${r.json.next_cursor}`));
        url = target;
      } else {
        assert.equal(r.headers.get('link'), null);
        url = null;
      }
    }
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen).size, 8);
    assert.deepEqual(seen, ['S0', 'S3', 'S6', 'S1', 'S4', 'S2', 'S5', 'S9']);
    assert.equal(pages, 4);
  });

  it('rejects bad list parameters', async () => {
    const base = `/v1/resolutions/${res1.slug}/sectors`;
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'limit=1.5']) {
      assertProblem(assert, await get(`${base}?${q}`), 400, 'limit');
    }
    for (const c of ['garbage', 'eyJhIjoxfQ', '!!!']) {
      assertProblem(assert, await get(`${base}?cursor=${c}`), 400, 'cursor');
    }
    // keys of the wrong shape behind the right tag (of the list with pages, from the test above)
    const paging = '/v1/resolutions/paging/sectors';
    const real = (await get(`${paging}?limit=1`)).json.next_cursor;
    for (const key of [{ a: 1 }, ['x', 'PS'], [1], [1, 'a', 'b']]) {
      assertProblem(assert, await get(`${paging}?cursor=${forgeCursor(real, key)}`), 400, 'cursor');
    }
    assertProblem(assert, await get(`${base}?lang=english`), 400, 'lang');
    assertProblem(assert, await get(`${base}?lang=`), 400, 'lang');
    const ok = await get(`${base}?limit=200`);
    assert.equal(ok.status, 200);
  });

  it('answers 404 for a malformed or unknown resolution in the path', async () => {
    for (const ref of [UNKNOWN, 'no-such-resolution', 'not%20a%20slug', '%27%3B%20DROP%20TABLE%20sectors%3B%20--', 'x'.repeat(200)]) {
      assertProblem(assert, await get(`/v1/resolutions/${ref}/sectors`), 404);
      assertProblem(assert, await post(`/v1/resolutions/${ref}/sectors`, { code: 'X', title: { en: 'x' } }), 404);
    }
  });

  it('gets a sector by id; malformed and unknown ids are 404; other methods 405', async () => {
    for (const id of [UNKNOWN, 'PS', 'abc', '123', `${UNKNOWN}x`]) {
      assertProblem(assert, await get(`/v1/sectors/${id}`), 404);
      assertProblem(assert, await patch(`/v1/sectors/${id}`, {}, '"1-x"'), 404);
    }
    const list = await get(`/v1/resolutions/${res1.slug}/sectors`);
    const id = list.json.items[0].id;
    const d = await server.request('DELETE', `/v1/sectors/${id}`, { token: editor });
    assertProblem(assert, d, 405);
    assert.match(d.headers.get('allow'), /GET/);
    assert.match(d.headers.get('allow'), /PATCH/);
    const put = await server.request('PUT', `/v1/resolutions/${res1.slug}/sectors`, { token: editor, body: {} });
    assertProblem(assert, put, 405);
  });

  it('renders ?lang with the resolution\'s source_language in the fallback', async () => {
    const res = await newResolution('langs', { source_language: 'ru' });
    const s = (await newSector(res.slug, { code: 'L', title: { ru: 'Русский', ky: 'Кыргызча' } })).json;
    const t = async (lang) => (await get(`/v1/sectors/${s.id}?lang=${lang}`)).json.title;
    assert.equal(await t('ky'), 'Кыргызча');
    assert.equal(await t('ru'), 'Русский');
    assert.equal(await t('ru-KG'), 'Русский');
    assert.equal(await t('fr'), 'Русский', 'source_language ru before the alphabetically first ky');
    assert.equal(await t('en'), 'Русский');
    // without a source language: the alphabetically first key
    const plain = (await newSector(res2.slug, { code: 'L', title: { ru: 'Русский', ky: 'Кыргызча' } })).json;
    assert.equal((await get(`/v1/sectors/${plain.id}?lang=fr`)).json.title, 'Кыргызча');
    // en comes before the source language
    const withEn = (await newSector(res.slug, { code: 'E', title: { ru: 'Русский', en: 'English' } })).json;
    assert.equal((await get(`/v1/sectors/${withEn.id}?lang=fr`)).json.title, 'English');
    const list = await get(`/v1/resolutions/${res.slug}/sectors?lang=fr`);
    assert.deepEqual(list.json.items.map((x) => x.title), ['Русский', 'English']);
    assertProblem(assert, await get(`/v1/sectors/${s.id}?lang=1x`), 400, 'lang');
  });

  it('answers ETags per language, 304 on If-None-Match', async () => {
    const s = (await newSector(res2.slug, { code: 'ET', title: { en: 'Etag', ru: 'Тег' } })).json;
    const a = await get(`/v1/sectors/${s.id}`);
    const b = await get(`/v1/sectors/${s.id}?lang=ru`);
    assert.ok(a.headers.get('etag') && b.headers.get('etag'));
    assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
    const nm = await get(`/v1/sectors/${s.id}`, { headers: { 'If-None-Match': a.headers.get('etag') } });
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
    const l = await get(`/v1/resolutions/${res2.slug}/sectors`);
    const lnm = await get(`/v1/resolutions/${res2.slug}/sectors`, { headers: { 'If-None-Match': l.headers.get('etag') } });
    assert.equal(lnm.status, 304);
  });

  it('patches with If-Match: 428 without, 412 stale, 200 with the new representation', async () => {
    const s = (await newSector(res2.slug, { code: 'P1', title: { en: 'Patch me' } })).json;
    const url = `/v1/sectors/${s.id}`;
    const g = await get(url);
    const etag = g.headers.get('etag');
    assertProblem(assert, await patch(url, { title: { en: 'New' } }), 428);
    assertProblem(assert, await patch(url, { title: { en: 'New' } }, '"7-abc"'), 412);
    assertProblem(assert, await patch(url, { title: { en: 'New' } }, 'garbage'), 412);
    const r = await patch(url, { title: { en: 'New', ru: 'Новый' }, position: 42, participants: ['a', 'b'], code: 'P1-NEW' }, etag);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.title, { en: 'New', ru: 'Новый' });
    assert.equal(r.json.position, 42);
    assert.equal(r.json.code, 'P1-NEW');
    assert.deepEqual(r.json.participants, ['a', 'b']);
    assert.equal(r.json.version, 2);
    assert.ok(r.json.updated_at > s.updated_at);
    assert.equal(r.json.created_at, s.created_at);
    assert.match(r.headers.get('etag'), /^"2-/);
    // the old ETag is stale now and nothing is written
    assertProblem(assert, await patch(url, { position: 1 }, etag), 412);
    assert.equal((await get(url)).json.position, 42);
    // the ETag of another language representation of the current version is accepted
    const ru = await get(`${url}?lang=ru`);
    const r2 = await patch(url, { title: { ru: 'Только русский' } }, ru.headers.get('etag'));
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(r2.json.title, { ru: 'Только русский' }, 'a localized object is replaced whole');
    assert.equal(r2.json.version, 3);
    // "*" matches any version
    const r3 = await patch(url, { participants: [] }, '*');
    assert.equal(r3.status, 200, r3.text);
    assert.deepEqual(r3.json.participants, []);
  });

  it('keeps the version when a PATCH changes nothing', async () => {
    const s = (await newSector(res2.slug, { code: 'NOOP', title: { en: 'Same' }, position: 3 })).json;
    const url = `/v1/sectors/${s.id}`;
    const etag = (await get(url)).headers.get('etag');
    const r = await patch(url, {}, etag);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 1);
    assert.equal(r.json.updated_at, s.updated_at);
    assert.equal(r.headers.get('etag'), etag);
    const same = await patch(url, { title: { en: 'Same' }, position: 3, code: 'NOOP' }, etag);
    assert.equal(same.status, 200);
    assert.equal(same.json.version, 1);
  });

  it('answers 409 for a code taken in the same resolution, on create and on patch', async () => {
    const res = await newResolution('codes');
    await newSector(res.slug, { code: 'GI', title: { en: 'x' } });
    const s = (await newSector(res.slug, { code: 'EA', title: { en: 'y' } })).json;
    assertProblem(assert, await post(`/v1/resolutions/${res.slug}/sectors`, { code: 'GI', title: { en: 'z' } }), 409, '/code');
    const etag = (await get(`/v1/sectors/${s.id}`)).headers.get('etag');
    assertProblem(assert, await patch(`/v1/sectors/${s.id}`, { code: 'GI' }, etag), 409, '/code');
    assert.equal((await get(`/v1/sectors/${s.id}`)).json.code, 'EA');
    // the same code in another resolution is fine; codes are case-sensitive
    await newSector(res1.slug, { code: 'GI', title: { en: 'x' } });
    await newSector(res.slug, { code: 'gi', title: { en: 'x' } });
  });

  it('requires a token and the editor role, in the order 401, 404, 403', async () => {
    const body = { code: 'AUTH', title: { en: 'x' } };
    const path = `/v1/resolutions/${res1.slug}/sectors`;
    const noToken = await post(path, body, null);
    assertProblem(assert, noToken, 401);
    assert.equal(noToken.headers.get('www-authenticate'), 'Bearer');
    assertProblem(assert, await post(path, body, 'bogus-token'), 401);
    assertProblem(assert, await post(`/v1/resolutions/${UNKNOWN}/sectors`, body, null), 401);
    assertProblem(assert, await post(`/v1/resolutions/${UNKNOWN}/sectors`, body, monitor), 404);
    assertProblem(assert, await post(path, body, monitor), 403);
    const s = (await post(path, body, admin));
    assert.equal(s.status, 201, 'an admin may do what an editor may');
    const url = `/v1/sectors/${s.json.id}`;
    const etag = s.headers.get('etag');
    assertProblem(assert, await patch(url, { position: 9 }, etag, null), 401);
    assertProblem(assert, await patch(url, { position: 9 }, etag, 'bogus'), 401);
    assertProblem(assert, await patch(`/v1/sectors/${UNKNOWN}`, { position: 9 }, etag, monitor), 404);
    assertProblem(assert, await patch(url, { position: 9 }, etag, monitor), 403);
    // a GET works without a token but checks one that is sent
    assert.equal((await get(url)).status, 200);
    assertProblem(assert, await get(url, { token: 'bogus' }), 401);
    assertProblem(assert, await get(path, { token: 'bogus' }), 401);
    assert.equal((await get(url)).json.position, s.json.position, 'nothing was written');
  });

  it('answers 415, 413 and 400 for bodies that cannot be read', async () => {
    const path = `/v1/resolutions/${res1.slug}/sectors`;
    const s = (await newSector(res1.slug, { code: 'BODY', title: { en: 'x' } }));
    const url = `/v1/sectors/${s.json.id}`;
    const etag = s.headers.get('etag');
    for (const send of [
      (body, headers) => post(path, body, editor, headers),
      (body, headers) => server.request('PATCH', url, { token: editor, body, headers: { 'If-Match': etag, ...headers } }),
    ]) {
      assertProblem(assert, await send('{"code": "X", ', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('[1, 2]', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('"text"', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('{"code": "A", "code": "B"}', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('{"code": "A\\u0000"}', { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), { 'Content-Type': 'application/json' }), 400);
      assertProblem(assert, await send('{"code": "X"}', { 'Content-Type': 'text/plain' }), 415);
    }
    // a declared body over 1 MiB from a client that waits for 100 Continue: refused before it is sent
    for (const line of [`POST ${path}`, `PATCH ${url}`]) {
      const out = await rawRequest(server.port,
        `${line} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${editor}\r\nIf-Match: ${etag}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 413 /);
      assert.match(out, /application\/problem\+json/);
    }
    assert.equal((await get(url)).json.version, 1);
  });

  it('validates members on create, naming each by its JSON Pointer', async () => {
    const path = `/v1/resolutions/${res1.slug}/sectors`;
    const bad = async (body, field) => assertProblem(assert, await post(path, body), 400, field);
    await bad({ title: { en: 'x' } }, '/code');
    await bad({ code: 'X' }, '/title');
    await bad({}, '/code');
    await bad({ code: '', title: { en: 'x' } }, '/code');
    await bad({ code: 'P S', title: { en: 'x' } }, '/code');
    await bad({ code: '-PS', title: { en: 'x' } }, '/code');
    await bad({ code: 'A'.repeat(21), title: { en: 'x' } }, '/code');
    await bad({ code: 7, title: { en: 'x' } }, '/code');
    await bad({ code: null, title: { en: 'x' } }, '/code');
    await bad({ code: 'X', title: 'Public security' }, '/title');
    await bad({ code: 'X', title: {} }, '/title');
    await bad({ code: 'X', title: { en: '' } }, '/title/en');
    await bad({ code: 'X', title: { en: 5 } }, '/title/en');
    await bad({ code: 'X', title: { english: 'x' } }, '/title/english');
    await bad({ code: 'X', title: { en: LONG } }, '/title/en');
    await bad({ code: 'X', title: { en: 'x', ru: LONG } }, '/title/ru');
    await bad({ code: 'X', title: { en: 'x' }, position: 'first' }, '/position');
    await bad({ code: 'X', title: { en: 'x' }, position: 1.5 }, '/position');
    await bad({ code: 'X', title: { en: 'x' }, position: 2147483648 }, '/position');
    await bad({ code: 'X', title: { en: 'x' }, participants: 'a' }, '/participants');
    await bad({ code: 'X', title: { en: 'x' }, participants: [''] }, '/participants/0');
    await bad({ code: 'X', title: { en: 'x' }, participants: ['a', 3] }, '/participants/1');
    await bad({ code: 'X', title: { en: 'x' }, participants: null }, '/participants');
    await bad({ code: 'X', title: { en: 'x' }, colour: 'red' }, '/colour');
    await bad({ code: 'X', title: { en: 'x' }, 'a/b': 1 }, '/a~1b');
    for (const ro of ['id', 'resolution_id', 'recommendations_count', 'created_at', 'updated_at', 'version']) {
      await bad({ code: 'X', title: { en: 'x' }, [ro]: 1 }, `/${ro}`);
    }
    // every problem is named at once
    const r = await post(path, { code: '', title: {}, extra: 1 });
    assertProblem(assert, r, 400);
    assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['/code', '/extra', '/title']);
    const list = await get(`${path}?limit=200`);
    assert.ok(!list.json.items.some((s) => s.code === 'X'), 'nothing was written');
  });

  it('validates members on patch before the If-Match check', async () => {
    const s = (await newSector(res1.slug, { code: 'VAL', title: { en: 'x' } }));
    const url = `/v1/sectors/${s.json.id}`;
    const etag = s.headers.get('etag');
    const bad = async (body, field) => assertProblem(assert, await patch(url, body, etag), 400, field);
    await bad({ position: null }, '/position');
    await bad({ code: null }, '/code');
    await bad({ title: null }, '/title');
    await bad({ code: 'a b' }, '/code');
    await bad({ title: { en: LONG } }, '/title/en');
    await bad({ participants: {} }, '/participants');
    await bad({ resolution_id: res2.id }, '/resolution_id');
    await bad({ version: 5 }, '/version');
    await bad({ id: s.json.id }, '/id');
    await bad({ nope: true }, '/nope');
    // validation (400) comes before the missing If-Match (428)
    assertProblem(assert, await patch(url, { nope: true }), 400, '/nope');
    assert.equal((await get(url)).json.version, 1);
  });

  it('stores SQL metacharacters and Cyrillic verbatim', async () => {
    const title = { en: "'; DROP TABLE sectors; --", ru: 'Гендерный дисбаланс — «равенство» ёЁ', ky: 'Гендердик теңсиздик ңөү 😀' };
    const participants = ["Robert'); DROP TABLE students;--", '%_\\', 'Жогорку Кеңеш'];
    const s = (await newSector(res1.slug, { code: 'SQL', title, participants })).json;
    const g = await get(`/v1/sectors/${s.id}`);
    assert.deepEqual(g.json.title, title);
    assert.deepEqual(g.json.participants, participants);
    assert.ok(g.text.includes('Гендерный дисбаланс — «равенство» ёЁ'), 'byte-exact, not escaped');
    assert.equal((await get(`/v1/sectors/${s.id}?lang=ky`)).json.title, title.ky);
    assert.equal(sql(server.db, 'SELECT count(*) > 0 FROM sectors'), 't');
  });
});
