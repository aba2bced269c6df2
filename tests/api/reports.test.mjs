// Reports: a known history (two resolutions, one archived; sectors; agencies; recommendations;
// updates with chosen occurred_on and created_at, backdated and retracted ones included) and
// every number of every report asserted against it; filters and their echo, 400s, weak ETags
// with 304 while unchanged, and CSV that parses back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { startServer, assertProblem, sql } from './harness.mjs';

const STATUSES = ['not_assessed', 'not_started', 'in_progress', 'stalled', 'partially_implemented', 'implemented', 'not_implemented'];
const RESPONSES = ['pending', 'accepted', 'partially_accepted', 'noted', 'rejected'];

/** {status: n} with every status present (zeros for the ones not given). */
const byStatus = (counts = {}) => Object.fromEntries(STATUSES.map((s) => [s, counts[s] || 0]));
const byResponse = (counts = {}) => Object.fromEntries(RESPONSES.map((s) => [s, counts[s] || 0]));

const TRICKY_EN = 'Build "safe", dams\nnow, Ёлка';
const TRICKY_RU = 'Построить дамбы, "быстро"\r\nи надёжно';
const AGENCY_RU = 'Водное агентство, "Суу"\nБишкек';

const DAY = 86400000;
/** Whole days from date a to date b (YYYY-MM-DD). */
const daysBetween = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
const today = () => new Date().toISOString().slice(0, 10);
const monthStart = (d) => `${d.slice(0, 7)}-01`;

