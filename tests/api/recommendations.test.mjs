// Recommendations: create, read by id and by code, patch, agency assignments, the filtered
// and sorted list with keyset pages, and the history of state changes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, sql, forgeCursor } from './harness.mjs';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let server, editor, monitor, admin;
let r1, r2, ps, gi, ea, other; // resolutions and sectors
let ag = {}; // agencies by slug

async function ok(res, status = 200) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  return res.json;
}

function post(path, body, token = editor, headers = {}) {
  return server.request('POST', path, { token, body, headers });
}

async function createRec(body) {
  return ok(await post('/v1/recommendations', { resolution: 'dialogue', sector: 'PS', ...body }), 201);
}

/** Every item of a list, following next_cursor with `limit`. */
async function walk(path, limit) {
  const seen = [];
  let url = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`;
  for (let pages = 0; pages < 100; pages++) {
    const res = await server.request('GET', url);
    const page = await ok(res);
    assert.ok(page.items.length <= limit);
    seen.push(...page.items);
    if (page.next_cursor === null) {
      assert.equal(res.headers.get('link'), null);
      return seen;
    }
    const link = res.headers.get('link');
    assert.ok(link && link.includes('rel="next"'), `missing Link: ${link}`);
    url = link.match(/^<([^>]+)>/)[1];
    assert.ok(url.includes(`cursor=${page.next_cursor}`));
  }
  throw new Error('too many pages');
}

/**
 * Posts an update through the API; when that endpoint is not available yet, stores it the way
 * the schema allows (a row in updates, then updates_apply).
 */
async function addUpdate(recId, body, token = monitor) {
  const res = await post(`/v1/recommendations/${recId}/updates`, body, token);
  if (res.status === 201) return res.json;
  const q = (v) => (v === undefined || v === null ? 'NULL' : `'${String(v).replace(/'/g, "''")}'`);
  const id = sql(server.db, 'SELECT gen_random_uuid()');
  sql(server.db, `INSERT INTO updates (id, recommendation_id, body, status, progress, response,
      occurred_on, source, author_name, author_role)
      VALUES ('${id}', '${recId}', ${q(body.body)}, ${q(body.status)}, ${q(body.progress)},
      ${q(body.response)}, coalesce(${q(body.occurred_on)}::date, current_date),
      '${token === editor ? 'editorial' : 'civil_society'}', 'fallback', NULL);
      SELECT updates_apply('${recId}')`);
  return { id };
}

before(async () => {
  server = await startServer();
  [editor, monitor, admin] = await Promise.all([server.token('editor'), server.token('monitor'), server.token('admin')]);
  r1 = await ok(await post('/v1/resolutions', {
    slug: 'dialogue', title: { ru: 'Резолюция', en: 'Resolution' }, adopted_on: '2021-11-15', source_language: 'ru',
  }), 201);
  r2 = await ok(await post('/v1/resolutions', { slug: 'later', title: { en: 'Later' }, adopted_on: '2022-05-01' }), 201);
  ps = await ok(await post('/v1/resolutions/dialogue/sectors', { code: 'PS', position: 1, title: { en: 'Security' } }), 201);
  gi = await ok(await post('/v1/resolutions/dialogue/sectors', { code: 'GI', position: 2, title: { en: 'Gender' } }), 201);
  ea = await ok(await post('/v1/resolutions/dialogue/sectors', { code: 'EA', position: 3, title: { en: 'Access' } }), 201);
  other = await ok(await post('/v1/resolutions/later/sectors', { code: 'PS', position: 1, title: { en: 'Other' } }), 201);
  for (const [slug, name, acronym] of [
    ['mchs', { ru: 'МЧС', ky: 'ӨКМ' }, 'MChS'],
    ['interior', { en: 'Ministry of Interior', ru: 'МВД' }, null],
    ['health', { en: 'Ministry of Health' }, null],
    ['akimat', { ky: 'Акимиат' }, null],
  ]) {
    ag[slug] = await ok(await post('/v1/agencies', { slug, name, kind: 'ministry', ...(acronym ? { acronym } : {}) }), 201);
  }
});

after(async () => {
  if (!server) return;
  const { code, signal } = await server.stop();
  // no statement failed (a 500) and no sanitizer report along the way
  const bad = server.logs.filter((l) => /"level":"error"|ERROR: |runtime error|Sanitizer/.test(l));
  assert.deepEqual(bad, []);
  assert.ok(code === 0 || signal === 'SIGTERM', `server ended with ${code} ${signal}`);
});

