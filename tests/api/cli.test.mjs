// The command line (API.md §7): exit 0 on success, otherwise non-zero with exactly one line on
// stderr. Unknown, repeated and value-less options, stray arguments and bad values are usage
// errors (exit 2) for every command, and a refused `token create` writes no user and no token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, createDatabase, dbUrl, importSeed, runTracker, sql } from './harness.mjs';

const SERVE = 'tracker serve [--port N] [--threads N] [--migrate]';
const TOKEN = 'tracker token create --name NAME --role ROLE [--agency SLUG]';
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const usage = (u) => new RegExp(`\\(usage: ${esc(u)}\\)$`, 'm');

/**
 * Runs `sh -c script` with the binary as $0 (for arguments Node cannot pass, such as bytes that
 * are not UTF-8), killed after 10 s so that a command line wrongly accepted by `serve` fails
 * the test instead of hanging it.
 */
function runShell(db, script) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script, BIN], { cwd: ROOT, env: { ...process.env, DATABASE_URL: dbUrl(db) }, timeout: 10000 });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
const run = (db, args) => runShell(db, `exec "$0" ${args.map(quote).join(' ')}`);

/** Asserts a refusal: @a code, exactly one line on stderr matching @a message, no stdout. */
function assertRefused(r, code, message, what) {
  assert.equal(r.code, code, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /^tracker: [^\n]*\n$/, `${what}: not one line: ${JSON.stringify(r.stderr.slice(0, 400))}`);
  assert.match(r.stderr, message, what);
  assert.equal(r.stdout, '', what);
}

