// Recommendations and their history as CSV: every matching row, flattened columns, ?lang.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, importSeed, assertProblem } from './harness.mjs';
import { parse } from 'csv-parse/sync';

describe('recommendations as CSV', () => {
  let server, editor, ps3;
  before(async () => {
    server = await startServer();
    await importSeed(server);
    editor = await server.token('editor');
    ps3 = (await server.request('GET', '/v1/resolutions/bishkek-2021-11-15/recommendations/PS-3')).json;
    const etag = (await server.request('GET', `/v1/recommendations/${ps3.id}`)).headers.get('etag');
    const p = await server.request('PATCH', `/v1/recommendations/${ps3.id}`, {
      token: editor, headers: { 'If-Match': etag },
      body: { text: { en: ps3.text.en, ru: 'Мониторинг урановых хвостохранилищ, "границы", и\nконфликты' } },
    });
    assert.equal(p.status, 200, p.text);
    await server.request('POST', `/v1/recommendations/${ps3.id}/updates`, { token: editor, body: { body: 'Started', status: 'in_progress', progress: 20, occurred_on: '2022-03-01' } });
    await server.request('POST', `/v1/recommendations/${ps3.id}/updates`, { token: editor, body: { body: 'Done', status: 'implemented', occurred_on: '2023-03-01' } });
  });
  after(async () => { await server.stop(); });

  test('every recommendation, flattened, equal to the JSON list', async () => {
    const r = await server.request('GET', '/v1/recommendations?format=csv&limit=5&resolution=bishkek-2021-11-15');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    const rows = parse(r.text, { columns: true });
    const json = (await server.request('GET', '/v1/recommendations?limit=200&resolution=bishkek-2021-11-15')).json.items;
    assert.equal(rows.length, 19);
    assert.deepEqual(rows.map((x) => x.code), json.map((x) => x.code));
    for (const [i, row] of rows.entries()) {
      const j = json[i];
      assert.equal(row.id, j.id);
      assert.equal(row.text, j.text.en);
      assert.equal(row.status, j.status);
      assert.equal(row['lead_agency.slug'], j.lead_agency ? j.lead_agency.slug : '');
      assert.equal(row['lead_agency.name'], j.lead_agency ? j.lead_agency.name.en : '');
      assert.equal(row.supporting_agencies, j.supporting_agencies.map((a) => a.slug).join(';'));
      assert.equal(row.sdgs, j.sdgs.join(';'));
      assert.equal(row.themes, j.themes.join(';'));
      assert.equal(row['budget.amount'], j.budget ? j.budget.amount : '');
      assert.equal(row.progress, j.progress === null ? '' : String(j.progress));
    }
    const ru = parse((await server.request('GET', '/v1/recommendations?format=csv&lang=ru&q=уран')).text, { columns: true });
    assert.equal(ru.length, 1);
    assert.equal(ru[0].text, 'Мониторинг урановых хвостохранилищ, "границы", и\nконфликты');
    const filtered = parse((await server.request('GET', '/v1/recommendations?status=implemented', { headers: { Accept: 'text/csv' } })).text, { columns: true });
    assert.deepEqual(filtered.map((x) => x.code), ['PS-3']);
    assertProblem(assert, await server.request('GET', '/v1/recommendations?format=pdf'), 400, 'format');
  });

  test('the history as CSV', async () => {
    const r = await server.request('GET', `/v1/recommendations/${ps3.id}/history?format=csv`);
    const rows = parse(r.text, { columns: true });
    const json = (await server.request('GET', `/v1/recommendations/${ps3.id}/history`)).json.items;
    assert.equal(rows.length, json.length);
    assert.deepEqual(rows.map((x) => [x.field, x.from, x.to]), json.map((x) => [x.field, x.from === null ? '' : String(x.from), String(x.to)]));
    assert.equal(rows[0]['actor.role'], 'editor');
  });
});
