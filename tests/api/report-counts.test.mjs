// The report counts kept by triggers (migrations/0015_report_counts.sql): after every kind of
// write the API offers — status, agency status, progress and response updates (some posted
// concurrently, some backdated), retractions, agency reassignment, target date edits, a new
// recommendation, a bundle re-import that moves agencies and a sector — the counts equal a
// rebuild from scratch, and the reports they feed equal the scans they replace.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, importSeed, sql } from './harness.mjs';

const STATUSES = ['not_started', 'in_progress', 'stalled', 'partially_implemented', 'implemented',
  'not_implemented'];

function utcDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

/** For each counts table, how many rows differ from a rebuild from scratch (rolled back). */
function countsDrift(db) {
  return ['report_sector_counts', 'report_agency_counts', 'report_agency_targets'].map((t) => {
    const out = sql(db, `BEGIN; CREATE TEMP TABLE kept AS SELECT * FROM ${t};
      SELECT report_counts_rebuild();
      SELECT count(*) FROM ((TABLE kept EXCEPT ALL TABLE ${t}) UNION ALL (TABLE ${t} EXCEPT ALL TABLE kept)) d;
      ROLLBACK;`);
    return [t, Number(out.split('\n').pop())];
  });
}

/** Rows in which the counted report rows and the scanned ones differ, for one scope. */
function reportDrift(db, scope) {
  const q = (f) => `(SELECT * FROM ${f}(${scope}, current_date))`;
  return Number(sql(db, `SELECT
      (SELECT count(*) FROM (${q('report_summary_rows')} EXCEPT ALL ${q('report_summary_scan')}) a)
    + (SELECT count(*) FROM (${q('report_summary_scan')} EXCEPT ALL ${q('report_summary_rows')}) b)
    + (SELECT count(*) FROM (${q('report_agency_rows')} EXCEPT ALL ${q('report_agency_scan')}) c)
    + (SELECT count(*) FROM (${q('report_agency_scan')} EXCEPT ALL ${q('report_agency_rows')}) d)`));
}