describe('create', () => {
  test('a full body by slugs and codes gives 201, Location, ETag and every member', async () => {
    const res = await post('/v1/recommendations', {
      resolution: 'dialogue', sector: 'PS', code: 'PS-1', number: 1,
      text: { ru: 'Разработать программу подготовки к урановых рискам', en: 'Develop a programme' },
      summary: { en: 'Programme' }, target_date: '2023-12-31',
      budget: { amount: '1500000.00', currency: 'KGS' }, themes: ['disaster-risk', 'training'], sdgs: [11, 13],
      lead_agency: 'mchs', supporting_agencies: ['interior', ag.health.id],
    });
    const rec = await ok(res, 201);
    assert.equal(res.headers.get('location'), `/v1/recommendations/${rec.id}`);
    assert.match(res.headers.get('etag'), /^"1-/);
    assert.deepEqual(Object.keys(rec), ['id', 'resolution_id', 'sector_id', 'code', 'number', 'text', 'summary',
      'response', 'status', 'progress', 'agency_status', 'lead_agency', 'supporting_agencies', 'target_date', 'budget',
      'themes', 'sdgs', 'updates_count', 'last_update_at', 'created_at', 'updated_at', 'version']);
    assert.equal(rec.resolution_id, r1.id);
    assert.equal(rec.sector_id, ps.id);
    assert.equal(rec.code, 'PS-1');
    assert.equal(rec.number, 1);
    assert.deepEqual(rec.text, { ru: 'Разработать программу подготовки к урановых рискам', en: 'Develop a programme' });
    assert.deepEqual(rec.summary, { en: 'Programme' });
    assert.equal(rec.response, 'pending');
    assert.equal(rec.status, 'not_assessed');
    assert.equal(rec.progress, null);
    assert.equal(rec.agency_status, null);
    assert.deepEqual(rec.lead_agency, { id: ag.mchs.id, slug: 'mchs', name: { ru: 'МЧС', ky: 'ӨКМ' }, acronym: 'MChS' });
    assert.deepEqual(rec.supporting_agencies.map((a) => a.slug), ['interior', 'health']);
    assert.equal(rec.target_date, '2023-12-31');
    assert.deepEqual(rec.budget, { amount: '1500000.00', currency: 'KGS' });
    assert.deepEqual(rec.themes, ['disaster-risk', 'training']);
    assert.deepEqual(rec.sdgs, [11, 13]);
    assert.equal(rec.updates_count, 0);
    assert.equal(rec.last_update_at, null);
    assert.match(rec.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(rec.version, 1);
    const got = await ok(await server.request('GET', `/v1/recommendations/${rec.id}`));
    assert.deepEqual(got, rec);
  });

  test('references by id work; optional members default', async () => {
    const rec = await ok(await post('/v1/recommendations', {
      resolution: r1.id, sector: gi.id, code: 'GI-1', number: 1, text: { en: 'Gender balance' },
      lead_agency: ag.interior.id,
    }), 201);
    assert.equal(rec.sector_id, gi.id);
    assert.equal(rec.lead_agency.slug, 'interior');
    assert.deepEqual(rec.supporting_agencies, []);
    assert.equal(rec.summary, null);
    assert.equal(rec.budget, null);
    assert.equal(rec.target_date, null);
    assert.deepEqual(rec.themes, []);
    assert.deepEqual(rec.sdgs, []);
  });

  test('text with SQL metacharacters and Cyrillic round-trips byte-exact', async () => {
    const text = { ru: "'; DROP TABLE recommendations; -- «ёЁ» \\ \" 😀", ky: 'Өзгөчө кырдаалдар' };
    const res = await post('/v1/recommendations', { resolution: 'dialogue', sector: 'EA', code: 'EA-9', number: 9, text });
    const rec = await ok(res, 201);
    assert.deepEqual(rec.text, text);
    const again = await server.request('GET', `/v1/recommendations/${rec.id}`);
    assert.deepEqual(again.json.text, text);
    assert.ok(Buffer.from(again.text).includes(Buffer.from('Өзгөчө кырдаалдар')));
    assert.equal(sql(server.db, "SELECT text->>'ru' FROM recommendations WHERE code = 'EA-9'"), text.ru);
  });

  test('auth: 401 without or with a bogus token, 403 below editor', async () => {
    const body = { resolution: 'dialogue', sector: 'PS', code: 'PS-77', number: 77, text: { en: 'x' } };
    let res = await server.request('POST', '/v1/recommendations', { body });
    assertProblem(assert, res, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assertProblem(assert, await post('/v1/recommendations', body, 'bogus-token'), 401);
    assertProblem(assert, await post('/v1/recommendations', body, monitor), 403);
    const agencyToken = await server.token('agency', 'mchs');
    assertProblem(assert, await post('/v1/recommendations', body, agencyToken), 403);
    assert.equal((await post('/v1/recommendations', body, admin)).status, 201);
  });

  test('unparseable bodies: 415, 400', async () => {
    const res = await server.request('POST', '/v1/recommendations', {
      token: editor, body: '{"code": "x"}', headers: { 'Content-Type': 'text/plain' },
    });
    assertProblem(assert, res, 415);
    for (const body of ['{"code": ', '[1, 2]', '"text"', '', '{"code": "A-1", "code": "A-2"}']) {
      const r = await server.request('POST', '/v1/recommendations', {
        token: editor, body, headers: { 'Content-Type': 'application/json' },
      });
      assertProblem(assert, r, 400);
    }
  });

  test('missing, wrong, unknown and read-only members are named', async () => {
    let res = await post('/v1/recommendations', {});
    for (const f of ['/resolution', '/sector', '/code', '/number', '/text']) assertProblem(assert, res, 400, f);
    const base = { resolution: 'dialogue', sector: 'PS', code: 'PS-50', number: 50, text: { en: 'x' } };
    const cases = [
      [{ code: 'PS 50' }, '/code'], [{ code: '' }, '/code'], [{ code: 'x'.repeat(41) }, '/code'], [{ code: 5 }, '/code'],
      [{ number: -1 }, '/number'], [{ number: '5' }, '/number'], [{ number: 1.5 }, '/number'],
      [{ text: {} }, '/text'], [{ text: 'plain' }, '/text'], [{ text: { en: '' } }, '/text/en'],
      [{ text: { EN: 'x' } }, '/text/EN'], [{ text: { en: 'x'.repeat(20001) } }, '/text/en'],
      [{ summary: { ru: 'ы'.repeat(20001) } }, '/summary/ru'],
      [{ target_date: '2023-02-30' }, '/target_date'], [{ target_date: '31.12.2023' }, '/target_date'],
      [{ budget: { amount: 1500, currency: 'KGS' } }, '/budget/amount'],
      [{ budget: { amount: '-5', currency: 'KGS' } }, '/budget/amount'],
      [{ budget: { amount: '5', currency: 'kgs' } }, '/budget/currency'],
      [{ budget: { amount: '5', currency: 'XYZ' } }, '/budget/currency'], // not in ISO 4217
      [{ budget: { amount: '5' } }, '/budget/currency'],
      [{ themes: 'x' }, '/themes'], [{ themes: [''] }, '/themes/0'], [{ themes: ['a', 'a'] }, '/themes/1'],
      [{ sdgs: [0] }, '/sdgs/0'], [{ sdgs: [18] }, '/sdgs/0'], [{ sdgs: [3, 3] }, '/sdgs/1'], [{ sdgs: ['3'] }, '/sdgs/0'],
      [{ lead_agency: 5 }, '/lead_agency'], [{ supporting_agencies: 'mchs' }, '/supporting_agencies'],
      [{ resolution: '' }, '/resolution'], [{ sector: null }, '/sector'],
      [{ colour: 'red' }, '/colour'], [{ status: 'implemented' }, '/status'], [{ progress: 5 }, '/progress'],
      [{ response: 'accepted' }, '/response'], [{ agency_status: 'stalled' }, '/agency_status'],
      [{ id: UNKNOWN }, '/id'], [{ version: 3 }, '/version'], [{ updates_count: 0 }, '/updates_count'],
      [{ created_at: '2021-01-01T00:00:00Z' }, '/created_at'], [{ resolution_id: r1.id }, '/resolution_id'],
    ];
    for (const [change, field] of cases) {
      res = await post('/v1/recommendations', { ...base, ...change });
      assertProblem(assert, res, 400, field);
    }
    assert.equal(sql(server.db, "SELECT count(*) FROM recommendations WHERE code = 'PS-50'"), '0');
  });

  test('references that name nothing are 400 naming the member', async () => {
    const base = { resolution: 'dialogue', sector: 'PS', code: 'PS-60', number: 60, text: { en: 'x' } };
    const cases = [
      [{ resolution: 'no-such' }, '/resolution'], [{ resolution: UNKNOWN }, '/resolution'],
      [{ resolution: "'; DROP TABLE x; --" }, '/resolution'],
      [{ sector: 'XX' }, '/sector'], [{ sector: UNKNOWN }, '/sector'], [{ sector: other.id }, '/sector'],
      [{ sector: "' OR 1=1 --" }, '/sector'],
      [{ lead_agency: 'nobody' }, '/lead_agency'], [{ lead_agency: UNKNOWN }, '/lead_agency'],
      [{ supporting_agencies: ['mchs', 'nobody'] }, '/supporting_agencies/1'],
      [{ supporting_agencies: ['NOT A SLUG!'] }, '/supporting_agencies/0'],
      [{ lead_agency: 'mchs', supporting_agencies: ['interior', 'mchs'] }, '/supporting_agencies/1'],
      [{ lead_agency: 'mchs', supporting_agencies: [ag.mchs.id] }, '/supporting_agencies/0'],
      [{ supporting_agencies: ['health', ag.health.id] }, '/supporting_agencies/1'],
    ];
    for (const [change, field] of cases) {
      const res = await post('/v1/recommendations', { ...base, ...change });
      assertProblem(assert, res, 400, field);
    }
    assert.equal(sql(server.db, "SELECT count(*) FROM recommendations WHERE code = 'PS-60'"), '0');
  });

  test('a duplicate code in the resolution is 409; the same code elsewhere is fine', async () => {
    await createRec({ code: 'PS-70', number: 70, text: { en: 'x' } });
    const res = await post('/v1/recommendations', { resolution: 'dialogue', sector: 'GI', code: 'PS-70', number: 1, text: { en: 'y' } });
    assertProblem(assert, res, 409);
    await ok(await post('/v1/recommendations', { resolution: 'later', sector: 'PS', code: 'PS-70', number: 70, text: { en: 'z' } }), 201);
  });
});

describe('read', () => {
  let rec;
  before(async () => {
    rec = await createRec({
      code: 'PS-80', number: 80, text: { ru: 'Текст', ky: 'Текст ky' }, summary: { ky: 'Кыскача' },
      lead_agency: 'akimat', supporting_agencies: ['mchs', 'interior'],
    });
  });

  test('ETag and If-None-Match', async () => {
    const res = await server.request('GET', `/v1/recommendations/${rec.id}`);
    await ok(res);
    const etag = res.headers.get('etag');
    assert.match(etag, /^"1-/);
    const again = await server.request('GET', `/v1/recommendations/${rec.id}`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
  });

  test('?lang renders localized objects with the fallbacks', async () => {
    let res = await server.request('GET', `/v1/recommendations/${rec.id}?lang=en`);
    let got = await ok(res);
    // no en: the resolution's source_language (ru) for its text; agency names skip that step
    assert.equal(got.text, 'Текст');
    assert.equal(got.summary, 'Кыскача');
    assert.equal(got.lead_agency.name, 'Акимиат');
    assert.equal(got.supporting_agencies[0].name, 'ӨКМ'); // mchs: {ru, ky}: first key, not ru
    assert.equal(got.supporting_agencies[1].name, 'Ministry of Interior');
    const etagEn = res.headers.get('etag');
    res = await server.request('GET', `/v1/recommendations/${rec.id}?lang=ky`);
    got = await ok(res);
    assert.equal(got.text, 'Текст ky');
    assert.equal(got.supporting_agencies[0].name, 'ӨКМ');
    assert.notEqual(res.headers.get('etag'), etagEn);
    got = await ok(await server.request('GET', `/v1/recommendations/${rec.id}?lang=ru-KG`));
    assert.equal(got.text, 'Текст');
    assert.equal(got.supporting_agencies[0].name, 'МЧС');
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec.id}?lang=english!`), 400, 'lang');
  });

  test('unknown and malformed ids are 404', async () => {
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${UNKNOWN}`), 404);
    assertProblem(assert, await server.request('GET', '/v1/recommendations/not-a-uuid'), 404);
    assertProblem(assert, await server.request('GET', "/v1/recommendations/'%3B%20DROP%20TABLE%20x"), 404);
  });

  test('a bogus token on a public read is 401', async () => {
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec.id}`, { token: 'bogus' }), 401);
  });

  test('by code within the resolution (id or slug), with the same ETag', async () => {
    const byId = await server.request('GET', `/v1/recommendations/${rec.id}`);
    for (const ref of ['dialogue', r1.id]) {
      const res = await server.request('GET', `/v1/resolutions/${ref}/recommendations/PS-80`);
      assert.deepEqual(await ok(res), byId.json);
      assert.equal(res.headers.get('etag'), byId.headers.get('etag'));
    }
    const ru = await ok(await server.request('GET', '/v1/resolutions/dialogue/recommendations/PS-80?lang=ky'));
    assert.equal(ru.text, 'Текст ky');
    assertProblem(assert, await server.request('GET', '/v1/resolutions/dialogue/recommendations/PS-999'), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/dialogue/recommendations/ps-80'), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/later/recommendations/PS-80'), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/nope/recommendations/PS-80'), 404);
    assertProblem(assert, await server.request('GET', `/v1/resolutions/${UNKNOWN}/recommendations/PS-80`), 404);
    // a code of no possible shape, bytes that are not text among them, is 404 as a malformed id is
    for (const code of ['%FF', 'PS%FF', '%00', 'PS--1', '-PS', `${'P'.repeat(41)}`, 'PS%20-1']) {
      assertProblem(assert, await server.request('GET', `/v1/resolutions/dialogue/recommendations/${code}`), 404);
    }
  });
});

describe('patch', () => {
  let rec, etag;
  before(async () => {
    const res = await post('/v1/recommendations', {
      resolution: 'dialogue', sector: 'PS', code: 'PS-90', number: 90, text: { en: 'Patch me' },
      summary: { en: 'S' }, budget: { amount: '10.50', currency: 'USD' }, target_date: '2030-01-01', lead_agency: 'mchs',
    });
    rec = await ok(res, 201);
    etag = res.headers.get('etag');
  });

  const patch = (id, body, headers = {}, token = editor) => server.request('PATCH', `/v1/recommendations/${id}`, { token, body, headers });

  test('order of checks: 401, 404, 403, 400, 428, 412', async () => {
    assertProblem(assert, await server.request('PATCH', `/v1/recommendations/${UNKNOWN}`, { body: {} }), 401);
    assertProblem(assert, await patch(UNKNOWN, {}, { 'If-Match': etag }), 404);
    assertProblem(assert, await patch('bad-id', {}, { 'If-Match': etag }), 404);
    assertProblem(assert, await patch(rec.id, { code: 'X-1' }, { 'If-Match': etag }, monitor), 403);
    assertProblem(assert, await patch(rec.id, { code: 'not valid' }), 400, '/code');
    assertProblem(assert, await patch(rec.id, { sector: 'NOPE' }), 400, '/sector');
    assertProblem(assert, await patch(rec.id, { code: 'PS-91' }), 428);
    assertProblem(assert, await patch(rec.id, { code: 'PS-91' }, { 'If-Match': '"99-abc"' }), 412);
    assertProblem(assert, await patch(rec.id, { code: 'PS-91' }, { 'If-Match': 'garbage' }), 412);
    const now = await ok(await server.request('GET', `/v1/recommendations/${rec.id}`));
    assert.equal(now.code, 'PS-90');
    assert.equal(now.version, 1);
  });

  test('state, agencies and the resolution are read-only here', async () => {
    for (const m of ['status', 'agency_status', 'progress', 'response', 'lead_agency', 'supporting_agencies',
      'resolution', 'resolution_id', 'id', 'version', 'created_at', 'updated_at', 'updates_count', 'last_update_at']) {
      const value = m === 'progress' || m === 'version' || m === 'updates_count' ? 1 : m === 'supporting_agencies' ? [] : 'x';
      assertProblem(assert, await patch(rec.id, { [m]: value }, { 'If-Match': etag }), 400, `/${m}`);
    }
    assertProblem(assert, await patch(rec.id, { nope: 1 }, { 'If-Match': etag }), 400, '/nope');
    assertProblem(assert, await patch(rec.id, { text: null }, { 'If-Match': etag }), 400, '/text');
    assertProblem(assert, await patch(rec.id, { text: { en: 'x'.repeat(20001) } }, { 'If-Match': etag }), 400, '/text/en');
  });

  test('{} changes nothing; a real change bumps the version; stale ETag is 412', async () => {
    let res = await patch(rec.id, {}, { 'If-Match': etag });
    assert.equal((await ok(res)).version, 1);
    assert.equal(res.headers.get('etag'), etag);
    res = await patch(rec.id, { text: { en: 'Patch me' } }, { 'If-Match': etag });
    assert.equal((await ok(res)).version, 1);
    // an ETag of another language representation of the same version is accepted
    const ru = await server.request('GET', `/v1/recommendations/${rec.id}?lang=ru`);
    res = await patch(rec.id, { text: { ru: 'Новый текст' }, summary: null, budget: null, target_date: null, themes: ['a'], sdgs: [5] },
      { 'If-Match': ru.headers.get('etag') });
    const got = await ok(res);
    assert.equal(got.version, 2);
    assert.deepEqual(got.text, { ru: 'Новый текст' });
    assert.equal(got.summary, null);
    assert.equal(got.budget, null);
    assert.equal(got.target_date, null);
    assert.deepEqual(got.themes, ['a']);
    assert.deepEqual(got.sdgs, [5]);
    assert.equal(got.lead_agency.slug, 'mchs');
    assert.ok(got.updated_at > rec.updated_at);
    assertProblem(assert, await patch(rec.id, { number: 91 }, { 'If-Match': etag }), 412);
    etag = res.headers.get('etag');
  });

  test('code changes; a taken code is 409; the sector moves within the resolution', async () => {
    await createRec({ code: 'PS-92', number: 92, text: { en: 'taken' } });
    assertProblem(assert, await patch(rec.id, { code: 'PS-92' }, { 'If-Match': etag }), 409);
    assertProblem(assert, await patch(rec.id, { sector: other.id }, { 'If-Match': etag }), 400, '/sector');
    let res = await patch(rec.id, { code: 'GI-90', sector: 'GI' }, { 'If-Match': etag });
    let got = await ok(res);
    assert.equal(got.code, 'GI-90');
    assert.equal(got.sector_id, gi.id);
    res = await patch(rec.id, { sector: ea.id }, { 'If-Match': res.headers.get('etag') });
    got = await ok(res);
    assert.equal(got.sector_id, ea.id);
    assert.equal(sql(server.db, `SELECT sector_position FROM recommendations WHERE id = '${rec.id}'`), '3');
    assert.equal((await ok(await server.request('GET', '/v1/resolutions/dialogue/recommendations/GI-90'))).id, rec.id);
  });
});

describe('agency assignments', () => {
  let rec;
  before(async () => {
    rec = await createRec({ code: 'PS-100', number: 100, text: { en: 'Assign me' }, lead_agency: 'mchs' });
  });
  const put = (id, body, token = editor) => server.request('PUT', `/v1/recommendations/${id}/agencies`, { token, body });

  test('replaces lead and supporting in order, bumping the version once', async () => {
    let res = await put(rec.id, { lead: ag.health.id, supporting: ['akimat', 'mchs'] });
    let got = await ok(res);
    assert.equal(got.lead_agency.slug, 'health');
    assert.deepEqual(got.supporting_agencies.map((a) => a.slug), ['akimat', 'mchs']);
    assert.equal(got.version, 2);
    assert.match(res.headers.get('etag'), /^"2-/);
    res = await put(rec.id, { lead: 'health', supporting: [ag.akimat.id, 'mchs'] });
    assert.equal((await ok(res)).version, 2, 'an identical assignment changes nothing');
    got = await ok(await put(rec.id, { lead: null, supporting: [] }));
    assert.equal(got.lead_agency, null);
    assert.deepEqual(got.supporting_agencies, []);
    assert.equal(got.version, 3);
    got = await ok(await put(rec.id, { lead: 'interior', supporting: ['mchs'] }));
    assert.equal(got.lead_agency.slug, 'interior');
    assert.equal(sql(server.db, `SELECT count(*) FROM recommendation_agencies WHERE recommendation_id = '${rec.id}'`), '2');
  });

  test('bad bodies and references are 400 and change nothing', async () => {
    const before = await ok(await server.request('GET', `/v1/recommendations/${rec.id}`));
    const cases = [
      [{ supporting: [] }, '/lead'], [{ lead: null }, '/supporting'], [{ lead: 'mchs', supporting: [], x: 1 }, '/x'],
      [{ lead: 5, supporting: [] }, '/lead'], [{ lead: null, supporting: 'mchs' }, '/supporting'],
      [{ lead: null, supporting: ['mchs', 'mchs'] }, '/supporting/1'],
      [{ lead: 'nobody', supporting: [] }, '/lead'], [{ lead: null, supporting: ['mchs', UNKNOWN] }, '/supporting/1'],
      [{ lead: 'mchs', supporting: ['health', 'mchs'] }, '/supporting/1'],
      [{ lead: null, supporting: ['mchs', ag.mchs.id] }, '/supporting/1'],
      [{ lead: "'; DROP TABLE agencies; --", supporting: [] }, '/lead'],
    ];
    for (const [body, field] of cases) assertProblem(assert, await put(rec.id, body), 400, field);
    assertProblem(assert, await server.request('PUT', `/v1/recommendations/${rec.id}/agencies`, {
      token: editor, body: 'nope', headers: { 'Content-Type': 'application/json' },
    }), 400);
    const afterwards = await ok(await server.request('GET', `/v1/recommendations/${rec.id}`));
    assert.deepEqual(afterwards, before);
  });

  test('If-Match is not needed, but one that is sent is honoured: stale 412, current or * 200', async () => {
    await ok(await put(rec.id, { lead: null, supporting: [] }));
    const cur = await server.request('GET', `/v1/recommendations/${rec.id}`);
    const etag = cur.headers.get('etag');
    const body = { lead: 'mchs', supporting: [] };
    const send = (tag) => server.request('PUT', `/v1/recommendations/${rec.id}/agencies`, { token: editor, body, headers: { 'If-Match': tag } });
    assertProblem(assert, await send(`"${cur.json.version + 7}-00"`), 412);
    assertProblem(assert, await send(`W/${etag}`), 412);
    assert.deepEqual(await ok(await server.request('GET', `/v1/recommendations/${rec.id}`)), cur.json, 'a refused PUT wrote');
    const done = await send(etag);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.version, cur.json.version + 1);
    assertProblem(assert, await send(etag), 412); // the tag the change made stale
    assert.equal((await send('*')).status, 200);
  });

  test('401, 404, 403', async () => {
    assertProblem(assert, await server.request('PUT', `/v1/recommendations/${rec.id}/agencies`, { body: { lead: null, supporting: [] } }), 401);
    assertProblem(assert, await put(UNKNOWN, { lead: null, supporting: [] }), 404);
    assertProblem(assert, await put('zzz', { lead: null, supporting: [] }), 404);
    assertProblem(assert, await put(rec.id, { lead: null, supporting: [] }, monitor), 403);
  });

  test('the database allows one lead only', () => {
    assert.throws(() => sql(server.db, `INSERT INTO recommendation_agencies (recommendation_id, agency_id, role)
      VALUES ('${rec.id}', '${ag.akimat.id}', 'lead')`));
  });
});

describe('list', () => {
  // a resolution of its own, so counts are exact
  let lr, s1, s2, recs;
  before(async () => {
    await ok(await post('/v1/resolutions', { slug: 'listing', title: { en: 'Listing', ru: 'Список' }, adopted_on: '2020-01-01' }), 201);
    lr = await ok(await server.request('GET', '/v1/resolutions/listing'));
    s1 = await ok(await post('/v1/resolutions/listing/sectors', { code: 'A', position: 1, title: { en: 'A' } }), 201);
    s2 = await ok(await post('/v1/resolutions/listing/sectors', { code: 'B', position: 2, title: { en: 'B' } }), 201);
    const mk = (sector, number, extra = {}) => post('/v1/recommendations', {
      resolution: 'listing', sector, code: `${sector}-${number}`, number, text: { en: `rec ${sector}-${number}` }, ...extra,
    }).then((r) => ok(r, 201));
    recs = {};
    // created out of order on purpose
    recs['B-1'] = await mk('B', 1, { themes: ['water'], target_date: '2020-06-01', lead_agency: 'health' });
    recs['A-10'] = await mk('A', 10, { sdgs: [4, 5], target_date: '2099-01-01', supporting_agencies: ['health'] });
    recs['A-2'] = await mk('A', 2, {
      text: { ru: 'Обеспечить безопасность урановых хвостохранилищ', en: 'Secure the tailings' },
      summary: { ky: 'Уран калдыктары' }, themes: ['water', 'safety'], target_date: '2020-01-01',
    });
    recs['A-1'] = await mk('A', 1, { lead_agency: 'mchs', sdgs: [5] });
    recs['B-3'] = await mk('B', 3, { text: { en: "it's (complex) & | ! :* <-> \\ 'quoted'" } });
  });

  const list = async (qs) => ok(await server.request('GET', `/v1/recommendations?resolution=listing${qs ? '&' + qs : ''}`));
  const codes = (page) => page.items.map((r) => r.code);

  test('natural code order: sector position, then number', async () => {
    const page = await list('');
    assert.deepEqual(codes(page), ['A-1', 'A-2', 'A-10', 'B-1', 'B-3']);
    assert.equal(page.next_cursor, null);
    assert.deepEqual(codes(await list('sort=code')), ['A-1', 'A-2', 'A-10', 'B-1', 'B-3']);
  });

  test('across resolutions, adopted_on comes first; every page walk sees each item once', async () => {
    const all = await ok(await server.request('GET', '/v1/recommendations?limit=200'));
    const total = Number(sql(server.db, 'SELECT count(*) FROM recommendations'));
    assert.equal(all.items.length, total);
    assert.deepEqual(all.items.slice(0, 5).map((r) => r.code), ['A-1', 'A-2', 'A-10', 'B-1', 'B-3']);
    const adopted = { [r1.id]: '2021-11-15', [r2.id]: '2022-05-01', [lr.id]: '2020-01-01' };
    const order = all.items.map((r) => adopted[r.resolution_id]);
    assert.deepEqual(order, [...order].sort());
    for (const sort of ['code', '-updated_at', 'target_date']) {
      for (const limit of [1, 2, 3]) {
        const seen = await walk(`/v1/recommendations?sort=${sort}`, limit);
        const ids = seen.map((r) => r.id);
        assert.equal(new Set(ids).size, ids.length, `${sort}/${limit}: repeated items`);
        assert.equal(ids.length, total, `${sort}/${limit}: missed items`);
      }
    }
  });

  test('sort=-updated_at and sort=target_date (none last)', async () => {
    const page = await list('sort=-updated_at');
    const times = page.items.map((r) => r.updated_at);
    assert.deepEqual(times, [...times].sort().reverse());
    const byTarget = await list('sort=target_date');
    assert.deepEqual(codes(byTarget).slice(0, 3), ['A-2', 'B-1', 'A-10']);
    assert.deepEqual(byTarget.items.slice(3).map((r) => r.target_date), [null, null]);
    const ids = byTarget.items.slice(3).map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort());
    // a page boundary inside the null tail
    const seen = await walk('/v1/recommendations?resolution=listing&sort=target_date', 4);
    assert.deepEqual(seen.map((r) => r.code), codes(byTarget));
  });

  test('pages: Link and next_cursor, a new item after the cursor is seen once', async () => {
    const res = await server.request('GET', '/v1/recommendations?resolution=listing&limit=2');
    const page = await ok(res);
    assert.deepEqual(codes(page), ['A-1', 'A-2']);
    assert.ok(page.next_cursor);
    const link = res.headers.get('link');
    assert.equal(link, `</v1/recommendations?resolution=listing&limit=2&cursor=${page.next_cursor}>; rel="next"`);
    // inserted before the cursor position: not seen; after it: seen once
    await ok(await post('/v1/recommendations', { resolution: 'listing', sector: 'A', code: 'A-0', number: 0, text: { en: 'new' } }), 201);
    await ok(await post('/v1/recommendations', { resolution: 'listing', sector: 'A', code: 'A-5', number: 5, text: { en: 'new' } }), 201);
    const rest = [];
    let url = link.match(/^<([^>]+)>/)[1];
    while (url) {
      const r = await server.request('GET', url);
      const p = await ok(r);
      rest.push(...codes(p));
      const l = r.headers.get('link');
      url = l ? l.match(/^<([^>]+)>/)[1] : null;
    }
    assert.deepEqual(rest, ['A-5', 'A-10', 'B-1', 'B-3']);
    sql(server.db, "DELETE FROM recommendations WHERE code IN ('A-0', 'A-5') AND resolution_id = (SELECT id FROM resolutions WHERE slug = 'listing')");
  });

  test('list ETag and 304', async () => {
    const res = await server.request('GET', '/v1/recommendations?resolution=listing');
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const again = await server.request('GET', '/v1/recommendations?resolution=listing', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });

  test('filters', async () => {
    assert.deepEqual(codes(await ok(await server.request('GET', `/v1/recommendations?resolution=${lr.id}`))),
      ['A-1', 'A-2', 'A-10', 'B-1', 'B-3']);
    assert.deepEqual(codes(await list('sector=B')), ['B-1', 'B-3']);
    assert.deepEqual(codes(await list(`sector=${s1.id}`)), ['A-1', 'A-2', 'A-10']);
    assert.deepEqual(codes(await ok(await server.request('GET', `/v1/recommendations?sector=${s2.id}`))), ['B-1', 'B-3']);
    assert.deepEqual(codes(await list('agency=health')), ['A-10', 'B-1']);
    assert.deepEqual(codes(await list(`agency=${ag.mchs.id}`)), ['A-1']);
    assert.deepEqual(codes(await list('lead_agency=health')), ['B-1']);
    assert.deepEqual(codes(await list('status=not_assessed')), ['A-1', 'A-2', 'A-10', 'B-1', 'B-3']);
    assert.deepEqual(codes(await list('status=implemented,stalled')), []);
    assert.deepEqual(codes(await list('response=pending')).length, 5);
    assert.deepEqual(codes(await list('response=accepted')), []);
    assert.deepEqual(codes(await list('theme=water')), ['A-2', 'B-1']);
    assert.deepEqual(codes(await list('theme=nothing')), []);
    assert.deepEqual(codes(await list('sdg=5')), ['A-1', 'A-10']);
    assert.deepEqual(codes(await list('overdue=true')), ['A-2', 'B-1']);
    assert.deepEqual(codes(await list('overdue=false')), ['A-1', 'A-10', 'B-3']);
    assert.deepEqual(codes(await list('theme=water&lead_agency=health&sdg=5')), []);
    assert.deepEqual(codes(await list('theme=water&overdue=true&sort=target_date')), ['A-2', 'B-1']);
  });

  test('updated_since is exclusive', async () => {
    const all = await list('sort=-updated_at');
    const newest = all.items[0];
    const second = all.items[1];
    assert.deepEqual(codes(await list(`updated_since=${encodeURIComponent(newest.updated_at)}`)), []);
    const since = await list(`updated_since=${encodeURIComponent(second.updated_at)}`);
    assert.deepEqual(codes(since), [newest.code]);
    assert.equal(codes(await list('updated_since=2000-01-01T00:00:00%2B06:00')).length, 5);
  });

  test('q: prefix full text over every language; tsquery syntax is only text', async () => {
    assert.deepEqual(codes(await list('q=' + encodeURIComponent('уран'))), ['A-2']);
    assert.deepEqual(codes(await list('q=' + encodeURIComponent('УРАНОВЫХ хвост'))), ['A-2']);
    assert.deepEqual(codes(await list('q=' + encodeURIComponent('калдык'))), ['A-2'], 'summary in ky');
    assert.deepEqual(codes(await list('q=tail')), ['A-2']);
    assert.deepEqual(codes(await list('q=' + encodeURIComponent('уран water'))), []);
    assert.deepEqual(codes(await list('q=rec')), ['A-1', 'A-10', 'B-1']);
    for (const q of ["it's", '(complex)', '&|!', ':*', '<->', "'", '\\', "'; DROP TABLE recommendations; --", '!!!', 'a & b | !c']) {
      const res = await server.request('GET', `/v1/recommendations?resolution=listing&q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `q=${q}: ${res.text}`);
    }
    assert.deepEqual(codes(await list('q=' + encodeURIComponent("it's complex"))), ['B-3']);
    assert.deepEqual(codes(await list('q=!!!')), []);
    assertProblem(assert, await server.request('GET', '/v1/recommendations?q='), 400, 'q');
    assertProblem(assert, await server.request('GET', `/v1/recommendations?q=${'a'.repeat(501)}`), 400, 'q');
  });

  test('?lang renders the items', async () => {
    const page = await list('lang=ru&sector=A');
    assert.equal(page.items[1].text, 'Обеспечить безопасность урановых хвостохранилищ');
    assert.equal(page.items[0].text, 'rec A-1');
    assert.equal(page.items[0].lead_agency.name, 'МЧС');
    assertProblem(assert, await server.request('GET', '/v1/recommendations?lang=1'), 400, 'lang');
  });

  test('bad parameters are 400 naming them', async () => {
    const cases = [
      ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'],
      ['cursor=garbage!!', 'cursor'], ['cursor=eyJ4IjoxfQ', 'cursor'],
      ['sort=number', 'sort'], ['sort=code&sort=code', 'sort'],
      ['status=done', 'status'], ['status=in_progress,', 'status'], ['status=', 'status'],
      ['response=yes', 'response'], ['sdg=0', 'sdg'], ['sdg=18', 'sdg'], ['sdg=x', 'sdg'], ['sdg=05', 'sdg'],
      ['overdue=yes', 'overdue'], ['updated_since=yesterday', 'updated_since'], ['updated_since=2021-01-01', 'updated_since'],
      ['resolution=no-such', 'resolution'], [`resolution=${UNKNOWN}`, 'resolution'], ['resolution=%27%3B--', 'resolution'],
      ['sector=A', 'sector'], [`sector=${UNKNOWN}`, 'sector'], ['resolution=listing&sector=Z', 'sector'],
      [`resolution=listing&sector=${other.id}`, 'sector'],
      ['agency=nobody', 'agency'], [`agency=${UNKNOWN}`, 'agency'], ['lead_agency=nobody', 'lead_agency'],
      ['lead_agency=%20x', 'lead_agency'], ['q=%FF%FE', 'q'], ['theme=%C3', 'theme'],
      [`theme=${'t'.repeat(1001)}`, 'theme'], ['status=stalled&status=implemented', 'status'],
    ];
    for (const [qs, field] of cases) {
      assertProblem(assert, await server.request('GET', `/v1/recommendations?${qs}`), 400, field);
    }
    // a cursor of the right shape whose values lie outside their columns' range (an int over 2^31)
    const page = await list('limit=1');
    const forged = forgeCursor(page.next_cursor, ['2021-11-15', UNKNOWN, 99999999999, 1, UNKNOWN]);
    assertProblem(assert, await server.request('GET', `/v1/recommendations?cursor=${forged}`), 400, 'cursor');
    assertProblem(assert, await server.request('GET', `/v1/recommendations?cursor=${forgeCursor(page.next_cursor, { x: 1 })}`), 400, 'cursor');
    // a cursor of another sort order does not fit
    assertProblem(assert, await server.request('GET', `/v1/recommendations?sort=-updated_at&cursor=${page.next_cursor}`), 400, 'cursor');
    assertProblem(assert, await server.request('GET', `/v1/recommendations?sort=target_date&cursor=${page.next_cursor}`), 400, 'cursor');
    const upd = await list('limit=1&sort=-updated_at');
    assertProblem(assert, await server.request('GET', `/v1/recommendations?sort=target_date&cursor=${upd.next_cursor}`), 400, 'cursor');
  });

  test('an archived resolution drops out unless the filter names it', async () => {
    await ok(await post('/v1/resolutions/listing/archive', undefined));
    try {
      const all = await ok(await server.request('GET', '/v1/recommendations?limit=200'));
      assert.ok(!all.items.some((r) => r.resolution_id === lr.id));
      assert.equal(codes(await list('')).length, 5);
      assert.equal(codes(await ok(await server.request('GET', `/v1/recommendations?resolution=${lr.id}`))).length, 5);
      assert.deepEqual(codes(await ok(await server.request('GET', `/v1/recommendations?sector=${s2.id}`))), []);
      await ok(await server.request('GET', `/v1/recommendations/${recs['A-1'].id}`));
    } finally {
      await ok(await post('/v1/resolutions/listing/unarchive', undefined));
    }
  });
});

