// CSV answers of the list endpoints (sectors, agencies, a recommendation's updates, the feed,
// users, tokens, the audit trail): RFC 4180 with a header row, every matching row (not one
// page), the same values as the JSON list (walked over all its pages) with nested objects as
// dotted columns and arrays joined with `;`, ?lang, format negotiation, and a 100,000-row CSV
// streamed in constant server memory.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { startServer, assertProblem, sql, MEASURES, feedShowing } from './harness.mjs';

const AGENCY_COLUMNS = ['id', 'slug', 'name', 'acronym', 'kind', 'parent_id', 'website', 'archived_at',
  'created_at', 'updated_at', 'version'];
const TRICKY = 'Comma, "quote" and\nnewline\r\nЁлка — урановых; semi';
const TRICKY_RU = 'Запятая, "кавычки"\nи перевод строки';

/** `path` with `extra` query parameters added. */
function withQuery(path, extra) {
  if (!extra) return path;
  return path + (path.includes('?') ? '&' : '?') + extra;
}

/** Every item of a JSON list, following the pages while a `Link: rel="next"` is sent. */
async function jsonAll(server, path, token) {
  const items = [];
  let url = path, pages = 0;
  for (;;) {
    const r = await server.request('GET', url, { token });
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    pages++;
    if (!r.headers.get('link')) break;
    const q = new URLSearchParams(url.split('?')[1] || '');
    q.set('cursor', r.json.next_cursor);
    url = `${url.split('?')[0]}?${q}`;
  }
  return { items, pages };
}

/** A JSON value as its CSV cell: null empty, arrays joined with `;` (links as URLs, agencies as slugs). */
function cell(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' ? (x.url ?? x.slug) : String(x))).join(';');
  assert.notEqual(typeof v, 'object', `an object where a value was expected: ${JSON.stringify(v)}`);
  return String(v);
}

/** The value of dotted column `column` of a JSON item ('' below a null object). */
function expected(item, column) {
  let v = item;
  for (const part of column.split('.')) {
    if (v === null) return '';
    assert.ok(Object.hasOwn(v, part), `column ${column} is not a member of ${JSON.stringify(item)}`);
    v = v[part];
  }
  return cell(v);
}

/** The dotted leaf members of a JSON item (a null member stays one name). */
function leaves(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(prefix === '' && JSON_COLUMNS.has(k))) {
      out.push(...leaves(v, `${prefix}${k}.`));
    } else {
      out.push(prefix + k);
    }
  }
  return out;
}

/* columns that hold a whole JSON document as text (the audit trail's before and after) */
const JSON_COLUMNS = new Set(['before', 'after']);

/** Asserts that CSV rows hold exactly the JSON items, in order, column by column. */
function assertSameRows(rows, columns, items) {
  assert.equal(rows.length, items.length, 'row count');
  for (let i = 0; i < items.length; i++) {
    const item = items[i], row = rows[i];
    // the columns are the JSON members in the same order, nested objects flattened
    assert.deepEqual([...new Set(columns.map((c) => c.split('.')[0]))], Object.keys(item));
    for (const leaf of leaves(item)) {
      assert.ok(columns.includes(leaf) || columns.some((c) => c.startsWith(`${leaf}.`)), `no column for ${leaf}`);
    }
    for (const c of columns) {
      if (JSON_COLUMNS.has(c)) {
        assert.deepEqual(row[c] === '' ? null : JSON.parse(row[c]), item[c], `${c} of row ${i}`);
      } else {
        assert.equal(row[c], expected(item, c), `${c} of row ${i}`);
      }
    }
  }
}

/** GETs a CSV answer and checks its framing; resolves with {rows, columns, text}. */
async function getCsv(server, path, token, headers = {}) {
  const r = await server.request('GET', path, { token, headers });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.equal(r.headers.get('etag'), null, 'no ETag on a streamed CSV list');
  assert.equal(r.headers.get('link'), null);
  assert.ok(r.text.endsWith('\r\n'));
  const columns = r.text.slice(0, r.text.indexOf('\r\n')).split(',');
  return { rows: parse(r.text, { columns: true }), columns, text: r.text };
}

