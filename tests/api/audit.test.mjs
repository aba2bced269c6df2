// The audit trail: editors' and admins' writes with before/after, newest first, filters, admin only.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, textOf } from './harness.mjs';

describe('audit trail', () => {
  let server, admin, editor, monitor, resolution, agency, sector;
  before(async () => {
    server = await startServer();
    admin = await server.token('admin');
    editor = await server.token('editor');
    monitor = await server.token('monitor');
    resolution = (await server.request('POST', '/v1/resolutions', {
      token: editor, body: { slug: 'audited', title: { en: 'Audited', ru: 'Аудит' }, adopted_on: '2021-11-15' },
    })).json;
    const patched = await server.request('PATCH', '/v1/resolutions/audited', {
      token: editor, body: { city: 'Bishkek' },
      headers: { 'If-Match': (await server.request('GET', '/v1/resolutions/audited')).headers.get('etag') },
    });
    assert.equal(patched.status, 200, patched.text);
    await server.request('POST', '/v1/resolutions/audited/archive', { token: admin });
    await server.request('POST', '/v1/resolutions/audited/archive', { token: admin });
    agency = (await server.request('POST', '/v1/agencies', {
      token: editor, body: { slug: 'audited-agency', name: { en: 'Agency' }, kind: 'ministry' },
    })).json;
    sector = (await server.request('POST', '/v1/resolutions/audited/sectors', {
      token: editor, body: { code: 'PS', title: { en: 'Public security' } },
    })).json;
  });
  after(async () => { await server.stop(); });

  test('every editor and admin write is there, newest first, with before and after', async () => {
    const r = await server.request('GET', '/v1/audit', { token: admin });
    assert.equal(r.status, 200, r.text);
    const mine = r.json.items.filter((e) => ['resolution', 'agency', 'sector'].includes(e.entity));
    assert.deepEqual(mine.map((e) => `${e.action} ${e.entity}`),
      ['create sector', 'create agency', 'archive resolution', 'update resolution', 'create resolution']);
    const [createdSector, createdAgency, archived, updated, created] = mine;
    assert.equal(created.before, null);
    assert.equal(created.after.slug, 'audited');
    assert.equal(created.entity_id, resolution.id);
    assert.equal(created.actor.role, 'editor');
    assert.equal(updated.before.city, null);
    assert.equal(updated.after.city, 'Bishkek');
    assert.equal(archived.actor.role, 'admin');
    assert.equal(archived.before.archived_at, null);
    assert.ok(archived.after.archived_at);
    assert.equal(createdAgency.entity_id, agency.id);
    assert.equal(createdSector.entity_id, sector.id);
    for (const e of mine) {
      assert.match(e.at, /Z$/);
      assert.ok(e.request_id);
    }
  });

  test('filters, keyset pages and ?lang', async () => {
    const byEntity = await server.request('GET', `/v1/audit?entity=resolution&entity_id=${resolution.id}&lang=ru`, { token: admin });
    assert.equal(byEntity.json.items.length, 3);
    assert.equal(byEntity.json.items.at(-1).after.title, 'Аудит');
    const page1 = await server.request('GET', '/v1/audit?limit=2', { token: admin });
    assert.equal(page1.json.items.length, 2);
    const page2 = await server.request('GET', `/v1/audit?limit=2&cursor=${page1.json.next_cursor}`, { token: admin });
    assert.ok(!page2.json.items.some((e) => page1.json.items.some((f) => f.id === e.id)));
    const since = await server.request('GET', `/v1/audit?since=${encodeURIComponent(page1.json.items[1].at)}`, { token: admin });
    assert.equal(since.json.items.length, 1);
    for (const q of ['entity=planet', 'actor=nobody', 'entity_id=1', 'since=yesterday']) {
      assertProblem(assert, await server.request('GET', `/v1/audit?${q}`, { token: admin }), 400, q.split('=')[0]);
    }
  });

  test('an import is one entry with the counts as after', async () => {
    const fs = await import('node:fs');
    const bundle = JSON.parse(fs.readFileSync(new URL('../../data/resolution-2021-11-15.json', import.meta.url)));
    const imported = await server.request('POST', '/v1/import', { token: editor, body: bundle });
    assert.equal(imported.status, 200, imported.text);
    const r = await server.request('GET', '/v1/audit?entity=import', { token: admin });
    assert.equal(r.json.items.length, 1);
    assert.equal(r.json.items[0].action, 'import');
    assert.equal(r.json.items[0].entity_id, null);
    assert.deepEqual(r.json.items[0].after, imported.json);
  });

  test('concurrent repeats of archive, unarchive and retract are audited once, as the change that took effect', async () => {
    const editor2 = await server.token('editor');
    const entries = async (id, action) => (await server.request('GET', `/v1/audit?entity_id=${id}`, { token: admin }))
      .json.items.filter((e) => e.action === action);
    const a = (await server.request('POST', '/v1/agencies', {
      token: editor, body: { slug: 'raced-agency', name: { en: 'Raced' }, kind: 'ministry' } })).json;
    for (const action of ['archive', 'unarchive']) {
      const all = await Promise.all(Array.from({ length: 6 }, () =>
        server.request('POST', `/v1/agencies/${a.id}/${action}`, { token: editor })));
      assert.deepEqual(all.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      const logged = await entries(a.id, action);
      assert.equal(logged.length, 1, `${action}: ${logged.length} entries for one change`);
      assert.equal(logged[0].after.version, logged[0].before.version + 1);
    }
    // a recommendation to post on: inserted through the API under the audited resolution
    const rec = (await server.request('POST', '/v1/recommendations', {
      token: editor, body: { resolution: 'audited', sector: 'PS', code: 'PS-99', number: 99, text: { en: 'r' } } })).json;
    const u = (await server.request('POST', `/v1/recommendations/${rec.id}/updates`, { token: editor, body: { body: 'x' } })).json;
    const tokens = [editor, editor2];
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      server.request('POST', `/v1/updates/${u.id}/retract`, { token: tokens[i % 2], body: { reason: `r${i}` } })));
    assert.deepEqual(all.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const logged = await entries(u.id, 'retract');
    assert.equal(logged.length, 1, `${logged.length} retract entries for one retraction`);
    assert.equal(logged[0].before.retracted, null);
    assert.equal(logged[0].actor.id, logged[0].after.retracted.by.id, 'the entry names who retracted it');
  });

  test('the actor\'s whole name, however long (not cut at 200 bytes), in JSON and CSV', async () => {
    const name = textOf(300); // 600 bytes
    const user = (await server.request('POST', '/v1/users', { token: admin, body: { name, role: 'editor' } })).json;
    const token = (await server.request('POST', `/v1/users/${user.id}/tokens`, { token: admin, body: { name: 't' } })).json.token;
    const made = await server.request('POST', '/v1/agencies', {
      token, body: { slug: 'named-at-length', name: { en: 'Named' }, kind: 'other' } });
    assert.equal(made.status, 201, made.text);
    const r = await server.request('GET', `/v1/audit?actor=${user.id}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.items.map((e) => [e.action, e.entity_id, e.actor.name]), [['create', made.json.id, name]]);
    const csv = await server.request('GET', `/v1/audit?actor=${user.id}&format=csv`, { token: admin });
    assert.equal(csv.status, 200);
    assert.ok(csv.text.includes(`,${user.id},${name},editor,create,agency,`), csv.text.slice(0, 300));
  });

  test('only admins read it', async () => {
    assertProblem(assert, await server.request('GET', '/v1/audit'), 401);
    assertProblem(assert, await server.request('GET', '/v1/audit', { token: editor }), 403);
    assertProblem(assert, await server.request('GET', '/v1/audit', { token: monitor }), 403);
  });
});
