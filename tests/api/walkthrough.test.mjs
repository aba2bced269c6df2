// README's first steps, as a new user runs them: the seed imported, an admin token from the
// command line, an update with a status change on PS-3, then the recommendation, its updates
// and its history all show it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, importSeed } from './harness.mjs';

test('README first steps: an update on PS-3 shows in the recommendation, its updates and its history', async () => {
  const server = await startServer();
  try {
    await importSeed(server);
    await importSeed(server); // scripts/run imports on every start: nothing is duplicated
    const token = await server.token('admin');
    const ps3 = (await server.request('GET', '/v1/resolutions/bishkek-2021-11-15/recommendations/PS-3')).json;
    assert.equal(ps3.status, 'not_assessed');
    assert.equal(ps3.response, 'pending');
    const posted = await server.request('POST', `/v1/recommendations/${ps3.id}/updates`, {
      token, headers: { 'Idempotency-Key': 'first-steps-1' },
      body: { body: 'Citizen monitoring of the tailings has started.', status: 'in_progress', progress: 10,
        evidence: [{ url: 'https://example.org/report', title: 'Report' }] },
    });
    assert.equal(posted.status, 201, posted.text);
    const rec = (await server.request('GET', `/v1/recommendations/${ps3.id}`)).json;
    assert.equal(rec.status, 'in_progress');
    assert.equal(rec.progress, 10);
    assert.equal(rec.updates_count, 1);
    const updates = (await server.request('GET', `/v1/recommendations/${ps3.id}/updates`)).json.items;
    assert.equal(updates.length, 1);
    assert.equal(updates[0].body, 'Citizen monitoring of the tailings has started.');
    const history = (await server.request('GET', `/v1/recommendations/${ps3.id}/history`)).json.items;
    assert.deepEqual(history.map((h) => [h.field, h.from, h.to]), [['status', 'not_assessed', 'in_progress'], ['progress', null, 10]]);
    const list = (await server.request('GET', '/v1/recommendations?resolution=bishkek-2021-11-15&status=in_progress')).json.items;
    assert.deepEqual(list.map((r) => r.code), ['PS-3']);
    const resolutions = (await server.request('GET', '/v1/resolutions')).json.items;
    assert.equal(resolutions.length, 1);
    assert.equal(resolutions[0].recommendations_count, 19);
  } finally { await server.stop(); }
});