/**
 * The CSV of list `path` (by ?format=csv, and by Accept) equals its JSON list in language `lang`
 * (en when not given, as CSV's default). @return the number of rows and of JSON pages.
 */
async function compareList(server, path, { token, lang } = {}) {
  const langQuery = lang ? `lang=${lang}` : undefined;
  const byFormat = await getCsv(server, withQuery(withQuery(path, 'format=csv'), langQuery), token);
  const byAccept = await getCsv(server, withQuery(path, langQuery), token, { Accept: 'text/csv' });
  assert.equal(byAccept.text, byFormat.text);
  const { items, pages } = await jsonAll(server, withQuery(path, `lang=${lang || 'en'}`), token);
  assertSameRows(byFormat.rows, byFormat.columns, items);
  return { rows: byFormat.rows, columns: byFormat.columns, pages };
}

/** Format negotiation and errors on list `path`. */
async function assertNegotiation(server, path, token) {
  const jsonWins = await server.request('GET', withQuery(path, 'format=json'), { token, headers: { Accept: 'text/csv' } });
  assert.equal(jsonWins.status, 200);
  assert.match(jsonWins.headers.get('content-type'), /^application\/json/);
  assert.ok(jsonWins.headers.get('etag'));
  const csvWins = await server.request('GET', withQuery(path, 'format=csv'), { token, headers: { Accept: 'application/json' } });
  assert.match(csvWins.headers.get('content-type'), /^text\/csv/);
  assertProblem(assert, await server.request('GET', withQuery(path, 'format=xml'), { token }), 400, 'format');
  assertProblem(assert, await server.request('GET', withQuery(path, 'format=CSV'), { token }), 400, 'format');
  assertProblem(assert, await server.request('GET', withQuery(path, 'format=csv&lang=r_u'), { token }), 400, 'lang');
  // limit and cursor do not apply to a CSV list
  const all = await getCsv(server, withQuery(path, 'format=csv'), token);
  const limited = await getCsv(server, withQuery(path, 'format=csv&limit=1'), token);
  assert.equal(limited.text, all.text);
}