describe('reports', () => {
  let server, editor, monitor, healthAgency;
  const rec = {}; // code → id
  const ids = {}; // other ids by name

  async function post(path, body, token = editor) {
    const r = await server.request('POST', path, { token, body });
    assert.ok(r.status === 201 || r.status === 200, `${path}: ${r.status} ${r.text}`);
    return r.json;
  }

  /** Inserts an update with chosen dates (created_at is an SQL expression) and replays the state. */
  function addUpdate(code, u) {
    const role = { civil_society: 'monitor', agency: 'agency', editorial: 'editor' }[u.source || 'civil_society'];
    const q = (v) => (v === undefined || v === null ? 'NULL' : `'${v}'`);
    const id = sql(server.db, `INSERT INTO updates (id, recommendation_id, body, status, progress, response,
        occurred_on, source, author_name, author_role, created_at, retracted_at, retracted_reason)
      VALUES (gen_random_uuid(), '${rec[code]}', 'note', ${q(u.status)}, ${u.progress ?? 'NULL'}, ${q(u.response)},
        '${u.occurred_on}', '${u.source || 'civil_society'}', 'Tester', '${role}', ${u.created_at},
        ${u.retracted ? `(${u.created_at})::timestamptz + interval '1 hour'` : 'NULL'}, ${u.retracted ? "'test'" : 'NULL'})
      RETURNING id`);
    sql(server.db, `SELECT updates_apply('${rec[code]}')`);
    return id;
  }

  const get = (path, options) => server.request('GET', path, options);
  async function getOk(path, options) {
    const r = await get(path, options);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return r;
  }

  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    monitor = await server.token('monitor');

    const main = await post('/v1/resolutions', {
      slug: 'rep-main', title: { en: 'Main', ru: 'Главная' }, adopted_on: '2022-01-15', source_language: 'en',
    });
    ids.main = main.id;
    const ps = await post('/v1/resolutions/rep-main/sectors', { code: 'PS', position: 1, title: { en: 'Public, "security"', ru: 'Безопасность' } });
    const gi = await post('/v1/resolutions/rep-main/sectors', { code: 'GI', position: 2, title: { en: 'Gender', ru: 'Гендер' } });
    ids.ps = ps.id;
    ids.gi = gi.id;
    const water = await post('/v1/agencies', { slug: 'a-water', name: { en: 'Water agency', ru: AGENCY_RU }, kind: 'state_agency', acronym: 'WA' });
    const health = await post('/v1/agencies', { slug: 'a-health', name: { en: 'Health ministry' }, kind: 'ministry' });
    await post('/v1/agencies', { slug: 'a-idle', name: { en: 'Idle' }, kind: 'other' });
    ids.water = water.id;
    ids.health = health.id;
    healthAgency = await server.token('agency', 'a-health');

    const mk = async (resolution, sector, code, number, extra = {}) => {
      const r = await post('/v1/recommendations', { resolution, sector, code, number, text: { en: `Text ${code}` }, ...extra });
      rec[code] = r.id;
    };
    await mk('rep-main', 'PS', 'PS-1', 1, {
      text: { en: TRICKY_EN, ru: TRICKY_RU }, target_date: '2022-06-30',
      lead_agency: 'a-water', supporting_agencies: ['a-health'], themes: ['water', 'safety'],
    });
    await mk('rep-main', 'PS', 'PS-2', 2, { target_date: '2030-01-01', lead_agency: 'a-health' });
    await mk('rep-main', 'PS', 'PS-10', 10, { target_date: '2022-03-01', lead_agency: 'a-water' });
    await mk('rep-main', 'GI', 'GI-1', 1, { target_date: '2022-03-01', supporting_agencies: ['a-health'] });

    await post('/v1/resolutions', { slug: 'rep-archived', title: { en: 'Old' }, adopted_on: '2021-06-01' });
    await post('/v1/resolutions/rep-archived/sectors', { code: 'X', position: 1, title: { en: 'X sector' } });
    await mk('rep-archived', 'X', 'X-1', 1, { lead_agency: 'a-water' });

    // PS-1: in_progress, then a backdated stalled (recorded after the later change), then
    // partially_implemented; the agency claims implemented (a perception gap)
    addUpdate('PS-1', { status: 'in_progress', progress: 20, occurred_on: '2022-02-10', created_at: "'2022-02-11T09:00:00Z'" });
    addUpdate('PS-1', { status: 'partially_implemented', progress: 33, response: 'accepted', source: 'editorial', occurred_on: '2022-05-20', created_at: "'2022-05-21T09:00:00Z'" });
    addUpdate('PS-1', { status: 'implemented', source: 'agency', occurred_on: '2022-06-01', created_at: "'2022-06-02T09:00:00Z'" });
    addUpdate('PS-1', { status: 'stalled', occurred_on: '2022-03-15', created_at: "'2022-05-25T09:00:00Z'" });
    // PS-2: implemented; an editorial response; a retracted note in Q1
    addUpdate('PS-2', { status: 'implemented', progress: 100, occurred_on: '2022-04-05', created_at: "'2022-04-06T09:00:00Z'" });
    addUpdate('PS-2', { response: 'noted', source: 'editorial', occurred_on: '2022-04-06', created_at: "'2022-07-01T00:00:00Z'" });
    addUpdate('PS-2', { occurred_on: '2022-02-20', created_at: "'2022-03-01T12:00:00Z'", retracted: true });
    // GI-1: not_started before the resolution was adopted; a later in_progress that is retracted
    // (it stays in the history and the state, but not as the latest update for stale)
    addUpdate('GI-1', { status: 'not_started', progress: 0, occurred_on: '2022-01-10', created_at: "now() - interval '300 days 5 hours'" });
    ids.retracted = addUpdate('GI-1', { status: 'in_progress', occurred_on: '2022-08-01', created_at: "now() - interval '10 days 5 hours'" });
    // X-1 (archived resolution): two changes on the same day; the one recorded later wins
    addUpdate('X-1', { status: 'implemented', occurred_on: '2021-07-01', created_at: "'2021-07-02T09:00:00Z'" });
    addUpdate('X-1', { status: 'in_progress', occurred_on: '2021-07-01', created_at: "'2021-07-03T09:00:00Z'" });
    // PS-10 never updated: silent since its creation
    sql(server.db, `UPDATE recommendations SET created_at = now() - interval '200 days 5 hours' WHERE id = '${rec['PS-10']}'`);

    // through the API, recorded now: one per source
    await post(`/v1/recommendations/${rec['PS-2']}/updates`, { body: 'we did it', status: 'implemented' }, healthAgency);
    await post(`/v1/recommendations/${rec['PS-1']}/updates`, { body: 'monitor note' }, monitor);
    await post(`/v1/recommendations/${rec['PS-1']}/updates`, { body: 'editor note' }, editor);
    await post(`/v1/updates/${ids.retracted}/retract`, { reason: 'wrong' }, editor);

    await post('/v1/resolutions/rep-archived/archive', undefined);
  });
  after(async () => { await server.stop(); });

  test('the history is as built', async () => {
    const states = Object.fromEntries(Object.keys(rec).map((code) => [code,
      sql(server.db, `SELECT status || '/' || coalesce(agency_status::text, '-') || '/' || coalesce(progress::text, '-') || '/' || response FROM recommendations WHERE id = '${rec[code]}'`)]));
    assert.deepEqual(states, {
      'PS-1': 'partially_implemented/implemented/33/accepted',
      'PS-2': 'implemented/implemented/100/noted',
      'PS-10': 'not_assessed/-/-/pending',
      'GI-1': 'in_progress/-/0/pending',
      'X-1': 'in_progress/-/-/pending',
    });
  });

  test('summary: every number, archived resolutions left out', async () => {
    const r = await getOk('/v1/reports/summary');
    assert.match(r.headers.get('etag'), /^W\/"[^"]+"$/);
    assert.match(r.json.generated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const { generated_at: _, ...rest } = r.json;
    const sector = (id, code, title, total, st) => ({ sector: { id, code, title }, total, by_status: byStatus(st) });
    assert.deepEqual(rest, {
      filters: {},
      total: 4,
      by_status: byStatus({ not_assessed: 1, in_progress: 1, partially_implemented: 1, implemented: 1 }),
      by_response: byResponse({ pending: 2, accepted: 1, noted: 1 }),
      implemented_share: 0.25,
      progress_avg: 44.3, // (33 + 100 + 0) / 3; PS-10 has none
      overdue: 3, // PS-1, PS-10, GI-1 (PS-2 is implemented and due in 2030)
      perception_gap: 1, // PS-1; PS-2's agency claim equals its status
      by_sector: [
        sector(ids.ps, 'PS', { en: 'Public, "security"', ru: 'Безопасность' }, 3, { not_assessed: 1, partially_implemented: 1, implemented: 1 }),
        sector(ids.gi, 'GI', { en: 'Gender', ru: 'Гендер' }, 1, { in_progress: 1 }),
      ],
    });
    assert.deepEqual(Object.keys(r.json).slice(0, 2), ['generated_at', 'filters']);
  });

  test('summary: filters, their echo, rounding and ?lang', async () => {
    let r = await getOk('/v1/reports/summary?resolution=rep-main&sector=PS&lang=ru');
    assert.deepEqual(r.json.filters, { resolution: 'rep-main', sector: 'PS' });
    assert.equal(r.json.total, 3);
    assert.equal(r.json.implemented_share, 0.3333);
    assert.equal(r.json.progress_avg, 66.5);
    assert.equal(r.json.overdue, 2);
    assert.deepEqual(r.json.by_sector, [{ sector: { id: ids.ps, code: 'PS', title: 'Безопасность' }, total: 3, by_status: byStatus({ not_assessed: 1, partially_implemented: 1, implemented: 1 }) }]);

    r = await getOk(`/v1/reports/summary?sector=${ids.gi}`);
    assert.deepEqual(r.json.filters, { sector: ids.gi });
    assert.equal(r.json.total, 1);
    assert.equal(r.json.progress_avg, 0);
    assert.equal(r.json.implemented_share, 0);

    r = await getOk('/v1/reports/summary?agency=a-health');
    assert.deepEqual(r.json.filters, { agency: 'a-health' });
    assert.equal(r.json.total, 3); // PS-2 (lead), PS-1 and GI-1 (supporting)
    assert.equal(r.json.implemented_share, 0.3333);
    assert.deepEqual(r.json.by_status, byStatus({ in_progress: 1, partially_implemented: 1, implemented: 1 }));

    r = await getOk(`/v1/reports/summary?agency=${ids.water}&resolution=${ids.main}`);
    assert.deepEqual(r.json.filters, { resolution: ids.main, agency: ids.water });
    assert.equal(r.json.total, 2);
    assert.equal(r.json.progress_avg, 33);

    // the archived resolution comes back when named
    r = await getOk('/v1/reports/summary?resolution=rep-archived');
    assert.equal(r.json.total, 1);
    assert.deepEqual(r.json.by_status, byStatus({ in_progress: 1 }));
    assert.equal(r.json.progress_avg, null);
    assert.equal(r.json.by_sector.length, 1);
    assert.equal(r.json.by_sector[0].sector.code, 'X');

    // nothing in scope: zeros everywhere, every key present
    r = await getOk('/v1/reports/summary?agency=a-idle');
    assert.equal(r.json.total, 0);
    assert.deepEqual(r.json.by_status, byStatus());
    assert.deepEqual(r.json.by_response, byResponse());
    assert.equal(r.json.implemented_share, 0);
    assert.equal(r.json.progress_avg, null);
    assert.equal(r.json.perception_gap, 0);
  });

  test('agencies: one item per agency that leads or supports anything, by slug', async () => {
    const last = (codes) => codes.map((c) => sql(server.db, `SELECT ts_text(last_update_at) FROM recommendations WHERE id = '${rec[c]}'`)).sort().at(-1);
    const r = await getOk('/v1/reports/agencies');
    assert.deepEqual(r.json.filters, {});
    assert.deepEqual(r.json.items, [
      {
        agency: { id: ids.health, slug: 'a-health', name: { en: 'Health ministry' }, acronym: null },
        lead: 1, supporting: 2,
        by_status: byStatus({ in_progress: 1, partially_implemented: 1, implemented: 1 }),
        overdue: 2, implemented_share: 0.3333, last_update_at: last(['PS-1', 'PS-2', 'GI-1']),
      },
      {
        agency: { id: ids.water, slug: 'a-water', name: { en: 'Water agency', ru: AGENCY_RU }, acronym: 'WA' },
        lead: 2, supporting: 0,
        by_status: byStatus({ not_assessed: 1, partially_implemented: 1 }),
        overdue: 2, implemented_share: 0, last_update_at: last(['PS-1', 'PS-10']),
      },
    ]);

    let f = await getOk('/v1/reports/agencies?agency=a-water&lang=ru');
    assert.deepEqual(f.json.filters, { agency: 'a-water' });
    assert.equal(f.json.items.length, 1);
    assert.equal(f.json.items[0].agency.name, AGENCY_RU);
    assert.equal(f.json.items[0].lead, 2);

    f = await getOk('/v1/reports/agencies?resolution=rep-archived');
    assert.deepEqual(f.json.items.map((i) => [i.agency.slug, i.lead, i.supporting, i.by_status.in_progress, i.last_update_at]),
      [['a-water', 1, 0, 1, '2021-07-03T09:00:00.000000Z']]);

    f = await getOk('/v1/reports/agencies?resolution=rep-main&sector=GI');
    assert.deepEqual(f.json.items.map((i) => [i.agency.slug, i.lead, i.supporting, i.overdue]), [['a-health', 0, 1, 1]]);

    f = await getOk('/v1/reports/agencies?agency=a-idle');
    assert.deepEqual(f.json.items, []);
  });

  test('overdue: as_of, most overdue first, ties in code order', async () => {
    let r = await getOk('/v1/reports/overdue?as_of=2022-07-01&lang=en');
    assert.deepEqual(r.json.filters, { as_of: '2022-07-01' });
    assert.deepEqual(r.json.items.map((i) => [i.recommendation.code, i.days_overdue]), [['PS-10', 122], ['GI-1', 122], ['PS-1', 1]]);
    const full = await getOk(`/v1/recommendations/${rec['PS-10']}?lang=en`);
    assert.deepEqual(r.json.items[0].recommendation, full.json);

    r = await getOk('/v1/reports/overdue?as_of=2022-06-30');
    assert.deepEqual(r.json.items.map((i) => [i.recommendation.code, i.days_overdue]), [['PS-10', 121], ['GI-1', 121]]);
    assert.deepEqual(r.json.items[1].recommendation.text, { en: 'Text GI-1' });

    r = await getOk('/v1/reports/overdue?as_of=2022-03-01');
    assert.deepEqual(r.json.items, []);

    // default: today
    r = await getOk('/v1/reports/overdue');
    assert.deepEqual(r.json.filters, {});
    const t = today();
    assert.deepEqual(r.json.items.map((i) => [i.recommendation.code, i.days_overdue]),
      [['PS-10', daysBetween('2022-03-01', t)], ['GI-1', daysBetween('2022-03-01', t)], ['PS-1', daysBetween('2022-06-30', t)]]);

    r = await getOk('/v1/reports/overdue?as_of=2022-07-01&agency=a-water');
    assert.deepEqual(r.json.items.map((i) => i.recommendation.code), ['PS-10', 'PS-1']);
    r = await getOk('/v1/reports/overdue?as_of=2050-01-01&resolution=rep-archived');
    assert.deepEqual(r.json.items, []); // X-1 has no target date
  });

  test('stale: whole days since the latest update not retracted, else since creation', async () => {
    let r = await getOk('/v1/reports/stale');
    assert.deepEqual(r.json.filters, {});
    assert.deepEqual(r.json.items.map((i) => [i.recommendation.code, i.days_since_update]), [['GI-1', 300], ['PS-10', 200]]);
    assert.equal(r.json.items[0].recommendation.status, 'in_progress');

    r = await getOk('/v1/reports/stale?days=250');
    assert.deepEqual(r.json.filters, { days: '250' });
    assert.deepEqual(r.json.items.map((i) => i.recommendation.code), ['GI-1']);
    r = await getOk('/v1/reports/stale?days=300');
    assert.deepEqual(r.json.items.map((i) => i.recommendation.code), ['GI-1']);
    r = await getOk('/v1/reports/stale?days=301');
    assert.deepEqual(r.json.items, []);
    r = await getOk('/v1/reports/stale?days=1');
    assert.deepEqual(r.json.items.map((i) => i.recommendation.code), ['GI-1', 'PS-10']); // PS-1 spoke today, PS-2 is implemented
    r = await getOk('/v1/reports/stale?days=090&resolution=rep-main&sector=PS');
    assert.deepEqual(r.json.filters, { resolution: 'rep-main', sector: 'PS', days: '090' });
    assert.deepEqual(r.json.items.map((i) => i.recommendation.code), ['PS-10']);

    r = await getOk('/v1/reports/stale?resolution=rep-archived');
    const x = r.json.items.map((i) => [i.recommendation.code, i.days_since_update]);
    assert.equal(x.length, 1);
    assert.equal(x[0][0], 'X-1');
    assert.ok(Math.abs(x[0][1] - Math.floor((Date.now() - Date.parse('2021-07-03T09:00:00Z')) / DAY)) <= 1);
  });

  test('timeline: counts at the end of each period, rebuilt from the history', async () => {
    const series = (r) => r.json.series.map((p) => [p.period_start, p.by_status]);
    let r = await getOk('/v1/reports/timeline?resolution=rep-main&from=2021-12-01&to=2022-08-31');
    assert.deepEqual(r.json.filters, { resolution: 'rep-main', from: '2021-12-01', to: '2022-08-31' });
    const after = (st) => byStatus(st);
    assert.deepEqual(series(r), [
      ['2021-12-01', after({})], // before the adoption
      ['2022-01-01', after({ not_assessed: 3, not_started: 1 })], // GI-1 changed before the adoption
      ['2022-02-01', after({ not_assessed: 2, not_started: 1, in_progress: 1 })],
      ['2022-03-01', after({ not_assessed: 2, not_started: 1, stalled: 1 })], // the backdated update
      ['2022-04-01', after({ not_assessed: 1, not_started: 1, stalled: 1, implemented: 1 })],
      ['2022-05-01', after({ not_assessed: 1, not_started: 1, partially_implemented: 1, implemented: 1 })],
      ['2022-06-01', after({ not_assessed: 1, not_started: 1, partially_implemented: 1, implemented: 1 })],
      ['2022-07-01', after({ not_assessed: 1, not_started: 1, partially_implemented: 1, implemented: 1 })],
      ['2022-08-01', after({ not_assessed: 1, in_progress: 1, partially_implemented: 1, implemented: 1 })], // retracted, still history
    ]);

    // the last period ends at `to`
    r = await getOk('/v1/reports/timeline?resolution=rep-main&from=2022-02-15&to=2022-03-10');
    assert.deepEqual(series(r), [
      ['2022-02-01', after({ not_assessed: 2, not_started: 1, in_progress: 1 })],
      ['2022-03-01', after({ not_assessed: 2, not_started: 1, in_progress: 1 })],
    ]);

    r = await getOk('/v1/reports/timeline?interval=quarter&from=2022-01-01&to=2022-12-31');
    assert.deepEqual(r.json.filters, { interval: 'quarter', from: '2022-01-01', to: '2022-12-31' });
    assert.deepEqual(series(r), [
      ['2022-01-01', after({ not_assessed: 2, not_started: 1, stalled: 1 })],
      ['2022-04-01', after({ not_assessed: 1, not_started: 1, partially_implemented: 1, implemented: 1 })],
      ['2022-07-01', after({ not_assessed: 1, in_progress: 1, partially_implemented: 1, implemented: 1 })],
      ['2022-10-01', after({ not_assessed: 1, in_progress: 1, partially_implemented: 1, implemented: 1 })],
    ]);

    // defaults: month, from the earliest adoption in scope (the archived one is out), to today
    r = await getOk('/v1/reports/timeline?interval=year');
    const years = series(r);
    assert.equal(years[0][0], '2022-01-01');
    assert.equal(years.at(-1)[0], `${today().slice(0, 4)}-01-01`);
    assert.deepEqual(years.at(-1)[1], after({ not_assessed: 1, in_progress: 1, partially_implemented: 1, implemented: 1 }));
    r = await getOk('/v1/reports/timeline');
    assert.equal(r.json.series[0].period_start, '2022-01-01');
    assert.equal(r.json.series.at(-1).period_start, monthStart(today()));

    // the archived resolution, named: same-day changes, the later recorded one counts
    r = await getOk('/v1/reports/timeline?resolution=rep-archived&to=2021-08-15');
    assert.deepEqual(series(r), [
      ['2021-06-01', after({ not_assessed: 1 })],
      ['2021-07-01', after({ in_progress: 1 })],
      ['2021-08-01', after({ in_progress: 1 })],
    ]);

    r = await getOk('/v1/reports/timeline?agency=a-water&interval=year&from=2022-01-01&to=2022-12-31');
    assert.deepEqual(series(r), [['2022-01-01', after({ not_assessed: 1, partially_implemented: 1 })]]);
  });

  test('activity: updates by created_at per period and source, retracted ones left out', async () => {
    const series = (r) => r.json.series.map((p) => [p.period_start, p.total, p.by_source.civil_society, p.by_source.agency, p.by_source.editorial]);
    let r = await getOk('/v1/reports/activity?from=2022-01-01&to=2022-12-31&interval=quarter');
    assert.deepEqual(r.json.filters, { from: '2022-01-01', to: '2022-12-31', interval: 'quarter' });
    assert.deepEqual(series(r), [
      ['2022-01-01', 1, 1, 0, 0], // the retracted note of 1 March does not count
      ['2022-04-01', 4, 2, 1, 1],
      ['2022-07-01', 1, 0, 0, 1], // recorded at 00:00 UTC on 1 July
      ['2022-10-01', 0, 0, 0, 0],
    ]);
    assert.deepEqual(Object.keys(r.json.series[0].by_source), ['civil_society', 'agency', 'editorial']);

    r = await getOk('/v1/reports/activity?from=2022-05-21&to=2022-06-30');
    assert.deepEqual(series(r), [['2022-05-01', 2, 1, 0, 1], ['2022-06-01', 1, 0, 1, 0]]);
    r = await getOk('/v1/reports/activity?from=2022-05-22&to=2022-06-01&interval=year');
    assert.deepEqual(series(r), [['2022-01-01', 1, 1, 0, 0]]); // 25 May only (2 June is after `to`)

    // defaults: from the earliest adoption in scope to today; this month holds the API posts
    r = await getOk('/v1/reports/activity');
    assert.equal(r.json.series[0].period_start, '2022-01-01');
    assert.deepEqual(series(r).at(-1), [monthStart(today()), 3, 1, 1, 1]);

    r = await getOk('/v1/reports/activity?resolution=rep-archived&interval=year&to=2021-12-31');
    assert.deepEqual(series(r), [['2021-01-01', 2, 2, 0, 0]]);
    r = await getOk('/v1/reports/activity?agency=a-health&from=2022-01-01&to=2022-12-31&interval=year');
    assert.deepEqual(series(r), [['2022-01-01', 6, 3, 1, 2]]); // PS-1 (4), PS-2 (2); GI-1's are later
  });

  test('bad parameters are 400 naming the parameter', async () => {
    const bad = async (path, field) => assertProblem(assert, await get(path), 400, field);
    for (const report of ['summary', 'agencies', 'overdue', 'timeline', 'activity', 'stale']) {
      await bad(`/v1/reports/${report}?resolution=nope`, 'resolution');
      await bad(`/v1/reports/${report}?resolution=Not%20a%20slug`, 'resolution');
      await bad(`/v1/reports/${report}?resolution=`, 'resolution');
      await bad(`/v1/reports/${report}?resolution=rep-main&resolution=rep-main`, 'resolution');
      await bad(`/v1/reports/${report}?sector=PS`, 'sector');
      await bad(`/v1/reports/${report}?sector=00000000-0000-4000-8000-000000000000`, 'sector');
      await bad(`/v1/reports/${report}?resolution=rep-main&sector=X`, 'sector');
      await bad(`/v1/reports/${report}?resolution=rep-archived&sector=${ids.ps}`, 'sector');
      await bad(`/v1/reports/${report}?agency=nobody`, 'agency');
      await bad(`/v1/reports/${report}?agency='; DROP TABLE updates; --`, 'agency');
      await bad(`/v1/reports/${report}?format=xml`, 'format');
      await bad(`/v1/reports/${report}?lang=!!`, 'lang');
    }
    await bad('/v1/reports/overdue?as_of=2022-02-30', 'as_of');
    await bad('/v1/reports/overdue?as_of=yesterday', 'as_of');
    for (const days of ['0', '3651', 'abc', '-5', '1.5', '']) await bad(`/v1/reports/stale?days=${days}`, 'days');
    for (const report of ['timeline', 'activity']) {
      await bad(`/v1/reports/${report}?interval=week`, 'interval');
      await bad(`/v1/reports/${report}?from=2022-13-01`, 'from');
      await bad(`/v1/reports/${report}?to=20220101`, 'to');
      await bad(`/v1/reports/${report}?from=2022-03-01&to=2022-02-28`, 'from');
      await bad(`/v1/reports/${report}?from=2999-01-01`, 'from'); // after today, the default `to`
      await bad(`/v1/reports/${report}?from=1000-01-01&to=2022-01-01`, 'from'); // too many periods
    }
    assert.equal(sql(server.db, 'SELECT count(*) > 0 FROM updates'), 't');
    // the edges that are allowed
    await getOk('/v1/reports/stale?days=3650');
    await getOk('/v1/reports/timeline?from=2022-03-01&to=2022-03-01');
    await getOk('/v1/reports/timeline?interval=year&from=1000-01-01&to=2022-01-01');
    assertProblem(assert, await get('/v1/reports/summary', { token: 'trk_bogus_token_value' }), 401);
    assertProblem(assert, await server.request('POST', '/v1/reports/summary', { token: editor, body: {} }), 405);
  });

  test('weak ETag over the report without generated_at: 304 while unchanged, a new one after a change', async () => {
    for (const path of ['/v1/reports/summary', '/v1/reports/agencies?lang=ru', '/v1/reports/overdue', '/v1/reports/stale',
      '/v1/reports/timeline', '/v1/reports/activity', '/v1/reports/summary?format=csv']) {
      const a = await getOk(path);
      const tag = a.headers.get('etag');
      assert.match(tag, /^W\/"[^"]+"$/, path);
      await new Promise((res) => setTimeout(res, 5));
      const b = await getOk(path);
      assert.equal(b.headers.get('etag'), tag, path);
      if (a.json) assert.notEqual(a.json.generated_at, b.json.generated_at, path);
      const c = await get(path, { headers: { 'If-None-Match': tag } });
      assert.equal(c.status, 304, path);
      assert.equal(c.text, '');
      const d = await get(path, { headers: { 'If-None-Match': tag.slice(2) } }); // weak comparison
      assert.equal(d.status, 304, path);
    }
    const json = await getOk('/v1/reports/summary');
    const csv = await getOk('/v1/reports/summary?format=csv');
    const ru = await getOk('/v1/reports/summary?lang=ru');
    assert.notEqual(json.headers.get('etag'), csv.headers.get('etag'));
    assert.notEqual(json.headers.get('etag'), ru.headers.get('etag'));

    const activity = await getOk('/v1/reports/activity');
    await post(`/v1/recommendations/${rec['PS-10']}/updates`, { body: 'assessed', status: 'not_started' }, monitor);
    const after = await get('/v1/reports/summary', { headers: { 'If-None-Match': json.headers.get('etag') } });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.get('etag'), json.headers.get('etag'));
    assert.equal(after.json.by_status.not_started, 1);
    assert.equal(after.json.by_status.not_assessed, 0);
    const activity2 = await get('/v1/reports/activity', { headers: { 'If-None-Match': activity.headers.get('etag') } });
    assert.equal(activity2.status, 200);
    assert.equal(activity2.json.series.at(-1).by_source.civil_society, 2);
    // PS-10 has spoken now, so it is no longer stale
    assert.equal((await getOk('/v1/reports/stale')).json.items.map((i) => i.recommendation.code).join(), 'GI-1');
  });
});

