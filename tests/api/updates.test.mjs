// Updates: posting (roles, reserved members, validation, If-Match, races), effective order,
// reading one and a recommendation's timeline, retraction, 405s, and the activity feed with
// its exactly-once promise under concurrent, out-of-order writers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startServer, assertProblem, assertTooLong, sql, dbUrl, forgeCursor, textOf, urlOf } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const JSON_TYPE = { 'Content-Type': 'application/json' };
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function utcDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

let fixtureCount = 0;

/**
 * One resolution (through the API), one sector, three agencies and three recommendations
 * (inserted with SQL, since their endpoints belong to another module): rec led by `lead`
 * and supported by `support`; rec2 led by `other`; rec3 without agencies.
 */
async function fixture(server, editor) {
  const n = ++fixtureCount;
  const slug = `res-${n}`;
  const r = await server.request('POST', '/v1/resolutions', {
    token: editor, body: { slug, title: { en: `Resolution ${n}`, ru: `Резолюция ${n}` }, adopted_on: '2021-11-15' },
  });
  assert.equal(r.status, 201, r.text);
  const f = {
    resolution: r.json.id, resolutionSlug: slug, sector: randomUUID(),
    lead: `lead-${n}`, support: `support-${n}`, other: `other-${n}`,
    leadId: randomUUID(), supportId: randomUUID(), otherId: randomUUID(),
    rec: randomUUID(), rec2: randomUUID(), rec3: randomUUID(),
  };
  sql(server.db, `
    INSERT INTO sectors (id, resolution_id, code, position, title)
      VALUES ('${f.sector}', '${f.resolution}', 'PS', 1, '{"en": "Security"}');
    INSERT INTO agencies (id, slug, name, kind) VALUES
      ('${f.leadId}', '${f.lead}', '{"en": "Ministry ${n}", "ru": "Министерство ${n}"}', 'ministry'),
      ('${f.supportId}', '${f.support}', '{"en": "Agency ${n}"}', 'state_agency'),
      ('${f.otherId}', '${f.other}', '{"en": "Other ${n}"}', 'other');
    INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text) VALUES
      ('${f.rec}', '${f.resolution}', '${f.sector}', 'PS-1', 1, '{"en": "Do one"}'),
      ('${f.rec2}', '${f.resolution}', '${f.sector}', 'PS-2', 2, '{"en": "Do two"}'),
      ('${f.rec3}', '${f.resolution}', '${f.sector}', 'PS-3', 3, '{"en": "Do three"}');
    INSERT INTO recommendation_agencies (recommendation_id, agency_id, role) VALUES
      ('${f.rec}', '${f.leadId}', 'lead'), ('${f.rec}', '${f.supportId}', 'supporting'),
      ('${f.rec2}', '${f.otherId}', 'lead');`);
  return f;
}

function recState(server, id) {
  const row = sql(server.db, `SELECT status, coalesce(agency_status::text, '-'), coalesce(progress::text, '-'),
                                     response, updates_count, version
                                FROM recommendations WHERE id = '${id}'`);
  const [status, agencyStatus, progress, response, count, version] = row.split('|');
  return { status, agencyStatus, progress, response, count: Number(count), version: Number(version) };
}

function countUpdates(server, rec) {
  return Number(sql(server.db, `SELECT count(*) FROM updates WHERE recommendation_id = '${rec}'`));
}

