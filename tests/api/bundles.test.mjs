// Bundles: POST /v1/import, GET /v1/resolutions/{id}/export and `tracker import FILE`.
// Upserts and their counts, updates replayed in effective order, validation naming the JSON
// Pointer with nothing written, the 409 for a moved update, and the export → import round trip.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, assertProblem, assertTooLong, sql, runTracker, importSeed, createDatabase, rawRequest, feedShowing, ROOT,
  textOf, urlOf,
} from './harness.mjs';

const SEED_PATH = path.join(ROOT, 'data/resolution-2021-11-15.json');
const SEED = JSON.parse(fs.readFileSync(SEED_PATH, 'utf8'));
const seed = () => structuredClone(SEED);
const SEED_CODES = [
  'PS-1', 'PS-2', 'PS-3', 'PS-4', 'PS-5', 'PS-6', 'PS-7', 'PS-8', 'PS-9', 'PS-10',
  'GI-1', 'GI-2', 'GI-3', 'GI-4', 'GI-5', 'EA-1', 'EA-2', 'EA-3', 'EA-4',
];
const KINDS = ['resolutions', 'sectors', 'agencies', 'recommendations', 'updates'];
const counts = (c = {}) => Object.fromEntries(KINDS.map((k) => [k, c[k] || 0]));

/** A sanitizer build reports into the server's stderr; nothing may be there, nor an error log. */
function assertCleanLogs(srv) {
  const bad = srv.logs.filter((l) => /Sanitizer|runtime error|"level":"error"/.test(l));
  assert.deepEqual(bad, []);
}

/** Every table an import writes, counted, to prove that a refused import wrote nothing. */
function tableCounts(db) {
  return sql(db, `SELECT concat_ws(',', (SELECT count(*) FROM resolutions), (SELECT count(*) FROM sectors),
    (SELECT count(*) FROM agencies), (SELECT count(*) FROM recommendations),
    (SELECT count(*) FROM recommendation_agencies), (SELECT count(*) FROM updates),
    (SELECT sum(version) FROM recommendations), (SELECT sum(version) FROM agencies),
    (SELECT sum(version) FROM sectors), (SELECT sum(version) FROM resolutions))`);
}

// A small resolution with updates: one backdated, two retracted (one without a body).
const U = {
  u1: '11111111-1111-4111-8111-111111111111',
  u2: '22222222-2222-4222-8222-222222222222',
  u3: '33333333-3333-4333-8333-333333333333',
  u4: '44444444-4444-4444-8444-444444444444',
  u5: '55555555-5555-4555-8555-555555555555',
  u6: '66666666-6666-4666-8666-666666666666',
};
function updatesBundle() {
  return {
    format: 'recommendation-tracker/bundle@1',
    resolution: {
      slug: 'updates-2024', title: { en: 'With updates', ru: "Резолюция '; DROP TABLE updates; --" },
      adopted_on: '2024-01-01', summary: null, country: 'KG', addressees: ['Кабинет министров'],
    },
    sectors: [{ code: 'S', title: { en: 'Sector' } }],
    agencies: [
      { slug: 'upd-ministry', name: { en: 'Ministry', ky: 'Министрлиги' }, kind: 'ministry', parent: 'upd-cabinet' },
      { slug: 'upd-cabinet', name: { en: 'Cabinet' }, kind: 'cabinet', acronym: 'CoM', website: 'https://gov.kg' },
    ],
    recommendations: [
      {
        code: 'S-1', number: 1, sector: 'S', text: { en: 'Do it' }, lead_agency: 'upd-ministry',
        supporting_agencies: ['upd-cabinet', 'ebrd'], target_date: '2025-01-01',
        budget: { amount: '1250.50', currency: 'EUR' }, themes: ['a', 'b'], sdgs: [16, 5],
        updates: [
          { id: U.u1, body: 'started', occurred_on: '2024-01-10', source: 'civil_society', author_name: 'Monitor A',
            created_at: '2024-01-10T10:00:00Z', status: 'in_progress', progress: 30 },
          { id: U.u2, body: 'we did it', occurred_on: '2024-03-01', source: 'agency', author_name: 'Ministry staff',
            created_at: '2024-03-01T09:00:00.123456Z', status: 'implemented',
            evidence: [{ url: 'https://example.org/report', title: 'Report' }] },
          // backdated: recorded last, effective before u4, so it changes no current value
          { id: U.u3, body: 'it had stalled', occurred_on: '2024-02-01', source: 'civil_society', author_name: 'Monitor B',
            created_at: '2024-04-01T08:00:00+06:00', status: 'stalled', progress: 10 },
          { id: U.u4, body: 'the authority accepted', occurred_on: '2024-03-15', source: 'editorial', author_name: 'Editor',
            created_at: '2024-03-15T12:00:00Z', status: 'partially_implemented', progress: 60, response: 'accepted' },
          { id: U.u5, body: null, occurred_on: '2024-01-20', source: 'civil_society', author_name: 'Monitor A',
            created_at: '2024-01-20T10:00:00Z', status: 'not_started', evidence: null,
            retracted: { at: '2024-01-21T10:00:00Z', reason: 'duplicate' } },
          { id: U.u6, body: 'typo', occurred_on: '2024-01-05', source: 'civil_society', author_name: 'Monitor C',
            created_at: '2024-01-05T10:00:00Z', evidence: [{ url: 'http://example.org/x' }],
            retracted: { at: '2024-01-06T10:00:00Z', reason: 'wrong recommendation' } },
        ],
      },
      { code: 'S-2', number: 2, sector: 'S', text: { en: 'Do more' }, updates: [] },
    ],
  };
}