describe('tracker command line', () => {
  let db, slug;
  const accounts = () => sql(db, 'SELECT (SELECT count(*) FROM users) || \',\' || (SELECT count(*) FROM api_tokens)');
  before(async () => {
    db = createDatabase();
    const m = await runTracker(db, ['migrate']);
    assert.equal(m.code, 0, m.stderr);
    await importSeed({ db });
    slug = sql(db, 'SELECT slug FROM agencies ORDER BY slug LIMIT 1');
  });

  test('usage errors of every command exit 2 with one line naming the problem', async () => {
    const cases = [
      [[], /^tracker: missing command \(commands: serve, migrate, import, token create; tracker --help/],
      [['nope'], /unknown command nope/],
      [['help', 'x'], /unexpected argument x for help/],
      [['serve', '--bogus'], new RegExp(`^tracker: unknown option --bogus for serve \\(usage: ${esc(SERVE)}\\)\n$`)],
      [['serve', '--port'], /--port needs a value/],
      [['serve', '--port', '--migrate'], /--port needs a value/],
      [['serve', '--port', '80x'], /--port must be an integer in 0\.\.65535/],
      [['serve', '--threads', '0', '--migrate'], /--threads must be an integer in 1\.\.256/],
      [['serve', '--migrate', '--migrate'], /--migrate given twice/],
      [['serve', '--port', '0', '--port', '1'], /--port given twice/],
      [['serve', 'now'], /unexpected argument now for serve/],
      [['migrate', 'extra'], usage('tracker migrate')],
      [['migrate', '--bogus'], /unknown option --bogus for migrate/],
      [['import'], /FILE is required \(usage: tracker import FILE\)/],
      [['import', 'a.json', 'b.json'], /unexpected argument b\.json for import/],
      [['import', '--bogus', 'a.json'], /unknown option --bogus for import/],
      [['token'], usage(TOKEN)],
      [['token', 'nope'], /unknown token command nope/],
      [['token', 'create'], /--name is required/],
      [['token', 'create', '--name', 'X'], /--role is required/],
      [['token', 'create', '--name', 'X', '--role', 'monitor', '--bogus', '1'], /unknown option --bogus for token create/],
      [['token', 'create', '--name', 'X', '--role', 'monitor', '--expires', '2020'], /unknown option --expires/],
      [['token', 'create', '--name', 'X', '--name', 'Y', '--role', 'monitor'], /--name given twice/],
      [['token', 'create', '--name', 'X', '--role'], /--role needs a value/],
      [['token', 'create', '--name', '--role', 'monitor'], /--name needs a value/],
      [['token', 'create', '--name', 'X', '--role', 'monitor', 'extra'], /unexpected argument extra/],
      [['token', 'create', '--name', 'X', '--role', 'monitor', 'two\nlines'], /unexpected argument two lines/],
    ];
    const before = accounts();
    for (const [args, message] of cases) {
      assertRefused(await run(db, args), 2, message, args.join(' '));
    }
    assert.equal(accounts(), before);
  });

  test('token create checks its values as the API checks a user, before any SQL', async () => {
    const cases = [
      [['--name', '', '--role', 'monitor'], /^tracker: --name must not be empty\n$/],
      [['--name', 'é'.repeat(501), '--role', 'monitor'], /--name is longer than 500 characters/],
      [['--name', 'X', '--role', 'root'], /--role must be one of admin, editor, monitor, agency/],
      [['--name', 'X', '--role', 'anonymous'], /--role must be one of/],
      [['--name', 'X', '--role', 'agency'], /--agency SLUG is required for role agency/],
      [['--name', 'X', '--role', 'monitor', '--agency', slug], /--agency is only for role agency/],
      [['--name', 'X', '--role', 'agency', '--agency', 'Not a slug'], /--agency must be a slug/],
    ];
    const before = accounts();
    for (const [args, message] of cases) {
      const r = await run(db, ['token', 'create', ...args]);
      assertRefused(r, 2, message, args.join(' ').slice(0, 80));
      assert.doesNotMatch(r.stderr, /violates|constraint|relation|users_/);
    }
    const bytes = await runShell(db, 'exec "$0" token create --name "$(printf \'a\\377\')" --role monitor');
    assertRefused(bytes, 2, /--name must be UTF-8 text/, 'a name that is not UTF-8');
    const unknown = await run(db, ['token', 'create', '--name', 'X', '--role', 'agency', '--agency', 'no-such-agency']);
    assertRefused(unknown, 1, /^tracker: no agency has the slug no-such-agency\n$/, 'unknown agency');
    assert.equal(accounts(), before);
  });

  test('accepted command lines still work: token create with and without an agency, --help', async () => {
    const [users, tokens] = accounts().split(',').map(Number);
    const longest = await run(db, ['token', 'create', '--name', 'é'.repeat(500), '--role', 'monitor']);
    assert.equal(longest.code, 0, longest.stderr);
    const staff = await run(db, ['token', 'create', '--role', 'agency', '--agency', slug, '--name', 'Staff\nmember']);
    assert.equal(staff.code, 0, staff.stderr);
    assert.match(staff.stdout, /^\S+\n$/);
    assert.equal(staff.stderr, '');
    assert.equal(accounts(), `${users + 2},${tokens + 2}`);
    assert.equal(sql(db, `SELECT a.slug FROM users u JOIN agencies a ON a.id = u.agency_id WHERE u.name = E'Staff\\nmember'`), slug);
    for (const args of [['--help'], ['help'], ['-h'], ['serve', '--help'], ['token', 'create', '--help']]) {
      const r = await run(db, args);
      assert.equal(r.code, 0, args.join(' '));
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.includes(SERVE) && r.stdout.includes(TOKEN), r.stdout);
    }
    assert.equal(accounts(), `${users + 2},${tokens + 2}`);
  });
});

describe('tracker import: one line whatever the bundle holds', () => {
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test('a member name with a newline is reported on one line', async () => {
    const db = createDatabase();
    assert.equal((await runTracker(db, ['migrate'])).code, 0);
    const file = path.join(dir, 'newline.json');
    fs.writeFileSync(file, JSON.stringify({
      format: 'recommendation-tracker/bundle@1',
      resolution: { slug: 'r', title: { en: 'R' }, adopted_on: '2021-11-15', 'bad\nmember': 1 },
      sectors: [], agencies: [], recommendations: [],
    }));
    assertRefused(await runTracker(db, ['import', file]), 1, /invalid bundle: \/resolution\/bad member/, 'newline member');
  });

  test('a bad setting is a failed command, named on one line (a log level typo too)', async () => {
    const db = createDatabase();
    for (const [env, name] of [['TRACKER_LOG_LEVEL=loud', 'TRACKER_LOG_LEVEL'], ['TRACKER_PORT=abc', 'TRACKER_PORT']]) {
      const r = await runShell(db, `${env} exec "$0" migrate`);
      assertRefused(r, 1, new RegExp(`invalid configuration: ${name}`), env);
    }
  });
});