describe('CSV lists', () => {
  let server, editor, admin, monitor, agencyToken;
  let resolution, rec, rec2, user, agencies;
  const post = async (path, body, token) => {
    const r = await server.request('POST', path, { token, body });
    assert.ok(r.status === 201 || r.status === 200, `${path}: ${r.status} ${r.text}`);
    return r.json;
  };

  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    admin = await server.token('admin');
    monitor = await server.token('monitor');
    resolution = await post('/v1/resolutions', {
      slug: 'csv-res', title: { en: TRICKY, ky: 'Кыргызча' }, adopted_on: '2021-11-15', source_language: 'ky',
    }, editor);
    // 60 sectors: more than one JSON page; some titles only in ky and ru (en falls back to ky)
    for (let i = 1; i <= 60; i++) {
      const title = i % 3 === 0 ? { ky: `Сектор ${i}, "ky"`, ru: `${TRICKY_RU} ${i}` } : { en: `${TRICKY} ${i}`, ru: `${TRICKY_RU} ${i}` };
      await post('/v1/resolutions/csv-res/sectors', { code: `S${i}`, title, participants: ['a,b', `Участник ${i}`] }, editor);
    }
    // agencies: names with commas, quotes, newlines, Cyrillic; one only in ru; a parent; two archived
    agencies = [];
    for (let i = 1; i <= 12; i++) {
      const name = i === 5 ? { ru: 'Только по-русски' } : { en: `${TRICKY} agency ${i}`, ru: `Агентство ${i}, "рус"` };
      agencies.push(await post('/v1/agencies', {
        slug: `agency-${String(i).padStart(2, '0')}`, name, kind: i % 2 ? 'ministry' : 'state_agency',
        acronym: i % 4 === 0 ? null : `A"${i},x`, website: i % 3 === 0 ? 'https://example.org/a?b=1,2' : null,
        parent_id: i > 1 && i % 5 === 0 ? 'agency-01' : null,
      }, editor));
    }
    await post('/v1/agencies/agency-11/archive', undefined, editor);
    await post('/v1/agencies/agency-12/archive', undefined, editor);
    agencyToken = await server.token('agency', 'agency-01');
    // recommendations belong to another module: inserted with SQL
    const sector = sql(server.db, `SELECT id FROM sectors WHERE code = 'S1'`);
    rec = randomUUID();
    rec2 = randomUUID();
    sql(server.db, `
      INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text) VALUES
        ('${rec}', '${resolution.id}', '${sector}', 'S1-1', 1, '{"en": "One"}'),
        ('${rec2}', '${resolution.id}', '${sector}', 'S1-2', 2, '{"en": "Two"}');
      INSERT INTO recommendation_agencies (recommendation_id, agency_id, role) VALUES
        ('${rec}', '${agencies[0].id}', 'lead'), ('${rec}', '${agencies[1].id}', 'supporting');`);
    // 60 updates on rec by three roles (evidence, statuses, progress), a few on rec2
    const tokens = [monitor, agencyToken, editor];
    for (let i = 0; i < 60; i++) {
      const token = tokens[i % 3];
      const body = {
        body: `${TRICKY} update ${i}`,
        evidence: i % 4 === 0 ? [{ url: `https://example.org/e/${i}?a=1,2`, title: 'Док, "один"' }, { url: 'http://example.com/x' }] : [],
        occurred_on: `2022-01-${String((i % 28) + 1).padStart(2, '0')}`,
      };
      if (i % 5 === 0) body.status = 'in_progress';
      if (token !== agencyToken && i % 7 === 0) body.progress = i;
      if (token === editor && i % 2 === 0) body.response = 'accepted';
      await post(`/v1/recommendations/${rec}/updates`, body, token);
    }
    const u2 = await post(`/v1/recommendations/${rec2}/updates`, { body: 'На втором, "да"', status: 'stalled' }, monitor);
    await post(`/v1/recommendations/${rec2}/updates`, { body: 'second', evidence: [{ url: 'https://x.org/1' }] }, editor);
    const first = (await server.request('GET', `/v1/recommendations/${rec}/updates?limit=3`)).json.items;
    await post(`/v1/updates/${first[1].id}/retract`, { reason: 'Wrong, "sorry"\nСнято' }, editor);
    await post(`/v1/updates/${u2.id}/retract`, { reason: 'dup' }, admin);
    // users and tokens
    user = await post('/v1/users', { name: 'Иван, "Ваня"\nПетров', email: 'ivan@example.org', role: 'monitor' }, admin);
    await post('/v1/users', { name: 'Agency, person', role: 'agency', agency_id: 'agency-02', active: false }, admin);
    const tokenIds = [];
    for (let i = 0; i < 4; i++) {
      tokenIds.push((await post(`/v1/users/${user.id}/tokens`, {
        name: `Токен ${i}, "CI"`, expires_at: i % 2 ? '2099-01-01T00:00:00Z' : null,
      }, admin)).id);
    }
    const revoked = await server.request('DELETE', `/v1/tokens/${tokenIds[0]}`, { token: admin });
    assert.equal(revoked.status, 204);
  });
  after(async () => { await server.stop(); });

  test('a URL that answers JSON or CSV by Accept says so (Vary: Accept) for caches; ?format fixes it', async () => {
    for (const path of ['/v1/agencies', '/v1/resolutions/csv-res/sectors', '/v1/reports/summary']) {
      for (const accept of ['application/json', 'text/csv']) {
        const r = await server.request('GET', path, { headers: { Accept: accept } });
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('vary') || '', /\bAccept\b/, `${path} as ${accept}`);
        const etag = r.headers.get('etag');
        if (etag) {
          const again = await server.request('GET', path, { headers: { Accept: accept, 'If-None-Match': etag } });
          assert.equal(again.status, 304);
          assert.match(again.headers.get('vary') || '', /\bAccept\b/, `${path} 304`);
        }
      }
      const fixed = await server.request('GET', `${path}?format=csv`, { headers: { Accept: 'application/json' } });
      assert.doesNotMatch(fixed.headers.get('vary') || '', /\bAccept\b/);
    }
  });

  test('sectors: every sector (more than one JSON page), localized titles with fallback', async () => {
    const path = `/v1/resolutions/${resolution.id}/sectors`;
    const { rows, pages } = await compareList(server, path);
    assert.equal(rows.length, 60);
    assert.ok(pages > 1);
    assert.equal(rows[0].title, `${TRICKY} 1`);
    assert.equal(rows[2].title, 'Сектор 3, "ky"', 'en falls back to the source_language');
    assert.equal(rows[0].participants, 'a,b;Участник 1');
    const ru = await compareList(server, '/v1/resolutions/csv-res/sectors', { lang: 'ru' });
    assert.equal(ru.rows[0].title, `${TRICKY_RU} 1`);
    await compareList(server, path, { lang: 'ky' });
    await assertNegotiation(server, path);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/nope/sectors?format=csv'), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/%27;DROP/sectors?format=csv'), 404);
  });

  test('agencies: every matching agency, filters, archived, names without the source_language step', async () => {
    const { rows } = await compareList(server, '/v1/agencies');
    assert.equal(rows.length, 10);
    const only = rows.find((r) => r.slug === 'agency-05');
    assert.equal(only.name, 'Только по-русски');
    assert.equal(only.parent_id, agencies[0].id);
    assert.equal(rows.find((r) => r.slug === 'agency-01').acronym, 'A"1,x');
    assert.equal(rows.find((r) => r.slug === 'agency-03').website, 'https://example.org/a?b=1,2');
    const ru = await compareList(server, '/v1/agencies', { lang: 'ru' });
    assert.equal(ru.rows[0].name, 'Агентство 1, "рус"');
    assert.equal((await compareList(server, '/v1/agencies?kind=ministry')).rows.length, 5);
    assert.equal((await compareList(server, `/v1/agencies?q=${encodeURIComponent('гентство')}`)).rows.length, 9);
    assert.equal((await compareList(server, '/v1/agencies?archived=true')).rows.length, 2);
    await assertNegotiation(server, '/v1/agencies');
    assertProblem(assert, await server.request('GET', '/v1/agencies?format=csv&kind=nope'), 400, 'kind');
  });

  test("a recommendation's updates: flattened author, previous, retracted; evidence URLs; bodies hidden as in JSON", async () => {
    const path = `/v1/recommendations/${rec}/updates`;
    const anonymous = await compareList(server, path);
    assert.equal(anonymous.rows.length, 60);
    assert.ok(anonymous.pages > 1);
    const retracted = anonymous.rows.filter((r) => r['retracted.at'] !== '');
    assert.equal(retracted.length, 1);
    assert.equal(retracted[0].body, '');
    assert.equal(retracted[0]['retracted.reason'], 'Wrong, "sorry"\nСнято');
    assert.equal(retracted[0]['retracted.by.name'], 'editor user');
    const byEditor = await compareList(server, path, { token: editor });
    assert.match(byEditor.rows.find((r) => r.id === retracted[0].id).body, /^Comma, "quote"/);
    const withLinks = byEditor.rows.find((r) => r.evidence !== '');
    assert.match(withLinks.evidence, /^https:\/\/example\.org\/e\/\d+\?a=1,2;http:\/\/example\.com\/x$/);
    const byAgency = byEditor.rows.find((r) => r.source === 'agency');
    assert.equal(byAgency['author.agency.slug'], 'agency-01');
    assert.match(byAgency['author.agency.name'], /agency 1$/);
    const ru = await compareList(server, path, { lang: 'ru', token: admin });
    assert.equal(ru.rows.find((r) => r.source === 'agency')['author.agency.name'], 'Агентство 1, "рус"');
    await assertNegotiation(server, path);
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${randomUUID()}/updates?format=csv`), 404);
    assertProblem(assert, await server.request('GET', '/v1/recommendations/bad/updates?format=csv'), 404);
  });

  test('the feed: every visible update in feed order, filters, retracted bodies hidden', async () => {
    await feedShowing(server, 'limit=200', 62); // every update written above, once visible
    const all = await compareList(server, '/v1/updates');
    assert.equal(all.rows.length, 62);
    assert.ok(all.pages > 1);
    assert.equal(all.rows.filter((r) => r['retracted.at'] && r.body === '').length, 2);
    const byEditor = await compareList(server, '/v1/updates', { token: editor });
    assert.equal(byEditor.rows.filter((r) => r['retracted.at'] && r.body !== '').length, 2);
    assert.equal((await compareList(server, '/v1/updates?source=agency')).rows.length, 20);
    assert.equal((await compareList(server, '/v1/updates?agency=agency-02', { lang: 'ru' })).rows.length, 60);
    assert.equal((await compareList(server, `/v1/updates?resolution=csv-res`)).rows.length, 62);
    const since = all.rows[59].created_at;
    const later = await compareList(server, `/v1/updates?since=${since}`);
    assert.equal(later.rows.length, all.rows.filter((r) => r.created_at > since).length);
    await assertNegotiation(server, '/v1/updates');
    // the cursor does not apply to CSV
    const page = await server.request('GET', '/v1/updates?limit=5');
    const fromCursor = await getCsv(server, `/v1/updates?format=csv&cursor=${page.json.next_cursor}`);
    assert.equal(fromCursor.rows.length, 62);
    assertProblem(assert, await server.request('GET', '/v1/updates?format=csv&source=nobody'), 400, 'source');
  });

  test('users and tokens: admin only; revoked tokens left out; no secrets', async () => {
    const users = await compareList(server, '/v1/users', { token: admin });
    assert.equal(users.rows.length, 6); // four from `tracker token create`, two created here
    const ivan = users.rows.find((r) => r.id === user.id);
    assert.equal(ivan.name, 'Иван, "Ваня"\nПетров');
    assert.equal(ivan.active, 'true');
    assert.equal(users.rows.find((r) => r.name === 'Agency, person').active, 'false');
    await assertNegotiation(server, '/v1/users', admin);
    const tokens = await compareList(server, `/v1/users/${user.id}/tokens`, { token: admin });
    assert.equal(tokens.rows.length, 3);
    assert.deepEqual(tokens.columns, ['id', 'name', 'prefix', 'created_at', 'expires_at', 'last_used_at']);
    assert.equal(tokens.rows[0].name, 'Токен 3, "CI"');
    assert.equal(tokens.rows[0].expires_at, '2099-01-01T00:00:00.000000Z');
    await assertNegotiation(server, `/v1/users/${user.id}/tokens`, admin);
    for (const path of ['/v1/users', `/v1/users/${user.id}/tokens`]) {
      const anonymous = await server.request('GET', `${path}?format=csv`);
      assertProblem(assert, anonymous, 401);
      assert.ok(anonymous.headers.get('www-authenticate'));
      assertProblem(assert, await server.request('GET', `${path}?format=csv`, { token: editor }), 403);
      assertProblem(assert, await server.request('GET', `${path}?format=csv`, { token: 'bogus' }), 401);
    }
    assertProblem(assert, await server.request('GET', `/v1/users/${randomUUID()}/tokens?format=csv`, { token: admin }), 404);
  });

  test('the audit trail: actor flattened, before and after as JSON text in the ?lang language', async () => {
    const all = await compareList(server, '/v1/audit', { token: admin });
    assert.ok(all.pages > 1);
    assert.ok(all.rows.length > 60);
    const created = all.rows.find((r) => r.entity === 'resolution' && r.action === 'create');
    assert.equal(created.before, '');
    assert.equal(JSON.parse(created.after).title, TRICKY);
    assert.equal(created['actor.role'], 'editor');
    const ru = await compareList(server, `/v1/audit?entity=resolution&entity_id=${resolution.id}`, { token: admin, lang: 'ky' });
    assert.equal(ru.rows.length, 1);
    assert.equal(JSON.parse(ru.rows[0].after).title, 'Кыргызча');
    assert.equal((await compareList(server, '/v1/audit?entity=sector', { token: admin })).rows.length, 60);
    const actor = sql(server.db, `SELECT actor_id FROM audit_log WHERE actor_role = 'admin' LIMIT 1`);
    await compareList(server, `/v1/audit?actor=${actor}`, { token: admin, lang: 'ru' });
    await assertNegotiation(server, '/v1/audit', admin);
    assertProblem(assert, await server.request('GET', '/v1/audit?format=csv'), 401);
    assertProblem(assert, await server.request('GET', '/v1/audit?format=csv', { token: editor }), 403);
    assertProblem(assert, await server.request('GET', '/v1/audit?format=csv&entity=nope', { token: admin }), 400, 'entity');
  });
});

describe('a 100,000-row CSV', () => {
  let server;
  before(async () => {
    // Without ASan's quarantine, so that a sanitizer build measures the same thing.
    const asan = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=0'].filter(Boolean).join(':');
    server = await startServer({ env: { ASAN_OPTIONS: asan } });
    sql(server.db, `INSERT INTO agencies (id, slug, name, kind, acronym)
      SELECT gen_random_uuid(), 'bulk-' || lpad(i::text, 6, '0'),
             jsonb_build_object('en', 'Bulk, "agency" ' || i || E'\\nline two ' || repeat('ж', 100),
                                'ru', 'Агентство ' || i),
             'other', 'B' || i
        FROM generate_series(1, 100000) AS i;
      ANALYZE agencies`);
  });
  after(async () => { await server.stop(); });

  /** The server's resident set size in bytes. */
  function rss() {
    const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
    return Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]) * 1024;
  }

  /**
   * Downloads a CSV as a stream, counting its lines without keeping them (a record ends with
   * CRLF; the bulk rows hold bare LFs only) and keeping the last line; `pauseMs` waits after the
   * first chunk, as a slow reader would.
   */
  async function countRows(url, pauseMs = 0) {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    let lines = 0, tail = Buffer.alloc(0), first = true;
    for await (const chunk of res.body) {
      const buf = Buffer.concat([tail.subarray(-1), Buffer.from(chunk)]);
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n', i + 2)) lines++;
      tail = Buffer.concat([tail, Buffer.from(chunk)]).subarray(-4096);
      if (first && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      first = false;
    }
    const text = tail.toString('utf8');
    const lastLine = text.slice(text.lastIndexOf('\r\n', text.length - 3) + 2);
    return { rows: lines - 1, last: lastLine };
  }

  test('streams in constant memory and holds every row', async (t) => {
    // a first small CSV, so that the connection and the worker exist before measuring
    assert.equal((await countRows(`${server.url}/v1/agencies?format=csv&kind=ministry`)).rows, 0);
    const before = rss();
    const { rows, last } = await countRows(`${server.url}/v1/agencies?format=csv`);
    const growth = rss() - before;
    assert.equal(rows, 100000);
    const [record] = parse(last, { columns: AGENCY_COLUMNS });
    assert.equal(record.slug, 'bulk-100000');
    assert.equal(record.name, `Bulk, "agency" 100000\nline two ${'ж'.repeat(100)}`);
    t.diagnostic(`server RSS growth: ${(growth / 1048576).toFixed(2)} MB`);
    if (MEASURES) assert.ok(growth < 16 * 1024 * 1024, `the server grew by ${(growth / 1048576).toFixed(1)} MB`);
  });

  test('a slow reader is not cut by the statement timeout',
    async () => {
      const slow = await startServer({ db: server.db, env: { TRACKER_STATEMENT_TIMEOUT_MS: '1000' } });
      try {
        const { rows } = await countRows(`${slow.url}/v1/agencies?format=csv`, 2500);
        assert.equal(rows, 100000);
      } finally {
        await slow.stop();
      }
    });
});