describe('report counts kept by triggers', () => {
  let server, editor, monitor, recs, agencyTokens;

  const post = async (path, token, body, headers) => {
    const r = await server.request('POST', path, { token, body, headers });
    assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${r.text}`);
    return r.json;
  };

  before(async () => {
    server = await startServer();
    await importSeed(server);
    editor = await server.token('editor');
    monitor = await server.token('monitor');
    const list = await server.request('GET', '/v1/recommendations?limit=200');
    recs = list.json.items;
    assert.equal(recs.length, 19);
    agencyTokens = {};
    for (const r of recs) {
      const slug = r.lead_agency?.slug;
      if (slug && !agencyTokens[slug]) agencyTokens[slug] = await server.token('agency', slug);
    }
  });
  after(() => server?.stop());

  test('the counts start equal to a rebuild', () => {
    for (const [table, drift] of countsDrift(server.db)) assert.equal(drift, 0, table);
    assert.equal(Number(sql(server.db, 'SELECT sum(total) FROM report_sector_counts')), 19);
  });

  test('after every kind of write the counts equal a rebuild, and the reports the scans', async () => {
    // concurrent status, progress and response changes by monitors and editors
    await Promise.all(recs.map((r, i) => post(`/v1/recommendations/${r.id}/updates`,
      i % 3 === 0 ? editor : monitor, {
        body: `change ${i}`, status: STATUSES[i % STATUSES.length], progress: (i * 7) % 101,
        ...(i % 3 === 0 ? { response: ['accepted', 'noted', 'rejected'][i % 3 === 0 ? (i / 3) % 3 : 0] } : {}),
      })));
    // agencies claim their own status (agency_status: the perception gap)
    for (const r of recs.filter((x) => x.lead_agency).slice(0, 6)) {
      await post(`/v1/recommendations/${r.id}/updates`, agencyTokens[r.lead_agency.slug],
        { body: 'our view', status: 'implemented' });
    }
    // a backdated change takes its place behind a later one
    await post(`/v1/recommendations/${recs[1].id}/updates`, monitor,
      { body: 'earlier', status: 'stalled', occurred_on: utcDay(-400) });
    // a retraction leaves the state as it is
    const u = await post(`/v1/recommendations/${recs[2].id}/updates`, monitor,
      { body: 'to retract', status: 'in_progress' });
    await post(`/v1/updates/${u.id}/retract`, editor, { reason: 'posted on the wrong item' });
    // target dates in the past and future make some open items overdue
    for (const [i, day] of [[3, -30], [4, -1], [5, 30], [6, -900]]) {
      const cur = await server.request('GET', `/v1/recommendations/${recs[i].id}`);
      const r = await server.request('PATCH', `/v1/recommendations/${recs[i].id}`, {
        token: editor, body: { target_date: utcDay(day) }, headers: { 'If-Match': cur.headers.get('etag') },
      });
      assert.equal(r.status, 200, r.text);
    }
    // agencies reassigned: a lead removed, supporting agencies swapped in
    const slugs = [...new Set(recs.flatMap((r) => [r.lead_agency?.slug, ...r.supporting_agencies.map((a) => a.slug)]))]
      .filter(Boolean);
    for (const [i, lead, supporting] of [[3, null, [slugs[0]]], [4, slugs[1], [slugs[2], slugs[3]]], [7, slugs[2], []]]) {
      const r = await server.request('PUT', `/v1/recommendations/${recs[i].id}/agencies`,
        { token: editor, body: { lead, supporting } });
      assert.equal(r.status, 200, r.text);
    }
    // a new recommendation in the same sector, with agencies and a past target
    const created = await post('/v1/recommendations', editor, {
      resolution: recs[0].resolution_id, sector: recs[0].sector_id, code: 'PS-99', number: 99,
      text: { en: 'A new recommendation' }, target_date: utcDay(-10), lead_agency: slugs[4],
      supporting_agencies: [slugs[0]],
    });
    await post(`/v1/recommendations/${created.id}/updates`, monitor, { body: 'begun', status: 'in_progress' });
    // a re-import that moves agencies and a recommendation to another sector
    const exported = await server.request('GET', `/v1/resolutions/${recs[0].resolution_id}/export`);
    assert.equal(exported.status, 200);
    const bundle = exported.json;
    const moved = bundle.recommendations.find((r) => r.code === recs[8].code);
    moved.lead_agency = slugs[5];
    moved.supporting_agencies = [slugs[1]];
    const otherSector = bundle.sectors.find((s) => s.code !== moved.sector);
    moved.sector = otherSector.code;
    const imported = await server.request('POST', '/v1/import', { token: editor, body: bundle });
    assert.equal(imported.status, 200, imported.text);

    for (const [table, drift] of countsDrift(server.db)) assert.equal(drift, 0, `${table} drifted from a rebuild`);
    const rid = recs[0].resolution_id;
    const sector = recs[0].sector_id;
    for (const scope of ['NULL, NULL, NULL', `'${rid}', NULL, NULL`, `'${rid}', '${sector}', NULL`,
      `NULL, '${sector}', NULL`]) {
      assert.equal(reportDrift(server.db, scope), 0, `scope ${scope}`);
    }
    // and the counts are not trivially empty: overdue, gap and reassigned agencies show
    const summary = await server.request('GET', '/v1/reports/summary');
    assert.equal(summary.json.total, 20);
    assert.ok(summary.json.overdue >= 3, summary.text);
    assert.ok(summary.json.perception_gap >= 1, summary.text);
    const agencies = await server.request('GET', '/v1/reports/agencies');
    assert.ok(agencies.json.items.some((a) => a.overdue > 0), agencies.text);
  });

  test('a recommendation and its agency rows deleted in SQL (not possible through the API) leave no count behind', () => {
    const r = recs[10];
    const id = sql(server.db, `INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text, target_date)
      VALUES (gen_random_uuid(), '${r.resolution_id}', '${r.sector_id}', 'PS-98', 98, '{"en": "gone soon"}', current_date - 5) RETURNING id`);
    sql(server.db, `INSERT INTO recommendation_agencies (recommendation_id, agency_id, role, position)
      SELECT '${id}', agency_id, role, position FROM recommendation_agencies WHERE recommendation_id = '${r.id}'`);
    sql(server.db, `DELETE FROM recommendation_agencies WHERE recommendation_id = '${id}'`);
    sql(server.db, `DELETE FROM recommendations WHERE id = '${id}'`);
    for (const [table, drift] of countsDrift(server.db)) assert.equal(drift, 0, `${table} drifted from a rebuild`);
  });

  test('an archived resolution drops out of the counted reports unless named', async () => {
    const rid = recs[0].resolution_id;
    await post(`/v1/resolutions/${rid}/archive`, editor, undefined);
    const all = await server.request('GET', '/v1/reports/summary');
    assert.equal(all.json.total, 0);
    const agencies = await server.request('GET', '/v1/reports/agencies');
    assert.deepEqual(agencies.json.items, []);
    const named = await server.request('GET', `/v1/reports/agencies?resolution=${rid}`);
    assert.ok(named.json.items.length > 0);
    assert.equal(reportDrift(server.db, `'${rid}', NULL, NULL`), 0);
    await post(`/v1/resolutions/${rid}/unarchive`, editor, undefined);
  });
});

describe('report counts under concurrent writes of every kind', () => {
  let server;
  before(async () => {
    // a long wait for a pooled connection: this test is about lock order, and a slow build
    // (the sanitizers) would otherwise turn the queue of 170 requests into 503s
    server = await startServer({ env: { TRACKER_DB_WAIT_MS: '60000' } });
    await importSeed(server);
  });
  after(() => server?.stop());

  // Posts take their recommendation, its sector's counts, then its agencies' in id order;
  // reassignments, moves and imports lock their recommendations and then the counts' tables.
  // Without that order, 150 such requests at once deadlocked (a second each, then a 503 for the
  // victim) until the pool ran dry and most were refused.
  test('posts, reassignments, target moves and imports at once: all succeed, counts exact', async () => {
    const editor = await server.token('editor');
    const monitor = await server.token('monitor');
    const recs = (await server.request('GET', '/v1/recommendations?limit=200')).json.items;
    const slugs = [...new Set(recs.flatMap((r) => [r.lead_agency?.slug, ...r.supporting_agencies.map((a) => a.slug)]))]
      .filter(Boolean);
    const bundle = (await server.request('GET', `/v1/resolutions/${recs[0].resolution_id}/export`)).json;
    const jobs = [];
    for (let round = 0; round < 6; round++) {
      recs.forEach((r, i) => {
        jobs.push(server.request('POST', `/v1/recommendations/${r.id}/updates`, {
          token: monitor, body: { body: `round ${round}`, status: STATUSES[(i + round) % STATUSES.length] } }));
        if (i % 3 === round % 3) {
          const pick = (k) => slugs[(i * 7 + round * 3 + k) % slugs.length];
          jobs.push(server.request('PUT', `/v1/recommendations/${r.id}/agencies`, {
            token: editor, body: { lead: pick(0), supporting: [pick(1), pick(2)].filter((s) => s !== pick(0)) } }));
        }
        if (i % 5 === round % 5) {
          jobs.push(server.request('PATCH', `/v1/recommendations/${r.id}`, {
            token: editor, body: { target_date: utcDay(round * 10 - 30) }, headers: { 'If-Match': '*' } }));
        }
      });
      const changed = structuredClone(bundle);
      const moved = changed.recommendations[round];
      moved.lead_agency = slugs[round % slugs.length];
      moved.supporting_agencies = moved.supporting_agencies.filter((a) => a !== moved.lead_agency);
      jobs.push(server.request('POST', '/v1/import', { token: editor, body: changed }));
    }
    const answers = await Promise.all(jobs);
    const refused = answers.filter((r) => r.status !== 200 && r.status !== 201).map((r) => `${r.status} ${r.text}`);
    assert.deepEqual(refused, []);
    await new Promise((r) => setTimeout(r, 1500)); // backends report their statistics when idle
    assert.equal(sql(server.db, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`), '0');
    for (const [table, drift] of countsDrift(server.db)) assert.equal(drift, 0, `${table} drifted from a rebuild`);
    assert.equal(reportDrift(server.db, 'NULL, NULL, NULL'), 0);
  });
});