describe('import and export', () => {
  let server, editor, admin, monitor;
  const post = (body, token = editor, headers) => server.request('POST', '/v1/import', { token, body, headers });
  before(async () => {
    server = await startServer();
    [editor, admin, monitor] = await Promise.all([server.token('editor'), server.token('admin'), server.token('monitor')]);
  });
  after(async () => { await server.stop(); assertCleanLogs(server); });

  test('import needs an editor: 401 without or with a bad token, 403 for a monitor', async () => {
    const r = await post(seed(), null);
    assertProblem(assert, r, 401);
    assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    assertProblem(assert, await post(seed(), 'trk_bogus_bogus_bogus'), 401);
    assertProblem(assert, await post(seed(), monitor), 403);
    assert.equal(tableCounts(server.db).split(',')[0], '0');
  });

  test('bodies that are not a JSON object: 400 / 415 / 413', async () => {
    const json = { 'Content-Type': 'application/json' };
    assertProblem(assert, await post('{"format": ', editor, json), 400, '');
    assertProblem(assert, await post('[]', editor, json), 400, '');
    assertProblem(assert, await post('"bundle"', editor, json), 400, '');
    assertProblem(assert, await post('', editor, json), 400);
    assertProblem(assert, await post('{"format":"a","format":"b"}', editor, json), 400);
    assertProblem(assert, await post(JSON.stringify(seed()), editor, { 'Content-Type': 'text/plain' }), 415);
    const out = await rawRequest(server.port,
      `POST /v1/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${editor}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.equal(tableCounts(server.db).split(',')[0], '0');
  });

  test('a bundle with thousands of unknown members gets a readable answer: at most 100 errors', async () => {
    const doc = seed();
    for (let i = 0; i < 5000; i++) doc[`extra${i}`] = i;
    const r = await post(doc);
    assertProblem(assert, r, 400, '/extra0');
    assert.ok(r.json.errors.length <= 100, `${r.json.errors.length} errors`);
    assert.equal(tableCounts(server.db).split(',')[0], '0');
  });

  test('the 2021 seed imports: 1 resolution, 3 sectors, 20 agencies, 19 recommendations', async () => {
    const r = await post(seed());
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.json, {
      created: counts({ resolutions: 1, sectors: 3, agencies: 20, recommendations: 19 }),
      updated: counts(), unchanged: counts(),
    });
    assert.deepEqual(Object.keys(r.json.created), KINDS);
    const codes = sql(server.db, `SELECT string_agg(code, ',' ORDER BY sector_position, number)
      FROM recommendations m JOIN resolutions r ON r.id = m.resolution_id WHERE r.slug = 'bishkek-2021-11-15'`);
    assert.equal(codes, SEED_CODES.join(','));
    assert.equal(sql(server.db, "SELECT string_agg(code || position, ',' ORDER BY position) FROM sectors"), 'PS1,GI2,EA3');
    const ps2 = sql(server.db, `SELECT string_agg(a.slug || ':' || x.role, ',' ORDER BY x.role, x.position)
      FROM recommendation_agencies x JOIN agencies a ON a.id = x.agency_id JOIN recommendations m ON m.id = x.recommendation_id
      WHERE m.code = 'PS-2'`);
    assert.equal(ps2, 'ministry-of-emergency-situations:lead,national-platform-for-drr:supporting,local-self-government:supporting,cabinet-of-ministers:supporting');
    assert.equal(sql(server.db, `SELECT p.slug FROM agencies a JOIN agencies p ON p.id = a.parent_id WHERE a.slug = 'national-platform-for-drr'`),
      'ministry-of-emergency-situations');
    assert.equal(sql(server.db, "SELECT budget_amount || ' ' || budget_currency FROM recommendations WHERE code = 'PS-8'"), '43600000.00 USD');
    assert.equal(sql(server.db, "SELECT count(*) FROM recommendations WHERE status = 'not_assessed' AND response = 'pending' AND progress IS NULL AND version = 1"), '19');
    const res = await server.request('GET', '/v1/resolutions/bishkek-2021-11-15');
    assert.equal(res.status, 200);
    assert.equal(res.json.recommendations_count, 19);
    assert.deepEqual(res.json.organizers, SEED.resolution.organizers);
  });

  test('importing the same bundle again changes nothing', async () => {
    const before = tableCounts(server.db);
    const r = await post(seed());
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      created: counts(), updated: counts(),
      unchanged: counts({ resolutions: 1, sectors: 3, agencies: 20, recommendations: 19 }),
    });
    assert.equal(tableCounts(server.db), before);
  });

  test('a changed value counts as updated and bumps only that version', async () => {
    const versions = () => sql(server.db, "SELECT string_agg(code || '=' || version, ',' ORDER BY code) FROM recommendations");
    const v0 = versions();
    const b = seed();
    b.recommendations[2].text = { en: b.recommendations[2].text.en, ru: 'Текст' };
    b.sectors[1].title.ru = 'Гендер';
    b.agencies[4].acronym = 'MChS';
    b.recommendations[3].supporting_agencies.reverse();
    b.sectors[2].position = null; // null keeps the stored position
    let r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      created: counts(),
      updated: counts({ sectors: 1, agencies: 1, recommendations: 2 }),
      unchanged: counts({ resolutions: 1, sectors: 2, agencies: 19, recommendations: 17 }),
    });
    assert.equal(sql(server.db, "SELECT version FROM recommendations WHERE code = 'PS-3'"), '2');
    assert.equal(sql(server.db, "SELECT version FROM recommendations WHERE code = 'PS-4'"), '2');
    assert.equal(sql(server.db, "SELECT version FROM recommendations WHERE code = 'PS-5'"), '1');
    assert.equal(sql(server.db, "SELECT position FROM sectors WHERE code = 'EA'"), '3');
    assert.equal(sql(server.db, "SELECT text->>'ru' FROM recommendations WHERE code = 'PS-3'"), 'Текст');
    // and back: updated again, versions move once more
    r = await post(seed());
    assert.deepEqual(r.json.updated, counts({ sectors: 1, agencies: 1, recommendations: 2 }));
    assert.notEqual(versions(), v0);
    assert.equal(sql(server.db, "SELECT count(*) FROM recommendations WHERE text ? 'ru'"), '0');
  });

  test('parents may swap direction in one import (no intermediate cycle)', async () => {
    const parentOf = (slug) => sql(server.db, `SELECT coalesce(p.slug, '-') FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.slug = '${slug}'`);
    const b = seed();
    const moes = b.agencies.find((a) => a.slug === 'ministry-of-emergency-situations');
    const drr = b.agencies.find((a) => a.slug === 'national-platform-for-drr');
    moes.parent = drr.slug;
    delete drr.parent;
    let r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.updated, counts({ agencies: 2 }));
    assert.equal(parentOf('ministry-of-emergency-situations'), 'national-platform-for-drr');
    assert.equal(parentOf('national-platform-for-drr'), '-');
    r = await post(seed());
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.updated, counts({ agencies: 2 }));
    assert.equal(parentOf('national-platform-for-drr'), 'ministry-of-emergency-situations');
    assert.equal(parentOf('ministry-of-emergency-situations'), '-');
  });

  const invalid = [
    ['an unknown top-level member', (b) => { b.extra = 1; }, '/extra'],
    ['a wrong format string', (b) => { b.format = 'recommendation-tracker/bundle@2'; }, '/format'],
    ['a missing format', (b) => { delete b.format; }, '/format'],
    ['a resolution that is not an object', (b) => { b.resolution = []; }, '/resolution'],
    ['sectors that are not an array', (b) => { b.sectors = {}; }, '/sectors'],
    ['a missing recommendations member', (b) => { delete b.recommendations; }, '/recommendations'],
    ['an unknown resolution member (id is not a bundle member)', (b) => { b.resolution.id = 'x'; }, '/resolution/id'],
    ['a missing resolution slug', (b) => { delete b.resolution.slug; }, '/resolution/slug'],
    ['a bad date', (b) => { b.resolution.adopted_on = '2021-02-30'; }, '/resolution/adopted_on'],
    ['a bad country', (b) => { b.resolution.country = 'kg'; }, '/resolution/country'],
    ['an unassigned country code', (b) => { b.resolution.country = 'XX'; }, '/resolution/country'],
    ['an agency slug shaped like a UUID', (b) => { b.agencies[0].slug = '0f8fad5b-d9cb-469f-a165-70867728950e'; }, '/agencies/0/slug'],
    ['a sector that is not an object', (b) => { b.sectors[1] = 'GI'; }, '/sectors/1'],
    ['a sector position that is not an integer', (b) => { b.sectors[0].position = '1'; }, '/sectors/0/position'],
    ['a repeated sector code', (b) => { b.sectors[2].code = 'PS'; }, '/sectors/2/code'],
    ['an unknown agency kind', (b) => { b.agencies[0].kind = 'bank'; }, '/agencies/0/kind'],
    ['a repeated agency slug (the later one is named)', (b) => { b.agencies[16].slug = 'ombudsman'; }, '/agencies/16/slug'],
    ['a bad agency slug', (b) => { b.agencies[1].slug = 'Cabinet'; }, '/agencies/1/slug'],
    ['an agency that is its own parent', (b) => { b.agencies[2].parent = b.agencies[2].slug; }, '/agencies/2/parent'],
    ['an unknown parent', (b) => { b.agencies[5].parent = 'no-such-parent'; }, '/agencies/5/parent'],
    ['agencies that are each other\'s parents', (b) => { b.agencies[4].parent = 'national-platform-for-drr'; }, '/agencies/4/parent'],
    ['a missing recommendation text', (b) => { delete b.recommendations[3].text; }, '/recommendations/3/text'],
    ['an empty text', (b) => { b.recommendations[3].text.en = ''; }, '/recommendations/3/text/en'],
    ['a text of 20,001 characters', (b) => { b.recommendations[3].text.en = 'я'.repeat(20001); }, '/recommendations/3/text/en'],
    ['a state member (status)', (b) => { b.recommendations[0].status = 'implemented'; }, '/recommendations/0/status'],
    ['an unknown recommendation member', (b) => { b.recommendations[4].owner = 'x'; }, '/recommendations/4/owner'],
    ['an unknown sector code', (b) => { b.recommendations[2].sector = 'XX'; }, '/recommendations/2/sector'],
    ['a repeated recommendation code', (b) => { b.recommendations[1].code = 'PS-1'; }, '/recommendations/1/code'],
    ['a number that is negative', (b) => { b.recommendations[1].number = -1; }, '/recommendations/1/number'],
    ['an SDG out of range', (b) => { b.recommendations[1].sdgs = [18]; }, '/recommendations/1/sdgs/0'],
    ['a bad budget', (b) => { b.recommendations[7].budget = { amount: 'lots', currency: 'USD' }; }, '/recommendations/7/budget/amount'],
    ['an unknown lead agency', (b) => { b.recommendations[1].lead_agency = 'no-such-agency'; }, '/recommendations/1/lead_agency'],
    ['an unknown supporting agency', (b) => { b.recommendations[5].supporting_agencies[1] = 'nobody'; }, '/recommendations/5/supporting_agencies/1'],
    ['a supporting agency that is also the lead', (b) => { b.recommendations[0].supporting_agencies.push('jogorku-kenesh'); }, '/recommendations/0/supporting_agencies/3'],
    ['a repeated supporting agency', (b) => { b.recommendations[0].supporting_agencies.push('ombudsman'); }, '/recommendations/0/supporting_agencies/3'],
    ['updates that are not an array', (b) => { b.recommendations[0].updates = {}; }, '/recommendations/0/updates'],
  ];
  const upd = (extra) => ({
    id: 'aaaaaaaa-0000-4000-8000-000000000001', body: 'x', occurred_on: '2022-01-01', source: 'civil_society',
    author_name: 'A', created_at: '2022-01-01T00:00:00Z', ...extra,
  });
  const withUpdate = (extra) => (b) => { b.recommendations[6].updates = [upd({ id: 'aaaaaaaa-0000-4000-8000-000000000000' }), upd(extra)]; };
  const tomorrowPlus2 = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  invalid.push(
    ['an update status outside the vocabulary', withUpdate({ status: 'done' }), '/recommendations/6/updates/1/status'],
    ['an update progress of 101', withUpdate({ progress: 101 }), '/recommendations/6/updates/1/progress'],
    ['an update in the future', withUpdate({ occurred_on: tomorrowPlus2 }), '/recommendations/6/updates/1/occurred_on'],
    ['an update without a body that is not retracted', withUpdate({ body: null }), '/recommendations/6/updates/1/body'],
    ['an update without author_name', withUpdate({ author_name: undefined }), '/recommendations/6/updates/1/author_name'],
    ['an update id that is not a UUID', withUpdate({ id: 'not-a-uuid' }), '/recommendations/6/updates/1/id'],
    ['an update id repeated in the bundle', withUpdate({ id: 'AAAAAAAA-0000-4000-8000-000000000000' }), '/recommendations/6/updates/1/id'],
    ['an update with an unknown source', withUpdate({ source: 'monitor' }), '/recommendations/6/updates/1/source'],
    ['an update with a read-only member', withUpdate({ previous: {} }), '/recommendations/6/updates/1/previous'],
    ['a retraction without reason', withUpdate({ retracted: { at: '2022-01-02T00:00:00Z' } }), '/recommendations/6/updates/1/retracted/reason'],
    ['a retraction time without zone', withUpdate({ retracted: { at: '2022-01-02T00:00:00', reason: 'r' } }), '/recommendations/6/updates/1/retracted/at'],
    ['a bad evidence link', withUpdate({ evidence: [{ url: 'ftp://x' }] }), '/recommendations/6/updates/1/evidence/0/url'],
    // no post records an update in the future, nor retracts one there (no clock skew allowed either)
    ['an update recorded in the future', withUpdate({ created_at: '2031-01-01T00:00:00Z' }), '/recommendations/6/updates/1/created_at'],
    ['an update recorded a minute ahead', (b) => withUpdate({ created_at: new Date(Date.now() + 60000).toISOString() })(b), '/recommendations/6/updates/1/created_at'],
    ['an update retracted in the future', withUpdate({ retracted: { at: '2031-01-01T00:00:00+06:00', reason: 'r' } }),
      '/recommendations/6/updates/1/retracted/at'],
    // the role rules of a posted update: no import reaches a state no post can
    ['progress from source agency', withUpdate({ source: 'agency', progress: 50 }), '/recommendations/6/updates/1/progress'],
    ['progress and response from source agency', withUpdate({ source: 'agency', progress: 50, response: 'accepted' }),
      '/recommendations/6/updates/1/progress'],
    ['a response from source agency', withUpdate({ source: 'agency', response: 'accepted' }), '/recommendations/6/updates/1/response'],
    ['a response from source civil_society', withUpdate({ response: 'noted' }), '/recommendations/6/updates/1/response'],
    ['a response on a retracted civil_society update', withUpdate({ response: 'rejected', retracted: { at: '2022-01-02T00:00:00Z', reason: 'r' } }),
      '/recommendations/6/updates/1/response'],
  );
  for (const [what, change, pointer] of invalid) {
    test(`400 naming ${pointer} for ${what}; nothing written`, async () => {
      const before = tableCounts(server.db);
      const b = seed();
      b.resolution.slug = 'invalid-bundle';
      b.agencies.push({ slug: 'fresh-agency', name: { en: 'Fresh' }, kind: 'other' });
      change(b);
      const r = await post(JSON.parse(JSON.stringify(b)));
      assertProblem(assert, r, 400, pointer);
      assert.equal(r.json.errors[0].field, pointer, r.text);
      assert.equal(tableCounts(server.db), before); // fresh-agency was not created either
    });
  }

  test('role rules: each member an update\'s source may not set is named, once; null sets nothing', async () => {
    const before = tableCounts(server.db);
    const b = seed();
    b.resolution.slug = 'role-rules';
    b.recommendations[0].updates = [
      upd({ source: 'agency', progress: 50, response: 'accepted' }),
      upd({ id: 'aaaaaaaa-0000-4000-8000-000000000002', response: 'accepted' }),
      // a value that is invalid anyway is named for that alone
      upd({ id: 'aaaaaaaa-0000-4000-8000-000000000003', source: 'agency', progress: 101 }),
    ];
    const r = await post(b);
    assertProblem(assert, r, 400, '/recommendations/0/updates/0/progress');
    assert.deepEqual(r.json.errors, [
      { field: '/recommendations/0/updates/0/progress', message: 'an update from source agency cannot set progress' },
      { field: '/recommendations/0/updates/0/response', message: 'an update from source agency cannot set response' },
      { field: '/recommendations/0/updates/1/response', message: 'an update from source civil_society cannot set response' },
      { field: '/recommendations/0/updates/2/progress', message: 'is out of range' },
    ]);
    assert.equal(tableCounts(server.db), before);
    // what an export writes for an agency's update: both members null
    b.recommendations[0].updates = [upd({ source: 'agency', status: 'in_progress', progress: null, response: null }),
      upd({ id: 'aaaaaaaa-0000-4000-8000-000000000002', progress: 20, response: null }),
      upd({ id: 'aaaaaaaa-0000-4000-8000-000000000003', source: 'editorial', progress: 40, response: 'noted' })];
    const ok = await post(b);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(sql(server.db, `SELECT concat_ws('|', m.status, m.agency_status, m.progress, m.response)
      FROM recommendations m JOIN resolutions r ON r.id = m.resolution_id WHERE r.slug = 'role-rules' AND m.code = 'PS-1'`),
    'not_assessed|in_progress|40|noted');
  });

  test('agencies stored already may be named without being carried', async () => {
    const b = {
      format: 'recommendation-tracker/bundle@1',
      resolution: { slug: 'second', title: { en: 'Second' }, adopted_on: '2022-05-01' },
      sectors: [{ code: 'A', title: { en: 'A' }, position: 7 }, { code: 'B', title: { en: 'B' } }],
      agencies: [],
      recommendations: [{ code: 'A-1', number: 1, sector: 'B', text: { en: 't' }, lead_agency: 'ombudsman', supporting_agencies: ['ebrd'] }],
    };
    const r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.created, counts({ resolutions: 1, sectors: 2, recommendations: 1 }));
    // a new sector without position goes after the last one
    assert.equal(sql(server.db, "SELECT position FROM sectors s JOIN resolutions r ON r.id = s.resolution_id WHERE r.slug = 'second' AND code = 'B'"), '8');
  });

  test('updates set status, agency_status, progress and response in effective order', async () => {
    const r = await post(updatesBundle());
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      created: counts({ resolutions: 1, sectors: 1, agencies: 2, recommendations: 2, updates: 6 }),
      updated: counts(), unchanged: counts(),
    });
    const state = sql(server.db, `SELECT concat_ws('|', status, agency_status, progress, response, updates_count, ts_text(last_update_at))
      FROM recommendations WHERE code = 'S-1'`);
    // u4 (15 March) is the latest change in effective order; the backdated u3 does not override it
    assert.equal(state, 'partially_implemented|implemented|60|accepted|6|2024-04-01T02:00:00.000000Z');
    assert.equal(sql(server.db, "SELECT concat_ws('|', status, coalesce(agency_status::text, 'null'), coalesce(progress::text, 'null'), response, updates_count) FROM recommendations WHERE code = 'S-2'"),
      'not_assessed|null|null|pending|0');
    const rec = await server.request('GET', '/v1/resolutions/updates-2024/recommendations/S-1');
    assert.equal(rec.status, 200, rec.text);
    assert.deepEqual([rec.json.status, rec.json.agency_status, rec.json.progress, rec.json.response, rec.json.updates_count],
      ['partially_implemented', 'implemented', 60, 'accepted', 6]);
    assert.equal(rec.json.lead_agency.slug, 'upd-ministry');
    assert.deepEqual(rec.json.supporting_agencies.map((a) => a.slug), ['upd-cabinet', 'ebrd']);
    // the backdated update's previous is the state just before it in effective order
    assert.deepEqual(JSON.parse(sql(server.db, `SELECT previous FROM updates WHERE id = '${U.u3}'`)),
      { status: 'not_started', progress: 30, response: 'pending', agency_status: null });
    assert.equal(sql(server.db, `SELECT concat_ws('|', author_id IS NULL, author_name, source, body = '', ts_text(retracted_at), retracted_reason) FROM updates WHERE id = '${U.u5}'`),
      't|Monitor A|civil_society|t|2024-01-21T10:00:00.000000Z|duplicate');
    assert.equal(sql(server.db, `SELECT ts_text(created_at) FROM updates WHERE id = '${U.u2}'`), '2024-03-01T09:00:00.123456Z');
    assert.equal(sql(server.db, "SELECT p.slug FROM agencies a JOIN agencies p ON p.id = a.parent_id WHERE a.slug = 'upd-ministry'"), 'upd-cabinet');
  });

  test('the same updates again are unchanged and leave the recommendation alone', async () => {
    const v = sql(server.db, "SELECT version FROM recommendations WHERE code = 'S-1'");
    const b = updatesBundle();
    b.recommendations[0].updates[0].body = 'changed text: updates are immutable, matched by id';
    const r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.created, counts());
    assert.deepEqual(r.json.updated, counts());
    assert.deepEqual(r.json.unchanged, counts({ resolutions: 1, sectors: 1, agencies: 2, recommendations: 2, updates: 6 }));
    assert.equal(sql(server.db, "SELECT version FROM recommendations WHERE code = 'S-1'"), v);
    assert.equal(sql(server.db, `SELECT body FROM updates WHERE id = '${U.u1}'`), 'started');
  });

  test('a new update on an existing recommendation replays the order', async () => {
    const b = updatesBundle();
    b.recommendations[1].updates = [{ id: '77777777-7777-4777-8777-777777777777', body: 'late news', occurred_on: '2024-05-01',
      source: 'editorial', author_name: 'Editor', created_at: '2024-05-01T00:00:00Z', status: 'implemented', progress: 100, response: 'noted' }];
    const r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.created, counts({ updates: 1 }));
    assert.deepEqual(r.json.unchanged.updates, 6);
    assert.equal(sql(server.db, "SELECT concat_ws('|', status, progress, response, updates_count, version) FROM recommendations WHERE code = 'S-2'"),
      'implemented|100|noted|1|2');
  });

  test('an update id stored under another recommendation: 409, nothing written', async () => {
    const before = tableCounts(server.db);
    const b = updatesBundle();
    b.agencies.push({ slug: 'conflict-agency', name: { en: 'X' }, kind: 'other' });
    b.recommendations[1].updates = [{ ...b.recommendations[0].updates[0] }];
    b.recommendations[0].updates = [];
    const r = await post(b);
    assertProblem(assert, r, 409, '/recommendations/1/updates/0/id');
    assert.equal(tableCounts(server.db), before);
    assert.equal(sql(server.db, "SELECT count(*) FROM agencies WHERE slug = 'conflict-agency'"), '0');
    // under another resolution too
    const other = seed();
    other.recommendations[0].updates = [{ ...updatesBundle().recommendations[0].updates[1] }];
    assertProblem(assert, await post(other), 409, '/recommendations/0/updates/0/id');
    assert.equal(tableCounts(server.db), before);
  });

  test('export: a bundle with exactly the bundle members, by slug or id, ETag and 304', async () => {
    const r = await server.request('GET', '/v1/resolutions/updates-2024/export');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    const b = r.json;
    assert.deepEqual(Object.keys(b), ['format', 'resolution', 'sectors', 'agencies', 'recommendations']);
    assert.equal(b.format, 'recommendation-tracker/bundle@1');
    assert.deepEqual(Object.keys(b.resolution).sort(), ['addressees', 'adopted_on', 'city', 'country', 'organizers', 'slug',
      'source_language', 'source_url', 'summary', 'title', 'venue']);
    assert.equal(b.resolution.title.ru, "Резолюция '; DROP TABLE updates; --");
    assert.deepEqual(b.resolution.addressees, ['Кабинет министров']);
    assert.deepEqual(b.sectors, [{ code: 'S', title: { en: 'Sector' }, position: 1, participants: [] }]);
    // named agencies plus their parents: ebrd (supporting) and upd-cabinet (parent and supporting)
    assert.deepEqual(b.agencies.map((a) => a.slug), ['ebrd', 'upd-cabinet', 'upd-ministry']);
    assert.deepEqual(b.agencies[2], { slug: 'upd-ministry', name: { en: 'Ministry', ky: 'Министрлиги' }, kind: 'ministry',
      acronym: null, parent: 'upd-cabinet', website: null });
    const [s1, s2] = b.recommendations;
    assert.deepEqual(Object.keys(s1).sort(), ['budget', 'code', 'lead_agency', 'number', 'sdgs', 'sector', 'summary',
      'supporting_agencies', 'target_date', 'text', 'themes', 'updates']);
    assert.equal(s1.lead_agency, 'upd-ministry');
    assert.deepEqual(s1.supporting_agencies, ['upd-cabinet', 'ebrd']);
    assert.deepEqual(s1.budget, { amount: '1250.50', currency: 'EUR' });
    assert.deepEqual(s1.sdgs, [16, 5]);
    assert.equal(s2.lead_agency, null);
    // updates in effective order, with their retraction; without an editor token no retracted text
    assert.deepEqual(s1.updates.map((u) => u.id), [U.u6, U.u1, U.u5, U.u3, U.u2, U.u4]);
    const u6 = s1.updates[0];
    assert.deepEqual(u6, { id: U.u6, body: null, occurred_on: '2024-01-05', source: 'civil_society', author_name: 'Monitor C',
      created_at: '2024-01-05T10:00:00.000000Z', status: null, progress: null, response: null, evidence: null,
      retracted: { at: '2024-01-06T10:00:00.000000Z', reason: 'wrong recommendation' } });
    assert.equal(s1.updates[3].created_at, '2024-04-01T02:00:00.000000Z');
    assert.deepEqual(s1.updates[4].evidence, [{ url: 'https://example.org/report', title: 'Report' }]);
    const full = await server.request('GET', '/v1/resolutions/updates-2024/export', { token: editor });
    assert.equal(full.json.recommendations[0].updates[0].body, 'typo');
    // evidence is normalized as for a posted update: {url, title}
    assert.deepEqual(full.json.recommendations[0].updates[0].evidence, [{ url: 'http://example.org/x', title: null }]);
    assert.equal(full.json.recommendations[0].updates[2].body, null); // imported retracted without a body
    assert.notEqual(full.headers.get('etag'), r.headers.get('etag'));
    const monitorView = await server.request('GET', '/v1/resolutions/updates-2024/export', { token: monitor });
    assert.equal(monitorView.text, r.text);
    // by id, ?lang ignored, ETag and 304
    const id = sql(server.db, "SELECT id FROM resolutions WHERE slug = 'updates-2024'");
    const byId = await server.request('GET', `/v1/resolutions/${id}/export?lang=ru`);
    assert.equal(byId.text, r.text);
    assert.match(r.headers.get('etag'), /^"[^"]+"$/);
    const again = await server.request('GET', '/v1/resolutions/updates-2024/export', { headers: { 'If-None-Match': r.headers.get('etag') } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assertProblem(assert, await server.request('GET', '/v1/resolutions/updates-2024/export?lang=!!'), 400, 'lang');
    assertProblem(assert, await server.request('GET', '/v1/resolutions/no-such-resolution/export'), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/00000000-0000-4000-8000-000000000000/export'), 404);
    assertProblem(assert, await server.request('GET', "/v1/resolutions/'%3B%20DROP/export"), 404);
    assertProblem(assert, await server.request('GET', '/v1/resolutions/updates-2024/export', { token: 'trk_bogus_bogus' }), 401);
    assertProblem(assert, await server.request('POST', '/v1/resolutions/updates-2024/export', { token: editor, body: {} }), 405);
  });

  test('an anonymous export imports too (retracted updates without body or evidence)', async () => {
    const r = await server.request('GET', '/v1/resolutions/updates-2024/export');
    const again = await post(r.json);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.created, counts());
    assert.deepEqual(again.json.updated, counts());
  });

  test('an export of updates posted by each role imports again: the API and the bundle share the role rules', async () => {
    const b = updatesBundle();
    b.resolution.slug = 'posted-2024';
    b.recommendations.forEach((m) => { m.updates = []; });
    assert.equal((await post(b)).status, 200);
    const rec = sql(server.db, `SELECT m.id FROM recommendations m JOIN resolutions r ON r.id = m.resolution_id
      WHERE r.slug = 'posted-2024' AND m.code = 'S-1'`);
    const agency = await server.token('agency', 'upd-ministry');
    const posts = [
      [monitor, { body: 'done, says the monitor', status: 'implemented' }],
      [agency, { body: 'done, says the ministry', status: 'implemented' }],
      [editor, { body: 'answered', status: 'in_progress', progress: 70, response: 'partially_accepted' }],
      [admin, { body: 'answered again', response: 'noted' }],
    ];
    for (const [token, body] of posts) {
      const r = await server.request('POST', `/v1/recommendations/${rec}/updates`, { token, body });
      assert.equal(r.status, 201, r.text);
    }
    const exported = await server.request('GET', '/v1/resolutions/posted-2024/export', { token: editor });
    assert.equal(exported.status, 200, exported.text);
    const updates = exported.json.recommendations[0].updates;
    assert.deepEqual(updates.map((u) => [u.source, u.status, u.progress, u.response]), [
      ['civil_society', 'implemented', 100, null],
      ['agency', 'implemented', null, null],
      ['editorial', 'in_progress', 70, 'partially_accepted'],
      ['editorial', null, null, 'noted'],
    ]);
    const again = await post(exported.json);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.unchanged.updates, 4);
  });

  test('concurrent imports take turns: one creates, the other finds it unchanged', async () => {
    const b = updatesBundle();
    b.resolution.slug = 'concurrent';
    b.recommendations.forEach((m) => { m.updates = []; });
    const [r1, r2] = await Promise.all([post(b), post(b)]);
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r1.json.created.resolutions + r2.json.created.resolutions, 1);
    assert.equal(r1.json.unchanged.resolutions + r2.json.unchanged.resolutions, 1);
    assert.equal(sql(server.db, "SELECT count(*) FROM recommendations m JOIN resolutions r ON r.id = m.resolution_id WHERE r.slug = 'concurrent'"), '2');
  });

  // Hand-made updates as each role would post them: `implemented` without progress from a monitor
  // and an editor (progress 100 implied), from an agency (agency_status only, nothing implied),
  // and from an editor with progress given as null (given: nothing implied, as when posting).
  const IMPLIED = [
    ['I-1', 'civil_society', { body: 'started', occurred_on: '2024-01-10', status: 'in_progress', progress: 30 }],
    ['I-1', 'civil_society', { body: 'done', occurred_on: '2024-02-01', status: 'implemented' }],
    ['I-1', 'editorial', { body: 'slipped back', occurred_on: '2024-03-01', status: 'stalled' }],
    ['I-2', 'agency', { body: 'done, says the ministry', occurred_on: '2024-01-15', status: 'implemented' }],
    ['I-2', 'editorial', { body: 'done, progress unknown', occurred_on: '2024-02-15', status: 'implemented', progress: null }],
    ['I-3', 'editorial', { body: 'done and answered', occurred_on: '2024-04-01', status: 'implemented', response: 'accepted' }],
  ];
  function impliedBundle(slug, withUpdates) {
    const rec = (code, number) => ({
      code, number, sector: 'I', text: { en: code }, lead_agency: 'impl-ministry',
      updates: withUpdates ? IMPLIED.map(([c, source, u], i) => [c, {
        id: `cccccccc-0000-4000-8000-00000000000${i}`, author_name: `${source} author`, source,
        created_at: `${u.occurred_on}T12:00:00Z`, ...u,
      }]).filter(([c]) => c === code).map(([, u]) => u) : [],
    });
    return {
      format: 'recommendation-tracker/bundle@1',
      resolution: { slug, title: { en: slug }, adopted_on: '2023-12-01' },
      sectors: [{ code: 'I', title: { en: 'I' } }],
      agencies: [{ slug: 'impl-ministry', name: { en: 'Ministry' }, kind: 'ministry' }],
      recommendations: [rec('I-1', 1), rec('I-2', 2), rec('I-3', 3)],
    };
  }
  /** What posting or importing decides, per recommendation: its state, its updates, its history. */
  async function impliedOutcome(slug) {
    const out = {};
    for (const code of ['I-1', 'I-2', 'I-3']) {
      const m = await server.request('GET', `/v1/resolutions/${slug}/recommendations/${code}`);
      assert.equal(m.status, 200, m.text);
      const [list, history] = await Promise.all([
        server.request('GET', `/v1/recommendations/${m.json.id}/updates`),
        server.request('GET', `/v1/recommendations/${m.json.id}/history`)]);
      assert.equal(list.status, 200, list.text);
      assert.equal(history.status, 200, history.text);
      out[code] = {
        state: [m.json.status, m.json.agency_status, m.json.progress, m.json.response, m.json.updates_count],
        updates: list.json.items.reverse().map((u) => ({
          body: u.body, source: u.source, occurred_on: u.occurred_on, status: u.status, progress: u.progress,
          response: u.response, previous: u.previous,
        })),
        history: history.json.items.map((h) => [h.field, h.from, h.to, h.effective_on, h.source]),
      };
    }
    return out;
  }

  test('implemented without progress from a monitor or editor implies 100, as posting it does', async () => {
    const r = await post(impliedBundle('implied-imported', true));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.created, counts({ resolutions: 1, sectors: 1, agencies: 1, recommendations: 3, updates: 6 }));
    const imported = await impliedOutcome('implied-imported');
    const i1 = imported['I-1'];
    assert.deepEqual(i1.state, ['stalled', null, 100, 'pending', 3]);
    assert.deepEqual(i1.updates.map((u) => u.progress), [30, 100, null]);
    assert.deepEqual(i1.updates[2].previous, { status: 'implemented', progress: 100, response: 'pending', agency_status: null });
    assert.deepEqual(i1.history.filter(([field]) => field === 'progress').map(([, from, to]) => [from, to]), [[null, 30], [30, 100]]);
    assert.equal(sql(server.db, `SELECT progress FROM updates WHERE id = 'cccccccc-0000-4000-8000-000000000001'`), '100');
    // an agency's implemented sets agency_status alone; a progress given as null stays null
    assert.deepEqual(imported['I-2'].state, ['implemented', 'implemented', null, 'pending', 2]);
    assert.deepEqual(imported['I-2'].history.map(([field, from, to]) => [field, from, to]),
      [['agency_status', null, 'implemented'], ['status', 'not_assessed', 'implemented']]);
    assert.deepEqual(imported['I-3'].state, ['implemented', null, 100, 'accepted', 1]);

    // the same updates posted, by a monitor, an agency and an editor, decide the same, member by member
    assert.equal((await post(impliedBundle('implied-posted', false))).status, 200);
    const agency = await server.token('agency', 'impl-ministry');
    const tokens = { civil_society: monitor, agency, editorial: editor };
    for (const [code, source, body] of IMPLIED) {
      const m = await server.request('GET', `/v1/resolutions/implied-posted/recommendations/${code}`);
      const p = await server.request('POST', `/v1/recommendations/${m.json.id}/updates`, { token: tokens[source], body });
      assert.equal(p.status, 201, p.text);
    }
    const posted = await impliedOutcome('implied-posted');
    for (const code of Object.keys(posted)) {
      for (const part of ['state', 'updates', 'history']) {
        assert.deepEqual(imported[code][part], posted[code][part], `${code} ${part}`);
      }
    }
    // and an export carries the implied 100, so it imports to the same again
    const exported = await server.request('GET', '/v1/resolutions/implied-imported/export', { token: editor });
    assert.deepEqual(exported.json.recommendations[0].updates.map((u) => u.progress), [30, 100, null]);
    assert.deepEqual(exported.json.recommendations[1].updates.map((u) => u.progress), [null, null]);
    assert.deepEqual((await post(exported.json)).json.unchanged.updates, 6);
  });

  test('the feed lists an import\'s updates oldest first, across its recommendations, whatever the bundle order', async () => {
    const id = (n) => `dddddddd-0000-4000-8000-00000000000${n}`;
    const u = (n, at) => ({ id: id(n), body: `recorded ${at}`, occurred_on: at.slice(0, 10), source: 'civil_society',
      author_name: 'Monitor', created_at: at, status: 'in_progress' });
    const b = impliedBundle('feed-order', false);
    // newest first in each recommendation; 1 and 2 recorded at the same instant (then by id)
    b.recommendations[0].updates = [u(5, '2024-04-01T00:00:00Z'), u(2, '2024-02-01T00:00:00Z')];
    b.recommendations[1].updates = [u(4, '2024-03-01T00:00:00Z'), u(1, '2024-02-01T00:00:00Z'), u(0, '2024-01-01T00:00:00Z')];
    const r = await post(b);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.created.updates, 5);
    const feed = await feedShowing(server, 'resolution=feed-order', 5);
    assert.equal(feed.status, 200, feed.text);
    assert.deepEqual(feed.json.items.map((x) => x.id), [0, 1, 2, 4, 5].map(id));
    // a later import adds after them, in its own order
    b.recommendations[2].updates = [u(7, '2024-06-01T00:00:00Z'), u(6, '2024-05-01T00:00:00Z')];
    assert.equal((await post(b)).status, 200);
    const again = await feedShowing(server, 'resolution=feed-order', 7);
    assert.deepEqual(again.json.items.map((x) => x.id), [0, 1, 2, 4, 5, 6, 7].map(id));
  });

  test('every text at its limit, written through the API, exports (whole) to a bundle that imports', async () => {
    // written through the API as a user would: the bundle's limits must let all of it through again
    const call = async (method, p, body, token = editor, status = 201) => {
      const r = await server.request(method, p, { token, body });
      assert.equal(r.status, status, `${method} ${p}: ${r.text.slice(0, 300)}`);
      return r.json;
    };
    const user = await call('POST', '/v1/users', { name: textOf(500), role: 'editor' }, admin);
    const longNamed = (await call('POST', `/v1/users/${user.id}/tokens`, { name: textOf(500, true) }, admin)).token;
    await call('POST', '/v1/agencies', {
      slug: 'limits-agency', name: { en: textOf(20000, true) }, kind: 'ministry', acronym: textOf(100, true), website: urlOf(2048),
    });
    await call('POST', '/v1/resolutions', {
      slug: 'limits-2024', title: { en: 'Limits', ru: textOf(20000) }, adopted_on: '2024-01-01', venue: textOf(500, true),
      city: textOf(500), source_url: urlOf(2048), addressees: [textOf(1000, true)], organizers: [textOf(1000)],
    });
    await call('POST', '/v1/resolutions/limits-2024/sectors', { code: 'L', title: { en: 'L' }, participants: [textOf(1000, true)] });
    const rec = await call('POST', '/v1/recommendations', {
      resolution: 'limits-2024', sector: 'L', code: 'L-1', number: 1, text: { en: textOf(20000, true) },
      themes: [textOf(1000)], lead_agency: 'limits-agency',
    });
    const upd = await call('POST', `/v1/recommendations/${rec.id}/updates`, {
      body: textOf(20000, true), status: 'in_progress', evidence: [{ url: urlOf(2048), title: textOf(500, true) }],
    }, longNamed);
    assert.equal(upd.author.name, textOf(500));
    await call('POST', `/v1/updates/${upd.id}/retract`, { reason: textOf(20000) }, editor, 200);
    const exported = await server.request('GET', '/v1/resolutions/limits-2024/export', { token: admin });
    assert.equal(exported.status, 200);
    const agency = exported.json.agencies.find((a) => a.slug === 'limits-agency');
    assert.equal(agency.acronym, textOf(100, true));
    assert.equal(agency.website, urlOf(2048));
    const [u] = exported.json.recommendations[0].updates;
    assert.equal(u.author_name, textOf(500));
    assert.equal(u.retracted.reason, textOf(20000));
    // the same bundle again is accepted as it is (and changes nothing); the fresh database below takes it too
    const again = await post(exported.json);
    assert.equal(again.status, 200, again.text.slice(0, 300));
    assert.deepEqual(again.json.updated, counts());
  });

  test('bundle texts: one character over a limit is 400 naming it, with the limit, nothing written; at each limit taken', async () => {
    const upd1 = (extra) => (b) => {
      b.recommendations[6].updates = [{
        id: 'bbbbbbbb-0000-4000-8000-000000000001', body: 'x', occurred_on: '2022-01-01', source: 'civil_society',
        author_name: 'A', created_at: '2022-01-01T00:00:00Z', ...extra,
      }];
    };
    const over = [
      [(b) => { b.resolution.venue = textOf(501, true); }, '/resolution/venue', 500],
      [(b) => { b.resolution.city = textOf(501); }, '/resolution/city', 500],
      [(b) => { b.resolution.source_url = urlOf(2049); }, '/resolution/source_url', 2048],
      [(b) => { b.resolution.source_url = `https://${'a'.repeat(20000)}`; }, '/resolution/source_url', 2048],
      [(b) => { b.resolution.addressees = [textOf(1001, true)]; }, '/resolution/addressees/0', 1000],
      [(b) => { b.resolution.organizers = ['x', textOf(1001)]; }, '/resolution/organizers/1', 1000],
      [(b) => { b.sectors[1].participants = [textOf(1001, true)]; }, '/sectors/1/participants/0', 1000],
      [(b) => { b.agencies[0].acronym = textOf(101, true); }, '/agencies/0/acronym', 100],
      [(b) => { b.agencies[0].website = urlOf(2049); }, '/agencies/0/website', 2048],
      [(b) => { b.agencies[0].name.ky = textOf(20001, true); }, '/agencies/0/name/ky', 20000],
      [(b) => { b.recommendations[2].themes = [textOf(1001)]; }, '/recommendations/2/themes/0', 1000],
      [upd1({ author_name: textOf(501) }), '/recommendations/6/updates/0/author_name', 500],
      [upd1({ body: textOf(20001, true) }), '/recommendations/6/updates/0/body', 20000],
      [upd1({ evidence: [{ url: urlOf(2049) }] }), '/recommendations/6/updates/0/evidence/0/url', 2048],
      [upd1({ evidence: [{ url: urlOf(30), title: textOf(501, true) }] }), '/recommendations/6/updates/0/evidence/0/title', 500],
      [upd1({ retracted: { at: '2022-01-02T00:00:00Z', reason: textOf(20001) } }), '/recommendations/6/updates/0/retracted/reason', 20000],
    ];
    const before = tableCounts(server.db);
    for (const [change, pointer, max] of over) {
      const b = seed();
      b.resolution.slug = 'over-the-limits';
      change(b);
      assertTooLong(assert, await post(b), pointer, max);
    }
    assert.equal(tableCounts(server.db), before);
    // at each limit exactly, a bundle is taken
    const b = {
      format: 'recommendation-tracker/bundle@1',
      resolution: {
        slug: 'at-the-limits', title: { en: 'At the limits' }, adopted_on: '2024-01-01', venue: textOf(500, true),
        city: textOf(500), source_url: urlOf(2048), addressees: [textOf(1000, true)], organizers: [textOf(1000)],
      },
      sectors: [{ code: 'L', title: { en: 'L' }, participants: [textOf(1000, true)] }],
      agencies: [{ slug: 'at-the-limits', name: { en: 'A' }, kind: 'other', acronym: textOf(100, true), website: urlOf(2048) }],
      recommendations: [{
        code: 'L-1', number: 1, sector: 'L', text: { en: textOf(20000, true) }, themes: [textOf(1000)], lead_agency: 'at-the-limits',
        updates: [{
          id: 'bbbbbbbb-0000-4000-8000-000000000002', body: textOf(20000, true), occurred_on: '2022-01-01', source: 'civil_society',
          author_name: textOf(500), created_at: '2022-01-01T00:00:00Z', evidence: [{ url: urlOf(2048), title: textOf(500, true) }],
          retracted: { at: '2022-01-02T00:00:00Z', reason: textOf(20000) },
        }],
      }],
    };
    const ok = await post(b);
    assert.equal(ok.status, 200, ok.text.slice(0, 500));
    assert.equal(ok.json.created.updates, 1);
    assert.equal(sql(server.db, `SELECT char_length(author_name) || '|' || octet_length(author_name) FROM updates
      WHERE id = 'bbbbbbbb-0000-4000-8000-000000000002'`), '500|1000');
  });

  describe('round trip into a fresh database', () => {
    let fresh, freshEditor;
    before(async () => {
      fresh = await startServer();
      freshEditor = await fresh.token('editor');
    });
    after(async () => { await fresh.stop(); assertCleanLogs(fresh); });

    const strip = (v) => {
      if (Array.isArray(v)) return v.map(strip);
      if (v && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v)
          .filter(([k]) => !['id', 'resolution_id', 'sector_id', 'recommendation_id', 'created_at', 'updated_at', 'version', 'next_cursor', 'last_update_at', 'parent_id'].includes(k))
          .map(([k, x]) => [k, strip(x)]));
      }
      return v;
    };

    for (const slug of ['bishkek-2021-11-15', 'updates-2024', 'limits-2024']) {
      test(`${slug}: export → import reproduces the same resolution`, async () => {
        const exported = await server.request('GET', `/v1/resolutions/${slug}/export`, { token: admin });
        const freshAdmin = await fresh.token('admin');
        assert.equal(exported.status, 200);
        const r = await fresh.request('POST', '/v1/import', { token: freshEditor, body: exported.json });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.created.resolutions, 1);
        assert.equal(r.json.created.recommendations, exported.json.recommendations.length);
        const back = await fresh.request('GET', `/v1/resolutions/${slug}/export`, { token: freshAdmin });
        assert.deepEqual(back.json, exported.json);
        assert.equal(back.text, exported.text);
        const [a, b] = await Promise.all([server.request('GET', `/v1/resolutions/${slug}`), fresh.request('GET', `/v1/resolutions/${slug}`)]);
        assert.deepEqual(strip(b.json), strip(a.json));
        const state = `SELECT string_agg(concat_ws('|', m.code, m.status, m.agency_status, m.progress, m.response, m.updates_count,
            ts_text(m.last_update_at), m.sector_position, m.number), ',' ORDER BY m.code)
          FROM recommendations m JOIN resolutions r ON r.id = m.resolution_id WHERE r.slug = '${slug}'`;
        assert.equal(sql(fresh.db, state), sql(server.db, state));
        const prev = `SELECT string_agg(u.id || previous::text, ',' ORDER BY u.id) FROM updates u`;
        if (slug === 'updates-2024') {
          assert.equal(sql(fresh.db, prev), sql(server.db, `${prev} JOIN recommendations m ON m.id = u.recommendation_id
            JOIN resolutions r ON r.id = m.resolution_id WHERE r.slug = '${slug}'`));
        }
        // the other modules' reads, where they answer, agree too
        const codes = exported.json.recommendations.map((m) => m.code);
        for (const p of [`/v1/resolutions/${slug}/sectors`, `/v1/resolutions/${slug}/recommendations/${codes[0]}`,
          `/v1/resolutions/${slug}/recommendations/${codes[codes.length - 1]}`]) {
          const [x, y] = await Promise.all([server.request('GET', p), fresh.request('GET', p)]);
          assert.equal(y.status, x.status, `${p}: ${y.text}`);
          if (x.status === 200) assert.deepEqual(strip(y.json), strip(x.json));
        }
      });
    }
  });
});