describe('updates', () => {
  let server, editor, admin, monitor, anyAgency, f, tokens;
  const post = (rec, body, token, headers) =>
    server.request('POST', `/v1/recommendations/${rec}/updates`, { token, body, headers });

  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    admin = await server.token('admin');
    monitor = await server.token('monitor');
    f = await fixture(server, editor);
    tokens = {
      lead: await server.token('agency', f.lead),
      support: await server.token('agency', f.support),
      other: await server.token('agency', f.other),
    };
    anyAgency = tokens.lead;
  });
  after(async () => {
    await server.stop();
    assert.ok(!server.logs.some((l) => /runtime error|Sanitizer/.test(l)), server.logs.join('\n'));
  });

  test('a monitor posts an update: 201, Location, ETag, the representation, the state', async () => {
    const before = recState(server, f.rec3);
    const r = await post(f.rec3, {
      body: 'Первый отчёт', status: 'in_progress', progress: 30,
      evidence: [{ url: 'https://example.org/a', title: 'Decree' }, { url: 'http://example.org/b' }],
      occurred_on: '2022-03-01',
    }, monitor);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/v1/updates/${r.json.id}`);
    assert.match(r.headers.get('etag'), /^"[^"]+"$/);
    const u = r.json;
    assert.deepEqual(Object.keys(u).sort(), ['author', 'body', 'created_at', 'evidence', 'id', 'occurred_on',
      'previous', 'progress', 'recommendation_id', 'response', 'retracted', 'source', 'status'].sort());
    assert.equal(u.recommendation_id, f.rec3);
    assert.equal(u.body, 'Первый отчёт');
    assert.equal(u.status, 'in_progress');
    assert.equal(u.progress, 30);
    assert.equal(u.response, null);
    assert.deepEqual(u.evidence, [{ url: 'https://example.org/a', title: 'Decree' }, { url: 'http://example.org/b', title: null }]);
    assert.equal(u.occurred_on, '2022-03-01');
    assert.equal(u.source, 'civil_society');
    assert.equal(u.author.name, 'monitor user');
    assert.equal(u.author.role, 'monitor');
    assert.equal(u.author.agency, null);
    assert.match(u.author.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(u.previous, { status: 'not_assessed', progress: null, response: 'pending', agency_status: null });
    assert.match(u.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(u.retracted, null);
    const after = recState(server, f.rec3);
    assert.equal(after.status, 'in_progress');
    assert.equal(after.progress, '30');
    assert.equal(after.count, before.count + 1);
    assert.equal(after.version, before.version + 1);

    const g = await server.request('GET', `/v1/updates/${u.id}`);
    assert.equal(g.status, 200);
    assert.equal(g.text, r.text);
    assert.equal(g.headers.get('etag'), r.headers.get('etag'));
    const nm = await server.request('GET', `/v1/updates/${u.id}`, { headers: { 'If-None-Match': g.headers.get('etag') } });
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
  });

  test('occurred_on defaults to today (UTC); tomorrow is allowed, later is not', async () => {
    const r = await post(f.rec3, { body: 'today' }, monitor);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.occurred_on, utcDay(0));
    assert.equal(r.json.status, null);
    assert.equal(r.json.progress, null);
    assert.deepEqual(r.json.evidence, []);
    const t = await post(f.rec3, { body: 'tomorrow', occurred_on: utcDay(1) }, monitor);
    assert.equal(t.status, 201, t.text);
    const n = countUpdates(server, f.rec3);
    const late = await post(f.rec3, { body: 'later', occurred_on: utcDay(2) }, monitor);
    assertProblem(assert, late, 400, '/occurred_on');
    assert.equal(countUpdates(server, f.rec3), n);
  });

  test('status implemented from a monitor or editor implies progress 100 unless given', async () => {
    const m = await post(f.rec3, { body: 'done', status: 'implemented', occurred_on: utcDay(1) }, monitor);
    assert.equal(m.status, 201, m.text);
    assert.equal(m.json.progress, 100);
    assert.equal(recState(server, f.rec3).progress, '100');
    const e = await post(f.rec3, { body: 'mostly', status: 'implemented', progress: 90, occurred_on: utcDay(1) }, editor);
    assert.equal(e.status, 201, e.text);
    assert.equal(e.json.progress, 90);
    assert.equal(e.json.source, 'editorial');
    assert.equal(e.json.author.role, 'editor');
    const a = await post(f.rec3, { body: 'by admin', response: 'accepted', occurred_on: utcDay(1) }, admin);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.source, 'editorial');
    assert.equal(a.json.response, 'accepted');
    const s = recState(server, f.rec3);
    assert.equal(s.status, 'implemented');
    assert.equal(s.progress, '90');
    assert.equal(s.response, 'accepted');
  });

  test('an agency posts on what it leads or supports; its status goes to agency_status', async () => {
    const before = recState(server, f.rec);
    const r = await post(f.rec, { body: 'Мы выполнили', status: 'implemented' }, tokens.lead);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.source, 'agency');
    assert.equal(r.json.status, 'implemented');
    assert.equal(r.json.progress, null, 'an agency claim of implemented does not set progress');
    assert.equal(r.json.author.role, 'agency');
    assert.deepEqual(r.json.author.agency, { id: f.leadId, slug: f.lead, name: { en: 'Ministry 1', ru: 'Министерство 1' }, acronym: null });
    const after = recState(server, f.rec);
    assert.equal(after.status, before.status);
    assert.equal(after.agencyStatus, 'implemented');
    assert.equal(after.progress, before.progress);
    const s = await post(f.rec, { body: 'supporting', status: 'in_progress' }, tokens.support);
    assert.equal(s.status, 201, s.text);
    assert.equal(recState(server, f.rec).agencyStatus, 'in_progress');
    assert.equal(recState(server, f.rec).status, before.status);
    // ?lang renders the author's agency name
    const g = await server.request('GET', `/v1/updates/${r.json.id}?lang=ru`);
    assert.equal(g.json.author.agency.name, 'Министерство 1');
    const g2 = await server.request('GET', `/v1/updates/${r.json.id}?lang=ky`);
    assert.equal(g2.json.author.agency.name, 'Ministry 1');
    assert.notEqual(g.headers.get('etag'), g2.headers.get('etag'));
    assertProblem(assert, await server.request('GET', `/v1/updates/${r.json.id}?lang=xx_1`), 400, 'lang');
  });

  test('an agency elsewhere gets 403; an unknown or malformed recommendation 404 first', async () => {
    const n = countUpdates(server, f.rec);
    assertProblem(assert, await post(f.rec, { body: 'not mine' }, tokens.other), 403);
    assertProblem(assert, await post(f.rec3, { body: 'nobody' }, tokens.other), 403);
    assert.equal(countUpdates(server, f.rec), n);
    assertProblem(assert, await post(UNKNOWN, { body: 'x' }, tokens.other), 404);
    assertProblem(assert, await post('not-a-uuid', { body: 'x' }, tokens.other), 404);
    assertProblem(assert, await post("1'; DROP TABLE updates; --", { body: 'x' }, monitor), 404);
    // 403 on the object comes before anything about the body
    assertProblem(assert, await post(f.rec, 'garbage', tokens.other, JSON_TYPE), 403);
    // whatever is wrong with the body, If-Match or a reserved member, the object comes first
    assertProblem(assert, await post(UNKNOWN, 'garbage', monitor, JSON_TYPE), 404);
    assertProblem(assert, await post(UNKNOWN, { body: '', status: 'bogus' }, monitor), 404);
    assertProblem(assert, await post(UNKNOWN, { body: 'x', response: 'noted' }, monitor), 404);
    assertProblem(assert, await post(UNKNOWN, { body: 'x' }, monitor, { 'If-Match': 'nonsense' }), 404);
    const elsewhere = await post(f.rec, { body: 'x', progress: 50 }, tokens.other);
    assertProblem(assert, elsewhere, 403);
    assert.match(elsewhere.json.detail, /neither leads nor supports/);
    assertProblem(assert, await post(f.rec, { body: '' }, tokens.other), 403);
    assert.equal(countUpdates(server, f.rec), n);
  });

  test('authentication: none or a bogus token is 401', async () => {
    const r = await post(f.rec, { body: 'x' });
    assertProblem(assert, r, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    assertProblem(assert, await post(f.rec, { body: 'x' }, 'bogus-token'), 401);
    assertProblem(assert, await post(UNKNOWN, { body: 'x' }), 401);
    assertProblem(assert, await server.request('GET', `/v1/updates`, { token: 'bogus-token' }), 401);
  });

  test('members reserved for a higher role: 403, before validation, after unparseable', async () => {
    const n = countUpdates(server, f.rec);
    assertProblem(assert, await post(f.rec, { body: 'x', progress: 50 }, tokens.lead), 403, '/progress');
    assertProblem(assert, await post(f.rec, { progress: 500, status: 'bogus' }, tokens.lead), 403, '/progress');
    assertProblem(assert, await post(f.rec, { body: 'x', response: 'accepted' }, tokens.lead), 403, '/response');
    assertProblem(assert, await post(f.rec, { body: 'x', response: 'accepted' }, monitor), 403, '/response');
    assertProblem(assert, await post(f.rec, { body: '', response: 'nonsense' }, monitor), 403, '/response');
    assertProblem(assert, await post(f.rec, { body: 'x', response: null }, monitor), 403, '/response');
    assert.equal(countUpdates(server, f.rec), n);
    // unparseable is answered before the reserved member
    assertProblem(assert, await post(f.rec, '{"response": "accepted",', monitor, JSON_TYPE), 400);
    // an editor may record the response
    const e = await post(f.rec, { body: 'answer recorded', response: 'partially_accepted' }, editor);
    assert.equal(e.status, 201, e.text);
    assert.equal(recState(server, f.rec).response, 'partially_accepted');
  });

  test('body problems are 400 naming the member; nothing is stored', async () => {
    const n = countUpdates(server, f.rec3);
    const cases = [
      [{}, '/body'],
      [{ body: '' }, '/body'],
      [{ body: 5 }, '/body'],
      [{ body: null }, '/body'],
      [{ body: 'x'.repeat(20001) }, '/body'],
      [{ body: 'x', status: 'finished' }, '/status'],
      [{ body: 'x', status: 3 }, '/status'],
      [{ body: 'x', progress: 101 }, '/progress'],
      [{ body: 'x', progress: -1 }, '/progress'],
      [{ body: 'x', progress: '50' }, '/progress'],
      [{ body: 'x', progress: 50.5 }, '/progress'],
      [{ body: 'x', evidence: 'https://example.org' }, '/evidence'],
      [{ body: 'x', evidence: [{ url: 'ftp://example.org/x' }] }, '/evidence/0/url'],
      [{ body: 'x', evidence: [{ url: 'javascript:alert(1)' }] }, '/evidence/0/url'],
      [{ body: 'x', evidence: [{ title: 'no url' }] }, '/evidence/0/url'],
      [{ body: 'x', evidence: [{ url: 'https://a.example', extra: 1 }] }, '/evidence/0/extra'],
      [{ body: 'x', evidence: Array.from({ length: 51 }, (_, i) => ({ url: `https://example.org/${i}` })) }, '/evidence'],
      [{ body: 'x', occurred_on: '2022-02-30' }, '/occurred_on'],
      [{ body: 'x', occurred_on: '01.03.2022' }, '/occurred_on'],
      [{ body: 'x', occurred_on: null }, '/occurred_on'],
      [{ body: 'x', bogus: 1 }, '/bogus'],
      [{ body: 'x', id: UNKNOWN }, '/id'],
      [{ body: 'x', source: 'editorial' }, '/source'],
      [{ body: 'x', author: { name: 'me' } }, '/author'],
      [{ body: 'x', previous: {} }, '/previous'],
      [{ body: 'x', created_at: '2022-01-01T00:00:00Z' }, '/created_at'],
      [{ body: 'x', retracted: null }, '/retracted'],
    ];
    for (const [body, field] of cases) {
      assertProblem(assert, await post(f.rec3, body, editor), 400, field);
    }
    for (const raw of ['{"body": "x"', '[]', '"body"', '', '{"body": "a", "body": "b"}', '{"body": "\\u0000"}']) {
      assertProblem(assert, await post(f.rec3, raw, editor, { 'Content-Type': 'application/json' }), 400);
    }
    const t = await post(f.rec3, '{"body": "x"}', editor, { 'Content-Type': 'text/plain' });
    assertProblem(assert, t, 415);
    assert.equal(countUpdates(server, f.rec3), n);
    // the limits themselves are fine
    const ok = await post(f.rec3, {
      body: 'я'.repeat(20000),
      evidence: Array.from({ length: 50 }, (_, i) => ({ url: `https://example.org/${i}`, title: null })),
    }, editor);
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.body, 'я'.repeat(20000));
    assert.equal(ok.json.evidence.length, 50);
  });

  test('text limits count characters: body 20,000, an evidence url 2,048 and title 500; one more is too long', async () => {
    const n = countUpdates(server, f.rec3);
    const over = [
      [{ body: textOf(20001, true) }, '/body', 20000],
      [{ body: 'x', evidence: [{ url: urlOf(2049) }] }, '/evidence/0/url', 2048],
      [{ body: 'x', evidence: [{ url: `https://${'a'.repeat(3000)}` }] }, '/evidence/0/url', 2048],
      [{ body: 'x', evidence: [{ url: urlOf(30), title: textOf(501, true) }] }, '/evidence/0/title', 500],
    ];
    for (const [body, field, max] of over) assertTooLong(assert, await post(f.rec3, body, editor), field, max);
    assert.equal(countUpdates(server, f.rec3), n);
    const evidence = [{ url: urlOf(2048), title: textOf(500, true) }];
    const ok = await post(f.rec3, { body: textOf(20000, true), evidence }, editor);
    assert.equal(ok.status, 201, ok.text.slice(0, 300));
    assert.equal(ok.json.body, textOf(20000, true));
    assert.deepEqual(ok.json.evidence, evidence);
    const retract = (reason) => server.request('POST', `/v1/updates/${ok.json.id}/retract`, { token: editor, body: { reason } });
    assertTooLong(assert, await retract(textOf(20001, true)), '/reason', 20000);
    const r = await retract(textOf(20000, true));
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.json.retracted.reason, textOf(20000, true));
  });

  test('the author\'s whole name, however long, in the update, its reads and the history (not cut at 200 bytes)', async () => {
    const name = textOf(300); // 600 bytes
    const user = await server.request('POST', '/v1/users', { token: admin, body: { name, role: 'monitor' } });
    assert.equal(user.status, 201, user.text);
    const token = (await server.request('POST', `/v1/users/${user.json.id}/tokens`, { token: admin, body: { name: 't' } })).json.token;
    // a change of status, so that the history (changes only) has an entry for it
    const status = recState(server, f.rec3).status === 'stalled' ? 'not_started' : 'stalled';
    const r = await post(f.rec3, { body: 'seen', status }, token);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.author.name, name);
    assert.equal((await server.request('GET', `/v1/updates/${r.json.id}`)).json.author.name, name);
    const listed = (await server.request('GET', `/v1/recommendations/${f.rec3}/updates`)).json.items.find((u) => u.id === r.json.id);
    assert.equal(listed.author.name, name);
    const history = (await server.request('GET', `/v1/recommendations/${f.rec3}/history?limit=200`)).json.items;
    const entry = history.find((e) => e.update_id === r.json.id);
    assert.ok(entry, JSON.stringify(history).slice(0, 300));
    assert.equal(entry.actor.name, name);
    assert.equal(sql(server.db, `SELECT octet_length(author_name) FROM updates WHERE id = '${r.json.id}'`), '600');
  });

  test('SQL metacharacters and Cyrillic round-trip byte-exact', async () => {
    const body = "'; DROP TABLE updates; -- \"quoted\" \\ back $1 %s Бишкек ✓ 𝄞";
    const r = await post(f.rec3, { body, evidence: [{ url: "https://example.org/?q='x'--", title: 'Ош; DROP' }] }, monitor);
    assert.equal(r.status, 201, r.text);
    const g = await server.request('GET', `/v1/updates/${r.json.id}`);
    assert.equal(g.json.body, body);
    assert.equal(g.json.evidence[0].url, "https://example.org/?q='x'--");
    assert.equal(g.json.evidence[0].title, 'Ош; DROP');
    assert.ok(g.text.includes('Бишкек ✓ 𝄞'), 'UTF-8 is sent as is');
  });

  test('If-Match is honoured when sent: stale 412 (nothing stored), current or * 201', async () => {
    const v = recState(server, f.rec2).version;
    const n = countUpdates(server, f.rec2);
    const stale = await post(f.rec2, { body: 'stale' }, editor, { 'If-Match': `"${v - 1}-0123abcd"` });
    assertProblem(assert, stale, 412);
    const garbage = await post(f.rec2, { body: 'garbage' }, editor, { 'If-Match': '"abc"' });
    assertProblem(assert, garbage, 412);
    assert.equal(countUpdates(server, f.rec2), n);
    assert.equal(recState(server, f.rec2).version, v);
    // validation comes before the precondition
    assertProblem(assert, await post(f.rec2, { body: '' }, editor, { 'If-Match': `"${v - 1}-0"` }), 400, '/body');
    // a made-up tag of the current version is no current tag: the service's tags name their resource
    assertProblem(assert, await post(f.rec2, { body: 'made up' }, editor, { 'If-Match': `"${v}-0123abcd0123abcd"` }), 412);
    const etagOf = async (id) => (await server.request('GET', `/v1/recommendations/${id}`)).headers.get('etag');
    const ok = await post(f.rec2, { body: 'current' }, editor, { 'If-Match': await etagOf(f.rec2) });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(recState(server, f.rec2).version, v + 1);
    const any = await post(f.rec2, { body: 'any' }, editor, { 'If-Match': '*' });
    assert.equal(any.status, 201, any.text);
    // a list (RFC 9110): any current tag lets it through, none leaves it at 412
    const w = recState(server, f.rec2).version;
    assertProblem(assert, await post(f.rec2, { body: 'old list' }, editor, { 'If-Match': `"${w - 2}-aa", "${w - 1}-bb"` }), 412);
    const listed = await post(f.rec2, { body: 'listed' }, editor, { 'If-Match': `"${w - 1}-aa", ${await etagOf(f.rec2)}, "x"` });
    assert.equal(listed.status, 201, listed.text);
    assert.equal(recState(server, f.rec2).version, w + 1);
  });

  test('two clients racing with the same If-Match: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const v = recState(server, f.rec2).version;
      const n = countUpdates(server, f.rec2);
      const headers = { 'If-Match': (await server.request('GET', `/v1/recommendations/${f.rec2}`)).headers.get('etag') };
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) =>
        post(f.rec2, { body: `racer ${round}.${i}`, status: 'in_progress' }, i % 2 ? editor : monitor, headers)));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [201, 412, 412, 412], answers.map((a) => a.text).join('\n'));
      assert.equal(countUpdates(server, f.rec2), n + 1);
      assert.equal(recState(server, f.rec2).version, v + 1);
    }
  });

  test('effective order: a backdated update takes its place but does not change the current value', async () => {
    const { rec } = await fixture(server, editor);
    const a = await post(rec, { body: 'a', status: 'in_progress', progress: 40, occurred_on: '2022-05-01' }, monitor);
    const b = await post(rec, { body: 'b', status: 'stalled', occurred_on: '2022-07-01' }, monitor);
    const c = await post(rec, { body: 'c (backdated)', status: 'not_started', progress: 10, occurred_on: '2022-06-01' }, monitor);
    for (const x of [a, b, c]) assert.equal(x.status, 201, x.text);
    assert.deepEqual(c.json.previous, { status: 'in_progress', progress: 40, response: 'pending', agency_status: null });
    const s = recState(server, rec);
    assert.equal(s.status, 'stalled');
    assert.equal(s.progress, '10', 'progress of the backdated one stays the latest progress change');
    const gb = await server.request('GET', `/v1/updates/${b.json.id}`);
    assert.deepEqual(gb.json.previous, { status: 'not_started', progress: 10, response: 'pending', agency_status: null });
    // the timeline is newest first in effective order
    const l = await server.request('GET', `/v1/recommendations/${rec}/updates`);
    assert.equal(l.status, 200);
    assert.deepEqual(l.json.items.map((u) => u.body), ['b', 'c (backdated)', 'a']);
    assert.equal(l.json.next_cursor, null);
    assert.equal(l.headers.get('link'), null);
  });

  test('a recommendation\'s updates: pagination, bad parameters, 404, ETag', async () => {
    const { rec } = await fixture(server, editor);
    const ids = [];
    for (let i = 0; i < 7; i++) {
      const r = await post(rec, { body: `u${i}`, occurred_on: i % 2 ? '2022-01-01' : '2023-01-01' }, monitor);
      assert.equal(r.status, 201);
      ids.push(r.json.id);
    }
    const seen = [];
    let url = `/v1/recommendations/${rec}/updates?limit=2`;
    let pages = 0;
    while (url) {
      const p = await server.request('GET', url);
      assert.equal(p.status, 200, p.text);
      assert.ok(p.headers.get('etag'));
      seen.push(...p.json.items);
      pages++;
      const link = p.headers.get('link');
      if (p.json.next_cursor) {
        assert.equal(link, `<${url.split('?')[0]}?limit=2&cursor=${p.json.next_cursor}>; rel="next"`);
        url = `/v1/recommendations/${rec}/updates?limit=2&cursor=${p.json.next_cursor}`;
      } else {
        assert.equal(link, null);
        url = null;
      }
    }
    assert.equal(pages, 4);
    assert.deepEqual(seen.map((u) => u.id).sort(), [...ids].sort());
    const expected = [...seen].sort((x, y) => (y.occurred_on.localeCompare(x.occurred_on) || y.created_at.localeCompare(x.created_at)));
    assert.deepEqual(seen.map((u) => u.id), expected.map((u) => u.id));
    for (const q of ['limit=0', 'limit=201', 'limit=abc']) {
      assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec}/updates?${q}`), 400, 'limit');
    }
    const real = (await server.request('GET', `/v1/recommendations/${rec}/updates?limit=1`)).json.next_cursor;
    for (const c of ['garbage', forgeCursor(real, ['x']), forgeCursor(real, ['2022-01-01', 'x', 'y'])]) {
      assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec}/updates?cursor=${c}`), 400, 'cursor');
    }
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${UNKNOWN}/updates`), 404);
    assertProblem(assert, await server.request('GET', `/v1/recommendations/nope/updates`), 404);
    const full = await server.request('GET', `/v1/recommendations/${rec}/updates`);
    const etag = full.headers.get('etag');
    const nm = await server.request('GET', `/v1/recommendations/${rec}/updates`, { headers: { 'If-None-Match': etag } });
    assert.equal(nm.status, 304);
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec}/updates?lang=1`), 400, 'lang');
  });

  test('GET one update: 404 for malformed and unknown ids', async () => {
    assertProblem(assert, await server.request('GET', `/v1/updates/${UNKNOWN}`), 404);
    assertProblem(assert, await server.request('GET', '/v1/updates/not-a-uuid'), 404);
    assertProblem(assert, await server.request('GET', "/v1/updates/'%20OR%201=1"), 404);
  });

  test('PUT, PATCH and DELETE on an update are 405 with Allow: GET', async () => {
    const r = await post(f.rec3, { body: 'immutable' }, editor);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const x = await server.request(method, `/v1/updates/${r.json.id}`, { token: admin, body: { body: 'changed' } });
      assertProblem(assert, x, 405);
      assert.equal(x.headers.get('allow'), 'GET');
    }
    const g = await server.request('GET', `/v1/updates/${r.json.id}`);
    assert.equal(g.json.body, 'immutable');
  });

  test('retraction: editor only, reason required, readers lose body and evidence, state kept, repeat no-op', async () => {
    const { rec } = await fixture(server, editor);
    const u = await post(rec, { body: 'wrong claim', status: 'implemented', evidence: [{ url: 'https://example.org/x' }] }, monitor);
    assert.equal(u.status, 201);
    const id = u.json.id;
    const stateBefore = recState(server, rec);
    const path = `/v1/updates/${id}/retract`;
    assertProblem(assert, await server.request('POST', path, { body: { reason: 'x' } }), 401);
    assertProblem(assert, await server.request('POST', `/v1/updates/${UNKNOWN}/retract`, { body: { reason: 'x' } }), 401);
    assertProblem(assert, await server.request('POST', `/v1/updates/${UNKNOWN}/retract`, { token: editor, body: { reason: 'x' } }), 404);
    assertProblem(assert, await server.request('POST', `/v1/updates/nope/retract`, { token: monitor, body: { reason: 'x' } }), 404);
    assertProblem(assert, await server.request('POST', path, { token: monitor, body: { reason: 'x' } }), 403);
    assertProblem(assert, await server.request('POST', path, { token: anyAgency, body: { reason: 'x' } }), 403);
    assertProblem(assert, await server.request('POST', path, { token: editor, body: {} }), 400, '/reason');
    assertProblem(assert, await server.request('POST', path, { token: editor, body: { reason: '' } }), 400, '/reason');
    assertProblem(assert, await server.request('POST', path, { token: editor, body: { reason: 7 } }), 400, '/reason');
    assertProblem(assert, await server.request('POST', path, { token: editor, body: { reason: 'x', at: 'now' } }), 400, '/at');
    assertProblem(assert, await server.request('POST', path, { token: editor, body: '{"reason":', headers: JSON_TYPE }), 400);
    assertProblem(assert, await server.request('POST', path, { token: editor, body: 'x', headers: { 'Content-Type': 'text/plain' } }), 415);
    assert.equal(sql(server.db, `SELECT retracted_at IS NULL FROM updates WHERE id = '${id}'`), 't');

    const r = await server.request('POST', path, { token: editor, body: { reason: "Неверно; '--" } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.headers.get('etag'));
    assert.equal(r.json.body, 'wrong claim', 'the editor view keeps the body');
    assert.equal(r.json.retracted.reason, "Неверно; '--");
    assert.equal(r.json.retracted.by.name, 'editor user');
    assert.match(r.json.retracted.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(recState(server, rec), stateBefore, 'the recommendation is not rolled back');

    for (const token of [undefined, monitor, anyAgency]) {
      const g = await server.request('GET', `/v1/updates/${id}`, { token });
      assert.equal(g.json.body, null);
      assert.equal(g.json.evidence, null);
      assert.deepEqual(g.json.retracted, r.json.retracted);
      const l = await server.request('GET', `/v1/recommendations/${rec}/updates`, { token });
      assert.equal(l.json.items[0].body, null);
    }
    for (const token of [editor, admin]) {
      const g = await server.request('GET', `/v1/updates/${id}`, { token });
      assert.equal(g.json.body, 'wrong claim');
      assert.deepEqual(g.json.evidence, [{ url: 'https://example.org/x', title: null }]);
    }
    // what a retracted update shows depends on the token: caches are told so, on every read of updates
    const resolution = (await server.request('GET', `/v1/recommendations/${rec}`)).json.resolution_id;
    for (const p of [`/v1/updates/${id}`, `/v1/recommendations/${rec}/updates`, `/v1/recommendations/${rec}/updates?format=csv`,
      '/v1/updates', '/v1/updates?format=csv', `/v1/resolutions/${resolution}/export`]) {
      const v = await server.request('GET', p);
      assert.equal(v.status, 200, p);
      assert.match(v.headers.get('vary') || '', /\bAuthorization\b/, p);
    }
    const me = await server.request('GET', '/v1/me', { token: editor });
    assert.match(me.headers.get('vary') || '', /\bAuthorization\b/, '/v1/me');
    const again = await server.request('POST', path, { token: admin, body: { reason: 'second' } });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.retracted, r.json.retracted, 'the first retraction stays');
    // racing retractions: one retraction, both answers show it
    const u2 = await post(rec, { body: 'race' }, monitor);
    const both = await Promise.all(['one', 'two'].map((reason) =>
      server.request('POST', `/v1/updates/${u2.json.id}/retract`, { token: editor, body: { reason } })));
    assert.deepEqual(both.map((x) => x.status), [200, 200]);
    assert.deepEqual(both[0].json.retracted, both[1].json.retracted);
  });
});