describe('history', () => {
  let rec;
  before(async () => {
    rec = await createRec({ code: 'PS-200', number: 200, text: { en: 'History' }, lead_agency: 'mchs' });
  });

  test('every change in effective order with from/to, actor and pages', async () => {
    const h0 = await ok(await server.request('GET', `/v1/recommendations/${rec.id}/history`));
    assert.deepEqual(h0, { items: [], next_cursor: null });
    const u1 = await addUpdate(rec.id, { body: 'started', status: 'in_progress', progress: 20, occurred_on: '2022-03-01' });
    const u2 = await addUpdate(rec.id, { body: 'answered', response: 'accepted', occurred_on: '2022-04-01' }, editor);
    // backdated: takes its place before u1
    const u3 = await addUpdate(rec.id, { body: 'earlier', status: 'not_started', occurred_on: '2022-01-15' });
    const page = await ok(await server.request('GET', `/v1/recommendations/${rec.id}/history`));
    const rows = page.items.map((i) => [i.update_id, i.field, i.from, i.to]);
    assert.deepEqual(rows, [
      [u3.id, 'status', 'not_assessed', 'not_started'],
      [u1.id, 'status', 'not_started', 'in_progress'],
      [u1.id, 'progress', null, 20],
      [u2.id, 'response', 'pending', 'accepted'],
    ]);
    const first = page.items[0];
    assert.deepEqual(Object.keys(first), ['at', 'effective_on', 'field', 'from', 'to', 'update_id', 'source', 'actor']);
    assert.equal(first.effective_on, '2022-01-15');
    assert.match(first.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(Object.keys(first.actor), ['id', 'name', 'role']);
    if (first.actor.name === 'fallback') {
      console.log('# POST .../updates not available: updates were stored through SQL');
    } else {
      assert.equal(first.source, 'civil_society');
      assert.equal(first.actor.role, 'monitor');
      assert.match(first.actor.id, /^[0-9a-f-]{36}$/);
      assert.equal(page.items[3].source, 'editorial');
    }
    const now = await ok(await server.request('GET', `/v1/recommendations/${rec.id}`));
    assert.equal(now.status, 'in_progress');
    assert.equal(now.response, 'accepted');
    assert.equal(now.progress, 20);
    assert.equal(now.updates_count, 3);
    assert.ok(now.last_update_at);
    for (const limit of [1, 3]) {
      const seen = await walk(`/v1/recommendations/${rec.id}/history`, limit);
      assert.deepEqual(seen, page.items);
    }
    const res = await server.request('GET', `/v1/recommendations/${rec.id}/history`);
    assert.equal((await server.request('GET', `/v1/recommendations/${rec.id}/history`, {
      headers: { 'If-None-Match': res.headers.get('etag') } })).status, 304);
  });

  test('a repeated value is no change: the update stays in the timeline, not in the history', async () => {
    const r = await createRec({ code: 'PS-201', number: 201, text: { en: 'Repeats' } });
    const a = await addUpdate(r.id, { body: 'assessed', status: 'in_progress', progress: 40, occurred_on: '2022-03-01' });
    await addUpdate(r.id, { body: 'confirmed', status: 'in_progress', progress: 40, occurred_on: '2022-04-01' });
    // backdated between them, with the same values as the later one: the later one becomes no change
    const b = await addUpdate(r.id, { body: 'stalled first', status: 'stalled', occurred_on: '2022-02-01' });
    const page = await ok(await server.request('GET', `/v1/recommendations/${r.id}/history`));
    assert.deepEqual(page.items.map((i) => [i.update_id, i.field, i.from, i.to]), [
      [b.id, 'status', 'not_assessed', 'stalled'],
      [a.id, 'status', 'stalled', 'in_progress'],
      [a.id, 'progress', null, 40],
    ]);
    assert.equal((await ok(await server.request('GET', `/v1/recommendations/${r.id}/updates`))).items.length, 3);
  });

  test('imported updates have a null actor id', async () => {
    const id = sql(server.db, 'SELECT gen_random_uuid()');
    sql(server.db, `INSERT INTO updates (id, recommendation_id, body, status, occurred_on, source, author_name, created_at)
      VALUES ('${id}', '${rec.id}', 'imported', 'stalled', '2022-06-01', 'civil_society', 'Бишкек NGO', '2022-06-02T10:00:00Z');
      SELECT updates_apply('${rec.id}')`);
    const page = await ok(await server.request('GET', `/v1/recommendations/${rec.id}/history?limit=200`));
    const last = page.items.at(-1);
    assert.equal(last.update_id, id);
    assert.equal(last.at, '2022-06-02T10:00:00.000000Z');
    assert.equal(last.from, 'in_progress');
    assert.equal(last.to, 'stalled');
    assert.deepEqual(last.actor, { id: null, name: 'Бишкек NGO', role: null });
  });

  test('404, bad paging parameters', async () => {
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${UNKNOWN}/history`), 404);
    assertProblem(assert, await server.request('GET', '/v1/recommendations/nope/history'), 404);
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec.id}/history?limit=0`), 400, 'limit');
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec.id}/history?cursor=abc`), 400, 'cursor');
    const list = await ok(await server.request('GET', '/v1/recommendations?limit=1'));
    assertProblem(assert, await server.request('GET', `/v1/recommendations/${rec.id}/history?cursor=${list.next_cursor}`), 400, 'cursor');
  });
});