describe('tracker import FILE', () => {
  let db, dir;
  before(async () => {
    db = createDatabase();
    const m = await runTracker(db, ['migrate']);
    assert.equal(m.code, 0, m.stderr);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
  });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  const write = (name, content) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  test('imports the seed, prints the counts and exits 0; importSeed() works', async () => {
    const r = await runTracker(db, ['import', SEED_PATH]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      created: counts({ resolutions: 1, sectors: 3, agencies: 20, recommendations: 19 }),
      updated: counts(), unchanged: counts(),
    });
    const again = await importSeed({ db });
    assert.deepEqual(JSON.parse(again.stdout).created, counts());
    assert.equal(sql(db, 'SELECT count(*) FROM recommendations'), '19');
  });

  test('a bad file exits 1 with a one-line message naming the pointer; nothing written', async () => {
    const before = tableCounts(db);
    const cases = [
      [write('broken.json', '{"format": '), /not valid JSON/],
      [write('surrogate.json', '{"recommendations": [{}, {"updates": [{"body": "x\\ud800"}]}]}'),
        /not valid JSON at line 1, column \d+ \(in \/recommendations\/1\/updates\/0\/body\): invalid Unicode/],
      // a NUL is told in the API's words, not the parser's flag
      [write('nul.json', '{"recommendations": [{"updates": [{"body": "a\\u0000b"}]}]}'),
        /\(in \/recommendations\/0\/updates\/0\/body\): \\u0000 \(NUL\) is not allowed in text/],
      [write('array.json', '[]'), /invalid bundle/],
      [write('sector.json', (() => { const b = seed(); b.resolution.slug = 'cli'; b.recommendations[0].sector = 'ZZ'; return b; })()),
        /\/recommendations\/0\/sector/],
      [write('agency.json', (() => { const b = seed(); b.resolution.slug = 'cli'; b.recommendations[4].lead_agency = 'nobody-here'; return b; })()),
        /\/recommendations\/4\/lead_agency/],
      [write('role.json', (() => {
        const b = seed();
        b.resolution.slug = 'cli';
        b.recommendations[0].updates = [{ id: 'bbbbbbbb-0000-4000-8000-000000000001', body: 'x', occurred_on: '2022-01-01',
          source: 'agency', author_name: 'A', created_at: '2022-01-01T00:00:00Z', progress: 50, response: 'accepted' }];
        return b;
      })()), /\/recommendations\/0\/updates\/0\/progress: an update from source agency cannot set progress\n/],
      [write('future.json', (() => {
        const b = seed();
        b.resolution.slug = 'cli';
        b.recommendations[1].updates = [{ id: 'bbbbbbbb-0000-4000-8000-000000000002', body: 'x', occurred_on: '2022-01-01',
          source: 'civil_society', author_name: 'A', created_at: '2031-01-01T00:00:00Z' }];
        return b;
      })()), /\/recommendations\/1\/updates\/0\/created_at: must not be in the future\n/],
      [path.join(dir, 'missing.json'), /cannot read/],
    ];
    for (const [file, message] of cases) {
      const r = await runTracker(db, ['import', file]);
      assert.equal(r.code, 1, `${file}: ${r.stdout}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
    assert.equal(tableCounts(db), before);
  });
});