describe('reports in CSV', () => {
  let server, editor;
  const rec = {};
  before(async () => {
    server = await startServer();
    editor = await server.token('editor');
    const post = async (path, body) => {
      const r = await server.request('POST', path, { token: editor, body });
      assert.equal(r.status, 201, r.text);
      return r.json;
    };
    await post('/v1/resolutions', { slug: 'csv-res', title: { en: 'CSV' }, adopted_on: '2022-01-15', source_language: 'ru' });
    await post('/v1/resolutions/csv-res/sectors', { code: 'PS', position: 1, title: { en: 'Public, "security"\nline', ru: 'Безопасность, "мир"' } });
    await post('/v1/resolutions/csv-res/sectors', { code: 'GI', position: 2, title: { ru: 'Только по-русски' } });
    await post('/v1/agencies', { slug: 'a-water', name: { en: 'Water, "WA"', ru: AGENCY_RU }, kind: 'state_agency', acronym: 'W,A' });
    await post('/v1/agencies', { slug: 'a-health', name: { en: 'Health' }, kind: 'ministry' });
    rec['PS-1'] = (await post('/v1/recommendations', {
      resolution: 'csv-res', sector: 'PS', code: 'PS-1', number: 1, text: { en: TRICKY_EN, ru: TRICKY_RU },
      summary: { ru: 'Кратко' }, target_date: '2022-06-30', lead_agency: 'a-water', supporting_agencies: ['a-health'],
      themes: ['water', 'safety'], sdgs: [6, 11], budget: { amount: '1500.50', currency: 'KGS' },
    })).id;
    rec['GI-1'] = (await post('/v1/recommendations', {
      resolution: 'csv-res', sector: 'GI', code: 'GI-1', number: 1, text: { ru: 'Только текст, по-русски' }, target_date: '2022-03-01',
    })).id;
    sql(server.db, `INSERT INTO updates (id, recommendation_id, body, status, progress, occurred_on, source, author_name, author_role, created_at)
      VALUES (gen_random_uuid(), '${rec['PS-1']}', 'x', 'in_progress', 40, '2022-02-10', 'civil_society', 'T', 'monitor', '2022-02-11T09:00:00Z'),
             (gen_random_uuid(), '${rec['PS-1']}', 'x', 'implemented', NULL, '2022-03-10', 'agency', 'T', 'agency', '2022-03-11T09:00:00Z'),
             (gen_random_uuid(), '${rec['GI-1']}', 'x', NULL, NULL, '2022-03-10', 'editorial', 'T', 'editor', '2022-04-11T09:00:00Z');
      SELECT updates_apply('${rec['PS-1']}'); SELECT updates_apply('${rec['GI-1']}');
      UPDATE recommendations SET created_at = now() - interval '100 days 2 hours'`);
  });
  after(async () => { await server.stop(); });

  async function csv(path, headers) {
    const r = await server.request('GET', path, { headers });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.match(r.headers.get('etag'), /^W\//);
    assert.ok(r.text.endsWith('\r\n'));
    return { rows: parse(r.text, { columns: true }), raw: parse(r.text), r };
  }

  test('summary: one row per sector and a last row ALL, a column per status', async () => {
    const { rows, raw } = await csv('/v1/reports/summary?format=csv');
    assert.deepEqual(raw[0], ['sector.id', 'sector.code', 'sector.title', 'total', ...STATUSES]);
    const json = (await server.request('GET', '/v1/reports/summary?lang=en')).json;
    assert.equal(rows.length, json.by_sector.length + 1);
    json.by_sector.forEach((s, i) => {
      assert.deepEqual(rows[i], {
        'sector.id': s.sector.id, 'sector.code': s.sector.code, 'sector.title': s.sector.title, total: String(s.total),
        ...Object.fromEntries(STATUSES.map((st) => [st, String(s.by_status[st])])),
      });
    });
    assert.equal(rows[0]['sector.title'], 'Public, "security"\nline');
    assert.equal(rows[1]['sector.title'], 'Только по-русски'); // falls back to the source language
    assert.deepEqual(rows.at(-1), { 'sector.id': '', 'sector.code': 'ALL', 'sector.title': '', total: '2', ...Object.fromEntries(STATUSES.map((st) => [st, String(json.by_status[st])])) });
    assert.equal(rows.at(-1).in_progress, '1');
    const ru = await csv('/v1/reports/summary?format=csv&lang=ru');
    assert.equal(ru.rows[0]['sector.title'], 'Безопасность, "мир"');
    const accept = await csv('/v1/reports/summary', { Accept: 'text/csv' });
    assert.deepEqual(accept.rows, rows);
    const overridden = await server.request('GET', '/v1/reports/summary?format=json', { headers: { Accept: 'text/csv' } });
    assert.equal(overridden.json.total, 2);
    assertProblem(assert, await server.request('GET', '/v1/reports/summary?format=csv&resolution=nope'), 400, 'resolution');
  });

  test('agencies: one row per item, localized name, by_status flattened', async () => {
    const { rows, raw } = await csv('/v1/reports/agencies?format=csv&lang=ru');
    assert.deepEqual(raw[0], ['agency.id', 'agency.slug', 'agency.name', 'agency.acronym', 'lead', 'supporting',
      ...STATUSES.map((s) => `by_status.${s}`), 'overdue', 'implemented_share', 'last_update_at']);
    const json = (await server.request('GET', '/v1/reports/agencies?lang=ru')).json;
    assert.equal(rows.length, json.items.length);
    json.items.forEach((it, i) => {
      assert.deepEqual(rows[i], {
        'agency.id': it.agency.id, 'agency.slug': it.agency.slug, 'agency.name': it.agency.name, 'agency.acronym': it.agency.acronym ?? '',
        lead: String(it.lead), supporting: String(it.supporting),
        ...Object.fromEntries(STATUSES.map((s) => [`by_status.${s}`, String(it.by_status[s])])),
        overdue: String(it.overdue), implemented_share: String(it.implemented_share), last_update_at: it.last_update_at ?? '',
      });
    });
    assert.equal(rows[1]['agency.name'], AGENCY_RU);
    assert.equal(rows[1]['agency.acronym'], 'W,A');
    const en = await csv('/v1/reports/agencies?format=csv');
    assert.equal(en.rows[1]['agency.name'], 'Water, "WA"');
  });

  test('overdue and stale: one row per item, the recommendation flattened', async () => {
    const { rows, raw } = await csv('/v1/reports/overdue?format=csv&as_of=2022-07-01');
    assert.equal(raw[0][0], 'recommendation.id');
    assert.equal(raw[0].at(-1), 'days_overdue');
    assert.deepEqual(rows.map((r) => [r['recommendation.code'], r.days_overdue]), [['GI-1', '122'], ['PS-1', '1']]);
    const ps = rows[1];
    const json = (await server.request('GET', `/v1/recommendations/${rec['PS-1']}?lang=en`)).json;
    assert.deepEqual(ps, {
      'recommendation.id': json.id, 'recommendation.resolution_id': json.resolution_id, 'recommendation.sector_id': json.sector_id,
      'recommendation.code': 'PS-1', 'recommendation.number': '1', 'recommendation.text': TRICKY_EN, 'recommendation.summary': 'Кратко',
      'recommendation.response': 'pending', 'recommendation.status': 'in_progress', 'recommendation.progress': '40',
      'recommendation.agency_status': 'implemented', 'recommendation.lead_agency.id': json.lead_agency.id,
      'recommendation.lead_agency.slug': 'a-water', 'recommendation.lead_agency.name': 'Water, "WA"',
      'recommendation.lead_agency.acronym': 'W,A', 'recommendation.supporting_agencies': 'a-health',
      'recommendation.target_date': '2022-06-30', 'recommendation.budget.amount': '1500.50', 'recommendation.budget.currency': 'KGS',
      'recommendation.themes': 'water;safety', 'recommendation.sdgs': '6;11', 'recommendation.updates_count': '2',
      'recommendation.last_update_at': json.last_update_at, 'recommendation.created_at': json.created_at,
      'recommendation.updated_at': json.updated_at, 'recommendation.version': String(json.version),
      days_overdue: '1',
    });
    const ru = await csv('/v1/reports/overdue?format=csv&as_of=2022-07-01&lang=ru');
    assert.equal(ru.rows[1]['recommendation.text'], TRICKY_RU);
    assert.equal(ru.rows[1]['recommendation.lead_agency.name'], AGENCY_RU);
    assert.equal(ru.rows[0]['recommendation.text'], 'Только текст, по-русски');
    assert.equal(ru.rows[0]['recommendation.lead_agency.id'], '');

    const stale = await csv('/v1/reports/stale?format=csv&days=30');
    assert.equal(stale.raw[0].at(-1), 'days_since_update');
    // PS-1's latest update is from 2022; GI-1's too; both older than their (moved) creation
    assert.deepEqual(stale.rows.map((r) => r['recommendation.code']), ['PS-1', 'GI-1']);
    const jsonStale = (await server.request('GET', '/v1/reports/stale?days=30')).json;
    assert.deepEqual(stale.rows.map((r) => r.days_since_update), jsonStale.items.map((i) => String(i.days_since_update)));
    const empty = await csv('/v1/reports/stale?format=csv&days=3650');
    assert.deepEqual(empty.rows, []);
    assert.equal(empty.raw.length, 1);
  });

  test('timeline and activity: one row per period, a column per status or source', async () => {
    const t = await csv('/v1/reports/timeline?format=csv&from=2022-01-01&to=2022-04-30');
    assert.deepEqual(t.raw[0], ['period_start', ...STATUSES]);
    const tj = (await server.request('GET', '/v1/reports/timeline?from=2022-01-01&to=2022-04-30')).json;
    assert.deepEqual(t.rows, tj.series.map((p) => ({ period_start: p.period_start, ...Object.fromEntries(STATUSES.map((s) => [s, String(p.by_status[s])])) })));
    assert.deepEqual(t.rows.map((r) => [r.period_start, r.not_assessed, r.in_progress]),
      [['2022-01-01', '2', '0'], ['2022-02-01', '1', '1'], ['2022-03-01', '1', '1'], ['2022-04-01', '1', '1']]);

    const a = await csv('/v1/reports/activity?format=csv&from=2022-01-01&to=2022-06-30&interval=quarter');
    assert.deepEqual(a.raw[0], ['period_start', 'total', 'civil_society', 'agency', 'editorial']);
    assert.deepEqual(a.raw.slice(1), [['2022-01-01', '2', '1', '1', '0'], ['2022-04-01', '1', '0', '0', '1']]);
  });
});