describe('the update feed', () => {
  let server, editor, monitor, f, g, agencyToken;
  const post = (rec, body, token) =>
    server.request('POST', `/v1/recommendations/${rec}/updates`, { token, body });

  /** Follows the feed from `start` until a page has no Link; returns {items, cursor, pages}. */
  async function follow(query, start) {
    const items = [];
    let url = `/v1/updates?${query}${start ? `&cursor=${start}` : ''}`;
    let cursor = start, pages = 0;
    for (;;) {
      const p = await server.request('GET', url);
      assert.equal(p.status, 200, p.text);
      pages++;
      items.push(...p.json.items);
      assert.equal(typeof p.json.next_cursor, 'string', 'next_cursor on every page');
      cursor = p.json.next_cursor;
      const link = p.headers.get('link');
      if (!link) return { items, cursor, pages };
      const m = link.match(/^<([^>]+)>; rel="next"$/);
      assert.ok(m, link);
      url = m[1];
    }
  }

  /**
   * Waits until the feed shows every one of `ids`. The feed shows an update once no older
   * transaction is open anywhere in the PostgreSQL cluster (pg_current_snapshot's xmin), and the
   * other test files share the cluster and hold transactions (locks, sleeps) for seconds.
   */
  async function visible(...ids) {
    for (let i = 0; i < 300; i++) {
      const seen = new Set((await follow('limit=200')).items.map((u) => u.id));
      if (ids.every((id) => seen.has(id))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`the feed did not show ${ids.join(', ')} within 15 s`);
  }

  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    monitor = await server.token('monitor');
    const empty = await server.request('GET', '/v1/updates');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json.items, []);
    assert.equal(typeof empty.json.next_cursor, 'string');
    f = await fixture(server, editor);
    g = await fixture(server, editor);
    agencyToken = await server.token('agency', f.lead);
  });
  after(async () => {
    await server.stop();
    assert.ok(!server.logs.some((l) => /runtime error|Sanitizer/.test(l)), server.logs.join('\n'));
  });

  test('oldest first, next_cursor on every page, Link only when more, query string kept', async () => {
    const start = (await server.request('GET', '/v1/updates')).json.next_cursor;
    const startCivil = (await server.request('GET', '/v1/updates?source=civil_society')).json.next_cursor;
    const posted = [];
    for (let i = 0; i < 5; i++) posted.push((await post(f.rec, { body: `f${i}` }, monitor)).json.id);
    await visible(...posted);
    const all = await follow('limit=2', start);
    assert.deepEqual(all.items.map((u) => u.id), posted);
    assert.equal(all.pages, 3);
    // the Link keeps the other parameters and replaces cursor
    const p1 = await server.request('GET', `/v1/updates?limit=2&source=civil_society&cursor=${startCivil}`);
    assert.equal(p1.headers.get('link'),
      `</v1/updates?limit=2&source=civil_society&cursor=${p1.json.next_cursor}>; rel="next"`);
    // a cursor of the feed's shape holding a transaction id past xid8's range
    const parts = JSON.parse(Buffer.from(all.cursor.slice(16), 'base64url').toString());
    const forged = forgeCursor((await server.request('GET', '/v1/updates')).json.next_cursor, ['99999999999999999999', parts[1]]);
    assertProblem(assert, await server.request('GET', `/v1/updates?cursor=${forged}`), 400, 'cursor');
    // polling the last cursor: nothing new, the same cursor, 304 with its ETag
    const poll = await server.request('GET', `/v1/updates?limit=2&cursor=${all.cursor}`);
    assert.deepEqual(poll.json.items, []);
    assert.equal(poll.json.next_cursor, all.cursor);
    assert.equal(poll.headers.get('link'), null);
    const nm = await server.request('GET', `/v1/updates?limit=2&cursor=${all.cursor}`,
      { headers: { 'If-None-Match': poll.headers.get('etag') } });
    assert.equal(nm.status, 304);
    // a new update appears after the cursor
    const late = await post(f.rec2, { body: 'late' }, editor);
    await visible(late.json.id);
    const more = await follow('limit=2', all.cursor);
    assert.deepEqual(more.items.map((u) => u.id), [late.json.id]);
  });

  test('filters: resolution and agency (id or slug), source, since; archived resolutions included', async () => {
    const a = await post(g.rec, { body: 'g lead', status: 'in_progress' }, monitor);
    const b = await post(g.rec2, { body: 'g other' }, editor);
    const c = await post(f.rec, { body: 'f by agency', status: 'stalled' }, agencyToken);
    for (const x of [a, b, c]) assert.equal(x.status, 201, x.text);
    await visible(a.json.id, b.json.id, c.json.id);
    const ids = (items) => items.map((u) => u.id);
    const byRes = await follow(`resolution=${g.resolutionSlug}`);
    assert.deepEqual(ids(byRes.items), [a.json.id, b.json.id]);
    assert.deepEqual(ids((await follow(`resolution=${g.resolution}`)).items), [a.json.id, b.json.id]);
    // lead or supporting agency, by slug or id
    assert.deepEqual(ids((await follow(`agency=${g.support}`)).items), [a.json.id]);
    assert.deepEqual(ids((await follow(`agency=${g.otherId}`)).items), [b.json.id]);
    const bySource = await follow('source=agency');
    assert.deepEqual(ids(bySource.items), [c.json.id]);
    assert.equal(bySource.items[0].author.agency.slug, f.lead);
    const editorial = await follow(`source=editorial&resolution=${g.resolutionSlug}`);
    assert.deepEqual(ids(editorial.items), [b.json.id]);
    // since is exclusive on created_at
    const since = await follow(`since=${a.json.created_at}`);
    assert.deepEqual(ids(since.items), [b.json.id, c.json.id]);
    const since2 = await follow(`since=${encodeURIComponent(a.json.created_at.replace('Z', '+00:00'))}&limit=1`);
    assert.deepEqual(ids(since2.items), [b.json.id, c.json.id]);
    // archived resolutions stay in the feed
    const arch = await server.request('POST', `/v1/resolutions/${g.resolutionSlug}/archive`, { token: editor });
    assert.equal(arch.status, 200, arch.text);
    assert.deepEqual(ids((await follow(`resolution=${g.resolutionSlug}`)).items), [a.json.id, b.json.id]);
    assert.ok(ids((await follow('limit=200')).items).includes(a.json.id));
    // retracted updates stay, with body hidden from anonymous readers
    await server.request('POST', `/v1/updates/${b.json.id}/retract`, { token: editor, body: { reason: 'dup' } });
    const hidden = (await follow(`resolution=${g.resolutionSlug}`)).items[1];
    assert.equal(hidden.body, null);
    assert.equal(hidden.retracted.reason, 'dup');
  });

  test('bad feed parameters are 400 naming the parameter', async () => {
    const real = (await server.request('GET', '/v1/updates')).json.next_cursor;
    const bad = [
      ['since=yesterday', 'since'], ['since=2022-01-01', 'since'], ['since=2022-01-01T00:00:00', 'since'],
      ['source=monitor', 'source'], ['source=', 'source'],
      ['resolution=no-such-resolution', 'resolution'], [`resolution=${UNKNOWN}`, 'resolution'],
      ['resolution=bad%20slug', 'resolution'], ['agency=nobody', 'agency'], [`agency=${UNKNOWN}`, 'agency'],
      ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'],
      ['cursor=garbage', 'cursor'], [`cursor=${forgeCursor(real, ['1', 'x'])}`, 'cursor'],
      [`cursor=${forgeCursor(real, [1, 2])}`, 'cursor'], ['lang=!', 'lang'],
    ];
    for (const [q, field] of bad) {
      assertProblem(assert, await server.request('GET', `/v1/updates?${q}`), 400, field);
    }
  });

  test('exactly once while writers commit concurrently and out of order', async () => {
    const start = (await server.request('GET', '/v1/updates')).json.next_cursor;
    const h = await fixture(server, editor);
    const recs = [h.rec, h.rec2, h.rec3];
    let writing = true;
    const writer = async (w) => {
      for (let i = 0; i < 25; i++) {
        const r = await post(recs[(w + i) % 3], { body: `w${w}.${i}` }, w % 2 ? monitor : editor);
        assert.equal(r.status, 201, r.text);
      }
    };
    // slow writers: transactions that take their xid early and commit late, behind later ones
    const slow = (k) => new Promise((resolve, reject) => {
      const child = spawn('psql', [dbUrl(server.db), '-XqAt', '-v', 'ON_ERROR_STOP=1', '-c',
        `BEGIN; SELECT count(*) FROM update_post('${h.rec3}', NULL, '{"body": "slow ${k}"}', NULL, 'slow writer',
         NULL, NULL, 'civil_society'); SELECT pg_sleep(0.6); COMMIT;`]);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`slow writer ${k} failed`))));
    });
    const seen = new Map();
    const written = () => sql(server.db, `SELECT u.id FROM updates u JOIN recommendations r ON r.id = u.recommendation_id
                                          WHERE r.resolution_id = '${h.resolution}'`).split('\n');
    let all = null; // the updates written, once every writer is done
    const reader = async () => {
      let cursor = start;
      let giveUpAt = Infinity;
      for (;;) {
        const stopped = all !== null;
        const p = await server.request('GET', `/v1/updates?limit=7&cursor=${cursor}`);
        assert.equal(p.status, 200, p.text);
        for (const u of p.json.items) seen.set(u.id, (seen.get(u.id) || 0) + 1);
        assert.equal(typeof p.json.next_cursor, 'string');
        cursor = p.json.next_cursor;
        if (p.json.items.length > 0) continue;
        // Everything is committed once the writers are done, but the feed shows an update only
        // when no older transaction is open anywhere on the PostgreSQL server (other test files
        // write meanwhile): an empty page is not yet the end.
        if (stopped && all.every((id) => seen.has(id))) break;
        if (stopped && giveUpAt === Infinity) giveUpAt = Date.now() + 15000;
        if (Date.now() > giveUpAt) break;
        await sleep(20);
      }
    };
    const readerDone = reader();
    const writers = Promise.all([
      ...Array.from({ length: 4 }, (_, w) => writer(w)),
      ...Array.from({ length: 6 }, (_, k) => sleep(k * 150).then(() => slow(k))),
    ]);
    await writers.finally(() => { all = written(); });
    await readerDone;
    assert.equal(all.length, 4 * 25 + 6);
    for (const id of all) assert.equal(seen.get(id), 1, `update ${id} seen ${seen.get(id) || 0} times`);
    assert.equal(seen.size, all.length);
  });
});
