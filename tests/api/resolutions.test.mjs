// Resolutions: create, read by id and slug, list with keyset pages, patch with If-Match,
// archive/unarchive, validation and the order of checks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, assertTooLong, sql, forgeCursor, textOf, urlOf } from './harness.mjs';

const base = (slug, extra = {}) => ({ slug, title: { en: `Resolution ${slug}` }, adopted_on: '2021-11-15', ...extra });

describe('resolutions', () => {
  let server, editor, monitor;
  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    monitor = await server.token('monitor');
  });
  after(async () => { await server.stop(); });

  test('create answers 201 with Location, ETag and the whole representation', async () => {
    const body = base('bishkek-test', {
      title: { en: 'Community Leaders', ru: 'Лидеры сообществ' },
      summary: { en: 'A summary' }, venue: 'Novotel', city: 'Bishkek', country: 'KG',
      source_url: 'https://example.org/r', source_language: 'en',
      addressees: ['President'], organizers: ['Partnership'],
    });
    const r = await server.request('POST', '/v1/resolutions', { token: editor, body });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/v1/resolutions/${r.json.id}`);
    assert.match(r.headers.get('etag'), /^"1-[0-9a-f]+"$/);
    assert.deepEqual(r.json.title, body.title);
    assert.equal(r.json.version, 1);
    assert.equal(r.json.recommendations_count, 0);
    assert.equal(r.json.archived_at, null);
    assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const byId = await server.request('GET', `/v1/resolutions/${r.json.id}`);
    const bySlug = await server.request('GET', '/v1/resolutions/bishkek-test');
    assert.deepEqual(byId.json, r.json);
    assert.deepEqual(bySlug.json, r.json);
    const ru = await server.request('GET', '/v1/resolutions/bishkek-test?lang=ru-KG');
    assert.equal(ru.json.title, 'Лидеры сообществ');
    assert.equal(ru.json.summary, 'A summary');
    assert.notEqual(ru.headers.get('etag'), byId.headers.get('etag'));
  });

  test('writes need an editor token: 401 without, 401 with a bad token, 403 for a monitor', async () => {
    assertProblem(assert, await server.request('POST', '/v1/resolutions', { body: base('x1') }), 401);
    const bad = await server.request('POST', '/v1/resolutions', { token: 'trk_nope_nope_nope', body: base('x1') });
    assertProblem(assert, bad, 401);
    assert.match(bad.headers.get('www-authenticate'), /^Bearer/);
    assertProblem(assert, await server.request('POST', '/v1/resolutions', { token: monitor, body: base('x1') }), 403);
    assertProblem(assert, await server.request('GET', '/v1/resolutions', { token: 'trk_unknown_token_x' }), 401);
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'x1'"), '0');
  });

  test('bad bodies are 400 naming the member; wrong media type 415', async () => {
    const post = (body, headers) => server.request('POST', '/v1/resolutions', { token: editor, body, headers });
    assertProblem(assert, await post('{"slug": ', { 'Content-Type': 'application/json' }), 400);
    assertProblem(assert, await post('[]', { 'Content-Type': 'application/json' }), 400);
    assertProblem(assert, await post('', { 'Content-Type': 'application/json' }), 400);
    assertProblem(assert, await post('{"slug":"a","slug":"b"}', { 'Content-Type': 'application/json' }), 400);
    const nul = await post('{"slug":"a\\u0000"}', { 'Content-Type': 'application/json' });
    assertProblem(assert, nul, 400, '/slug');
    assert.match(nul.json.detail, /NUL/);
    assert.doesNotMatch(nul.text, /JSON_ALLOW_NUL/); // the JSON library's own flag name
    assertProblem(assert, await post(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), { 'Content-Type': 'application/json' }), 400);
    assertProblem(assert, await post(JSON.stringify(base('ok-1')), { 'Content-Type': 'text/plain' }), 415);
    // JSON is UTF-8: another declared charset is another media type (415); UTF-8 in any spelling is fine
    for (const type of ['application/json; charset=iso-8859-1', 'application/json;charset="utf-16"', 'application/json; foo=1; charset=latin1']) {
      assertProblem(assert, await post(JSON.stringify(base('ok-1')), { 'Content-Type': type }), 415);
    }
    for (const [i, type] of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'Application/JSON; foo=bar'].entries()) {
      const r = await post(JSON.stringify(base(`charset-${i}`)), { 'Content-Type': type });
      assert.equal(r.status, 201, `${type}: ${r.text}`);
    }
    assertProblem(assert, await post({ title: { en: 'x' }, adopted_on: '2021-01-01' }), 400, '/slug');
    assertProblem(assert, await post(base('Bad Slug')), 400, '/slug');
    assertProblem(assert, await post(base('s1', { adopted_on: '2021-02-30' })), 400, '/adopted_on');
    assertProblem(assert, await post(base('s1', { title: { en: '' } })), 400, '/title/en');
    assertProblem(assert, await post(base('s1', { title: { en: 'x'.repeat(20001) } })), 400, '/title/en');
    assertProblem(assert, await post(base('s1', { title: 'plain' })), 400, '/title');
    assertProblem(assert, await post(base('s1', { country: 'Kyrgyzstan' })), 400, '/country');
    assertProblem(assert, await post(base('s1', { country: 'XK' })), 400, '/country'); // not in ISO 3166-1
    // a slug shaped like a UUID would be read as an id in every path, so it is refused
    assertProblem(assert, await post(base('0f8fad5b-d9cb-469f-a165-70867728950e')), 400, '/slug');
    assertProblem(assert, await post(base('s1', { source_url: 'javascript:alert(1)' })), 400, '/source_url');
    assertProblem(assert, await post(base('s1', { addressees: 'x' })), 400, '/addressees');
    assertProblem(assert, await post(base('s1', { titel: { en: 'typo' } })), 400, '/titel');
    assertProblem(assert, await post(base('s1', { id: 'x' })), 400, '/id');
    assertProblem(assert, await post(base('s1', { version: 3 })), 400, '/version');
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug IN ('s1', 'ok-1')"), '0');
  });

  test('text limits count characters and are those of a bundle: venue, city 500, source_url 2,048, list items 1,000', async () => {
    const full = {
      venue: textOf(500, true), city: textOf(500), source_url: urlOf(2048),
      addressees: [textOf(1000, true), 'Кабинет'], organizers: [textOf(1000)],
    };
    const r = await server.request('POST', '/v1/resolutions', { token: editor, body: base('at-the-limits', full) });
    assert.equal(r.status, 201, r.text);
    for (const [k, v] of Object.entries(full)) assert.deepEqual(r.json[k], v, k);
    const over = [
      [{ venue: textOf(501, true) }, '/venue', 500],
      [{ city: textOf(501) }, '/city', 500],
      [{ source_url: urlOf(2049) }, '/source_url', 2048],
      [{ addressees: ['x', textOf(1001, true)] }, '/addressees/1', 1000],
      [{ organizers: [textOf(1001)] }, '/organizers/0', 1000],
      [{ title: { ky: textOf(20001, true) } }, '/title/ky', 20000],
      [{ summary: { ru: textOf(20001) } }, '/summary/ru', 20000],
    ];
    for (const [body, field, max] of over) {
      assertTooLong(assert, await server.request('POST', '/v1/resolutions', { token: editor, body: base('over-the-limits', body) }), field, max);
      const etag = (await server.request('GET', '/v1/resolutions/at-the-limits')).headers.get('etag');
      assertTooLong(assert, await server.request('PATCH', '/v1/resolutions/at-the-limits', { token: editor, body, headers: { 'If-Match': etag } }), field, max);
    }
    assert.equal(sql(server.db, "SELECT count(*) FROM resolutions WHERE slug = 'over-the-limits'"), '0');
    assert.equal((await server.request('GET', '/v1/resolutions/at-the-limits')).json.version, 1);
  });

  test('a duplicate slug is 409', async () => {
    assert.equal((await server.request('POST', '/v1/resolutions', { token: editor, body: base('dup') })).status, 201);
    assertProblem(assert, await server.request('POST', '/v1/resolutions', { token: editor, body: base('dup') }), 409);
  });

  test('SQL metacharacters and Cyrillic are stored and returned verbatim', async () => {
    const nasty = "Robert'); DROP TABLE resolutions; -- \\ \" % _ Ёлка";
    const r = await server.request('POST', '/v1/resolutions', {
      token: editor, body: base('nasty', { title: { en: nasty, ky: 'Кыргызча ө ү ң' }, venue: nasty, addressees: [nasty] }),
    });
    assert.equal(r.status, 201, r.text);
    const g = await server.request('GET', '/v1/resolutions/nasty');
    assert.equal(g.json.title.en, nasty);
    assert.equal(g.json.title.ky, 'Кыргызча ө ү ң');
    assert.equal(g.json.venue, nasty);
    assert.deepEqual(g.json.addressees, [nasty]);
  });

  test('malformed and unknown ids are 404', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'no-such-slug', 'bad%20id', "x'--", 'A'.repeat(300)]) {
      assertProblem(assert, await server.request('GET', `/v1/resolutions/${id}`), 404);
    }
  });

  test('PATCH needs If-Match: 428 without, 412 when stale, 200 with the new version', async () => {
    const c = await server.request('POST', '/v1/resolutions', { token: editor, body: base('patchme') });
    const etag = c.headers.get('etag');
    const url = '/v1/resolutions/patchme';
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { city: 'Osh' } }), 428);
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { city: 'Osh' }, headers: { 'If-Match': '"99-abc"' } }), 412);
    const ok = await server.request('PATCH', url, { token: editor, body: { city: 'Osh', summary: { ru: 'Кратко' } }, headers: { 'If-Match': etag } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.city, 'Osh');
    assert.equal(ok.json.version, 2);
    assert.notEqual(ok.headers.get('etag'), etag);
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { city: 'Naryn' }, headers: { 'If-Match': etag } }), 412);
    assert.equal(sql(server.db, "SELECT city FROM resolutions WHERE slug = 'patchme'"), 'Osh');
    // the ETag of another language representation of the same version is accepted
    const ru = await server.request('GET', `${url}?lang=ru`);
    const ok2 = await server.request('PATCH', url, { token: editor, body: { summary: null }, headers: { 'If-Match': ru.headers.get('etag') } });
    assert.equal(ok2.status, 200);
    assert.equal(ok2.json.summary, null);
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { version: 9 }, headers: { 'If-Match': ok2.headers.get('etag') } }), 400, '/version');
  });

  test('If-Match lists (RFC 9110): any current tag lets the PATCH through, "*" too; a no-op PATCH is not audited', async () => {
    const c = await server.request('POST', '/v1/resolutions', { token: editor, body: base('listed') });
    const url = '/v1/resolutions/listed';
    const current = c.headers.get('etag');
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { city: 'Osh' }, headers: { 'If-Match': '"7-aa", "8-bb"' } }), 412);
    // If-Match compares strongly: the current tag marked weak does not match
    assertProblem(assert, await server.request('PATCH', url, { token: editor, body: { city: 'Osh' }, headers: { 'If-Match': `W/${current}` } }), 412);
    const listed = await server.request('PATCH', url, { token: editor, body: { city: 'Osh' }, headers: { 'If-Match': `"7-aa", ${current}, W/"x"` } });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.version, 2);
    const star = await server.request('PATCH', url, { token: editor, body: { city: 'Naryn' }, headers: { 'If-Match': '*' } });
    assert.equal(star.status, 200, star.text);
    assert.equal(star.json.city, 'Naryn');
    const audited = () => Number(sql(server.db, `SELECT count(*) FROM audit_log WHERE entity_id = '${c.json.id}' AND action = 'update'`));
    assert.equal(audited(), 2);
    const same = await server.request('PATCH', url, { token: editor, body: { city: 'Naryn' }, headers: { 'If-Match': star.headers.get('etag') } });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json.version, star.json.version);
    assert.equal(audited(), 2);
  });

  test('order of checks: 401, then 404, then 403, then body', async () => {
    assertProblem(assert, await server.request('PATCH', '/v1/resolutions/nowhere', { body: {} }), 401);
    assertProblem(assert, await server.request('PATCH', '/v1/resolutions/nowhere', { token: monitor, body: {} }), 404);
    assertProblem(assert, await server.request('PATCH', '/v1/resolutions/dup', { token: monitor, body: '{', headers: { 'Content-Type': 'application/json' } }), 403);
    assertProblem(assert, await server.request('PATCH', '/v1/resolutions/dup', { token: editor, body: { nope: 1 } }), 400, '/nope');
  });

  test('archive and unarchive: lists hide archived ones unless ?archived=true; repeats are no-ops', async () => {
    await server.request('POST', '/v1/resolutions', { token: editor, body: base('old-one') });
    const a = await server.request('POST', '/v1/resolutions/old-one/archive', { token: editor });
    assert.equal(a.status, 200, a.text);
    assert.ok(a.json.archived_at);
    const again = await server.request('POST', '/v1/resolutions/old-one/archive', { token: editor });
    assert.equal(again.status, 200);
    assert.equal(again.json.archived_at, a.json.archived_at);
    assert.equal(again.json.version, a.json.version);
    const active = await server.request('GET', '/v1/resolutions?limit=200');
    assert.ok(!active.json.items.some((x) => x.slug === 'old-one'));
    const archived = await server.request('GET', '/v1/resolutions?archived=true');
    assert.deepEqual(archived.json.items.map((x) => x.slug), ['old-one']);
    assert.equal((await server.request('GET', '/v1/resolutions/old-one')).status, 200);
    assertProblem(assert, await server.request('GET', '/v1/resolutions?archived=maybe'), 400, 'archived');
    // a member is named as any unknown member (validation_failed); a body that is no object is unreadable here
    const member = await server.request('POST', '/v1/resolutions/old-one/unarchive', { token: editor, body: { x: 1 } });
    assertProblem(assert, member, 400, '/x');
    assert.equal(member.json.code, 'validation_failed');
    const array = await server.request('POST', '/v1/resolutions/old-one/unarchive', { token: editor, body: '[1]', headers: { 'Content-Type': 'application/json' } });
    assertProblem(assert, array, 400, '');
    assert.equal(array.json.code, 'bad_request');
    const u = await server.request('POST', '/v1/resolutions/old-one/unarchive', { token: editor });
    assert.equal(u.status, 200);
    assert.equal(u.json.archived_at, null);
    assertProblem(assert, await server.request('POST', '/v1/resolutions/old-one/archive', { token: monitor }), 403);
  });

  test('keyset pages: every item once, Link to the next page, bad limits and cursors 400', async () => {
    for (let i = 0; i < 7; i++) {
      await server.request('POST', '/v1/resolutions', { token: editor, body: base(`page-${i}`, { adopted_on: `2020-0${1 + (i % 3)}-01` }) });
    }
    const total = Number(sql(server.db, 'SELECT count(*) FROM resolutions WHERE archived_at IS NULL'));
    const seen = [];
    let url = '/v1/resolutions?limit=3';
    for (let guard = 0; guard < 20 && url; guard++) {
      const page = await server.request('GET', url);
      assert.equal(page.status, 200);
      assert.ok(page.json.items.length <= 3);
      seen.push(...page.json.items.map((x) => x.id));
      const link = page.headers.get('link');
      if (page.json.next_cursor) {
        assert.match(link, /^<\/v1\/resolutions\?limit=3&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
        url = link.slice(1, link.indexOf('>'));
      } else {
        assert.equal(link, null);
        url = null;
      }
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    for (const q of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=', 'limit=1&limit=2', 'limit=9223372036854775808']) {
      assertProblem(assert, await server.request('GET', `/v1/resolutions?${q}`), 400, 'limit');
    }
    const real = (await server.request('GET', '/v1/resolutions?limit=1')).json.next_cursor;
    for (const c of ['garbage', forgeCursor(real, ['x']), forgeCursor(real, ['2021-01-01', 'x']), '%27%3B--']) {
      assertProblem(assert, await server.request('GET', `/v1/resolutions?cursor=${c}`), 400, 'cursor');
    }
    assertProblem(assert, await server.request('GET', '/v1/resolutions?lang=english!'), 400, 'lang');
  });
});

describe('resolutions as CSV', () => {
  let server, editor;
  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
  });
  after(async () => { await server.stop(); });

  test('CSV parses back to the same values: commas, quotes, newlines, Cyrillic; every row, no pages', async () => {
    const { parse } = await import('csv-parse/sync');
    const tricky = 'Comma, "quote" and\nnewline\r\nЁлка урановых';
    await server.request('POST', '/v1/resolutions', {
      token: editor, body: base('csv-1', { title: { en: tricky, ru: 'Русский' }, addressees: ['a,b', 'c'] }),
    });
    for (let i = 0; i < 4; i++) await server.request('POST', '/v1/resolutions', { token: editor, body: base(`csv-x${i}`) });
    const r = await server.request('GET', '/v1/resolutions?format=csv&limit=1');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.equal(r.headers.get('etag'), null);
    const rows = parse(r.text, { columns: true });
    assert.equal(rows.length, 5);
    const row = rows.find((x) => x.slug === 'csv-1');
    assert.equal(row.title, tricky);
    assert.equal(row.addressees, 'a,b;c');
    assert.equal(row.summary, '');
    assert.ok(r.text.endsWith('\r\n'));
    const ru = parse((await server.request('GET', '/v1/resolutions?format=csv&lang=ru')).text, { columns: true });
    assert.equal(ru.find((x) => x.slug === 'csv-1').title, 'Русский');
    const byAccept = await server.request('GET', '/v1/resolutions', { headers: { Accept: 'text/csv' } });
    assert.match(byAccept.headers.get('content-type'), /^text\/csv/);
    const jsonWins = await server.request('GET', '/v1/resolutions?format=json', { headers: { Accept: 'text/csv' } });
    assert.match(jsonWins.headers.get('content-type'), /^application\/json/);
    assertProblem(assert, await server.request('GET', '/v1/resolutions?format=xml'), 400, 'format');
  });
});
