// Helpers for the fault tests (tests/faults/*.test.mjs): private PostgreSQL clusters, a client
// that never throws and never waits longer than its timeout, a write ledger (every acknowledged
// write against the rows found in the database afterwards), process figures from /proc and the
// result records that scripts/test-faults sums up.
//
// Nothing here blocks the event loop while a fault runs: pg_ctl, psql and kill go through
// spawn(), so the clients keep measuring while PostgreSQL restarts.
import { test } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, BIN, startServer, createDatabase, dbUrl } from '../api/harness.mjs';

export { ROOT, BIN, createDatabase, dbUrl };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PG_BIN = process.env.PG_BIN || (() => {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  return path.join(base, versions.at(-1) || '15', 'bin');
})();
const IS_ROOT = process.getuid && process.getuid() === 0;

/** Runs a command without blocking the event loop; resolves {code, stdout, stderr}. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...(opts.env || {}) }, cwd: opts.cwd || ROOT });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: stderr + e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** psql on a connection URI, synchronous: only while no fault is being measured. */
export function psql(url, query) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-AtXq', '-c', query], { encoding: 'utf8' }).trim();
}

/** psql on a connection URI without blocking; rejects on failure. */
export async function psqlAsync(url, query) {
  const r = await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-AtXq', '-c', query]);
  if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The URI of database `db` on the cluster whose `postgres` URI is `base`. */
export function withDb(base, db) {
  return base.replace(/^postgresql:\/\/\/[^?]*/, `postgresql:///${db}`);
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * initdb is the slow part of a new cluster (seconds on a busy machine): the first cluster of a
 * run initialises a template under `base` (kept for the run when $FAULTS_TMP is set), and each
 * cluster starts from a copy with its own socket folder. scripts/pg start skips initdb then.
 */
async function cloneTemplate(base, pgdir) {
  const template = path.join(base, 'pg-template');
  const tdata = path.join(template, 'pg', 'data');
  if (!fs.existsSync(path.join(template, 'ready'))) {
    fs.rmSync(template, { recursive: true, force: true });
    fs.mkdirSync(template, { mode: 0o755 });
    const pgScript = path.join(ROOT, 'scripts/pg');
    let r;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 12000);
      if (!(await portFree(port))) continue;
      r = await run(pgScript, ['start', path.join(template, 'pg'), String(port)]);
      if (r.code === 0) break;
    }
    await run(pgScript, ['stop', path.join(template, 'pg')]);
    if (!fs.existsSync(path.join(tdata, 'PG_VERSION'))) throw new Error(`initdb failed: ${r.stderr}`);
    fs.appendFileSync(path.join(tdata, 'postgresql.conf'), "\nsynchronous_commit = on\n");
    fs.writeFileSync(path.join(template, 'ready'), '');
  }
  fs.mkdirSync(pgdir, { mode: 0o755 });
  execFileSync('cp', ['-a', tdata, path.join(pgdir, 'data')]);
  fs.mkdirSync(path.join(pgdir, 'socket'));
  if (IS_ROOT) execFileSync('chown', ['-R', 'postgres:', pgdir]);
  // the template's conf names its own socket folder: point this copy at its own
  const conf = path.join(pgdir, 'data', 'postgresql.conf');
  const text = fs.readFileSync(conf, 'utf8').replace(/^unix_socket_directories = .*$/m,
    `unix_socket_directories = '${path.resolve(pgdir, 'socket')}'`);
  fs.writeFileSync(conf, text);
}

/**
 * A PostgreSQL cluster of its own in a temporary folder (under $FAULTS_TMP when set, so that
 * scripts/test-faults can stop leftovers), started with scripts/pg. synchronous_commit is turned
 * back on: the shared test cluster runs without it, and then a commit acknowledged just before
 * an immediate shutdown may vanish in crash recovery, which is not the service's doing.
 */
export async function privateCluster(name) {
  const base = process.env.FAULTS_TMP || os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, `cluster-${name}-`));
  fs.chmodSync(dir, 0o755);
  const pgdir = path.join(dir, 'pg');
  const pgScript = path.join(ROOT, 'scripts/pg');
  await cloneTemplate(base, pgdir);
  let port, started;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = 20000 + Math.floor(Math.random() * 12000);
    if (!(await portFree(port))) continue;
    const r = await run(pgScript, ['start', pgdir, String(port)]);
    if (r.code === 0) started = r.stdout.trim();
  }
  if (!started) throw new Error(`could not start a private cluster in ${dir}`);
  const data = path.join(pgdir, 'data');
  const log = path.join(pgdir, 'server.log');
  const cluster = {
    dir, data, port, base: started,
    url: (db) => withDb(started, db),
    /** pg_ctl on this cluster as its owner; resolves {code, stdout, stderr, ms}. */
    async pgctl(...args) {
      const t = performance.now();
      const argv = [path.join(PG_BIN, 'pg_ctl'), '-D', data, ...args];
      const r = IS_ROOT ? await run('runuser', ['-u', 'postgres', '--', ...argv]) : await run(argv[0], argv.slice(1));
      return { ...r, ms: Math.round(performance.now() - t) };
    },
    restart(mode) { return cluster.pgctl('restart', '-m', mode, '-w', '-t', '60', '-l', log, '-o', `-p ${port}`); },
    stop(mode = 'fast') { return cluster.pgctl('stop', '-m', mode, '-w', '-t', '60'); },
    start() { return cluster.pgctl('start', '-w', '-t', '60', '-l', log, '-o', `-p ${port}`); },
    async destroy() {
      await cluster.stop('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  if (psql(started, 'SHOW synchronous_commit') !== 'on') {
    psql(started, 'ALTER SYSTEM SET synchronous_commit = on');
    psql(started, 'SELECT pg_reload_conf()');
  }
  return cluster;
}

/** Runs the tracker command line on the database at `url`. */
export function cli(url, args) {
  return run(BIN, args, { env: { DATABASE_URL: url } });
}

/** Starts `tracker serve --migrate` on the database at `url` (harness.startServer underneath). */
export async function startTracker(url, env = {}) {
  const server = await startServer({ db: 'unused-see-dbUrl', env: { DATABASE_URL: url, ...env } });
  server.dbUrl = url;
  startedServers.add(server);
  return server;
}

/** Servers the running scenario started: a failed scenario kills those still up, so that node can exit. */
const startedServers = new Set();

/**
 * A server on `url` with the seed resolution imported and a monitor token.
 * Resolves {server, token, recs (recommendation ids), target ({port}, switchable on restart)}.
 */
export async function bootstrap(url, env = {}) {
  const server = await startTracker(url, env);
  const imp = await cli(url, ['import', path.join(ROOT, 'data/resolution-2021-11-15.json')]);
  if (imp.code !== 0) throw new Error(`import failed: ${imp.stderr}`);
  const tok = await cli(url, ['token', 'create', '--name', 'fault monitor', '--role', 'monitor']);
  if (tok.code !== 0) throw new Error(`token create failed: ${tok.stderr}`);
  const recs = psql(url, 'SELECT id FROM recommendations ORDER BY code').split('\n');
  return { server, token: tok.stdout.trim(), recs, target: { port: server.port } };
}

/** A database of the shared test cluster (for faults that leave PostgreSQL running). */
export function sharedDb() {
  return dbUrl(createDatabase('flt'));
}

/**
 * One HTTP request on a connection of its own (or opts.agent). Never rejects: resolves
 * {status (0 when none), headers, text, json, ms, error (code or 'timeout'), cut (the response
 * began but its body did not arrive whole)}.
 */
export function call(target, method, p, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const headers = { ...(opts.headers || {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body = opts.body;
    if (body !== undefined && typeof body !== 'string') {
      body = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const out = { status: 0, headers: {}, text: '', json: undefined, ms: 0, error: null, cut: false, started: t0 };
    let done = false, timer;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      out.ms = performance.now() - t0;
      if (err) out.error = err;
      resolve(out);
    };
    let req;
    try {
      req = http.request({
        host: opts.host || '127.0.0.1', port: target.port, method, path: p, headers,
        agent: opts.agent || false, localAddress: opts.localAddress,
      });
    } catch (e) { finish(e.code || e.message); return; }
    timer = setTimeout(() => { req.destroy(); finish('timeout'); }, opts.timeout ?? 10000);
    req.on('response', (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        out.text = Buffer.concat(chunks).toString('utf8');
        const declared = res.headers['content-length'];
        if (!res.complete || (declared !== undefined && Buffer.byteLength(out.text) !== Number(declared))) out.cut = true;
        if (/json/.test(res.headers['content-type'] || '') && out.text.length > 0) {
          try { out.json = JSON.parse(out.text); } catch { out.cut = true; }
        }
        finish(out.cut ? 'cut' : null);
      });
      res.on('error', (e) => { out.cut = true; finish(e.code || 'cut'); });
      res.on('close', () => { if (!res.complete) { out.cut = true; finish('cut'); } });
    });
    req.on('error', (e) => finish(e.code || e.message));
    req.end(body);
  });
}

/** Counts outcomes; flags what no fault may cause: a hang, a 500, a 5xx that is not a problem, a cut body. */
export class Tally {
  constructor() { this.by = {}; this.hangs = 0; this.status500 = 0; this.bad5xx = []; this.cut = 0; this.total = 0; this.slowest5xx = 0; }
  add(res) {
    this.total++;
    const k = res.error && !res.status ? `error:${res.error}` : String(res.status) + (res.cut ? ':cut' : '');
    this.by[k] = (this.by[k] || 0) + 1;
    if (res.error === 'timeout') this.hangs++;
    if (res.cut) this.cut++;
    if (res.status === 500) this.status500++;
    if (res.status >= 500) {
      this.slowest5xx = Math.max(this.slowest5xx, Math.round(res.ms));
      const type = res.headers['content-type'] || '';
      if (!res.cut && (!/^application\/problem\+json/.test(type) || !res.json || res.json.status !== res.status)) {
        this.bad5xx.push(`${res.status} ${type} ${res.text.slice(0, 120)}`);
      }
    }
    return res;
  }
  /** The counts of statuses other than `allowed` (a list of status numbers and 'error:*' keys). */
  others(allowed) {
    return Object.entries(this.by).filter(([k]) => !allowed.some((a) => (typeof a === 'number' ? k === String(a) : k.startsWith(a))));
  }
}

/** Load loops still running: a failed scenario stops them all, so that node can exit. */
const running = new Set();

/** Is this answer one a careful client retries with the same Idempotency-Key? */
function retryable(res) {
  if (res.error && !res.status) return true; // connection refused, reset, timeout
  if (res.cut) return true;
  if (res.status === 503 || res.status === 504) return true;
  return res.status === 409 && /in progress/.test((res.json && res.json.detail) || '');
}

/**
 * Every write goes through here: an update posted with a fresh Idempotency-Key, retried with
 * the same key on 503/504/409-in-progress/connection errors until acknowledged (201) or
 * `giveUpMs`. The body names the key, so the rows can be matched afterwards.
 */
export class Ledger {
  constructor(name, tally = new Tally()) {
    this.name = `${name}-${Math.random().toString(36).slice(2, 7)}`;
    this.tally = tally;
    this.seq = 0;
    this.acked = new Map(); // key → {id, location, attempts}
    this.gaveUp = [];
    this.unexpected = [];
    this.replays = 0;
    this.attempts = 0;
    this.inconsistent = [];
    this.aborted = false; // set when the scenario failed: retries stop at once
  }

  /** Posts one update; `target` is {port} or a function returning it (it may change on restart). */
  async write(target, token, recId, { giveUpMs = 30000, onAttempt, callOpts = {} } = {}) {
    const key = `${this.name}-${++this.seq}`;
    const body = { body: `fault:${key}` };
    const t0 = Date.now();
    const history = [];
    for (let attempt = 1; ; attempt++) {
      const t = typeof target === 'function' ? target() : target;
      const res = this.tally.add(await call(t, 'POST', `/v1/recommendations/${recId}/updates`,
        { ...callOpts, token, body, headers: { 'Idempotency-Key': key } }));
      this.attempts++;
      history.push({ status: res.status, error: res.error, ms: Math.round(res.ms) });
      if (onAttempt) onAttempt(res, attempt);
      if (res.status === 201 && !res.cut) {
        const id = res.json && res.json.id;
        const location = res.headers.location || '';
        if (!id || !location.endsWith(id)) this.inconsistent.push({ key, id, location });
        if (res.headers['idempotent-replayed'] === 'true') this.replays++;
        this.acked.set(key, { id, location, attempts: attempt, at: Date.now() });
        return { key, acked: true, history };
      }
      if (!retryable(res)) {
        this.unexpected.push({ key, status: res.status, text: res.text.slice(0, 200) });
        return { key, acked: false, history };
      }
      if (Date.now() - t0 > giveUpMs || this.aborted) {
        this.gaveUp.push(key);
        return { key, acked: false, history };
      }
      await sleep(Math.min(40 * attempt, 250));
    }
  }

  /**
   * Compares the ledger with the database: lost = acknowledged but absent (or another id),
   * duplicated = more than one row for one key. Also checks that the recommendations' counters
   * agree with their rows and that every written key has its idempotency record (same transaction).
   */
  verify(url) {
    const rows = psql(url, `SELECT substr(body, 7) || ' ' || id FROM updates WHERE body LIKE 'fault:${this.name}-%'`);
    const found = new Map();
    for (const line of rows ? rows.split('\n') : []) {
      const [key, id] = line.split(' ');
      if (!found.has(key)) found.set(key, []);
      found.get(key).push(id);
    }
    const lost = [], duplicated = [];
    for (const [key, a] of this.acked) {
      const ids = found.get(key) || [];
      if (!ids.includes(a.id)) lost.push(key);
    }
    for (const [key, ids] of found) if (ids.length > 1) duplicated.push(key);
    const counters = Number(psql(url, `SELECT count(*) FROM recommendations r
      WHERE updates_count <> (SELECT count(*) FROM updates u WHERE u.recommendation_id = r.id)`));
    const orphans = Number(psql(url, `SELECT count(*) FROM updates u WHERE body LIKE 'fault:${this.name}-%'
      AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = substr(u.body, 7) AND k.status = 201)`));
    return {
      acked: this.acked.size, rows: [...found.values()].reduce((n, ids) => n + ids.length, 0),
      attempts: this.attempts, replays: this.replays, lost, duplicated, counters, orphans,
      gaveUp: this.gaveUp.length, unexpected: this.unexpected, inconsistent: this.inconsistent,
    };
  }
}

/**
 * `n` writers, each posting updates one after another on a recommendation of its own, until
 * stop() (which waits for the write each one has in hand, retries included).
 */
export function writers(ledger, n, { target, token, recs, pauseMs = 0, giveUpMs, callOpts }) {
  let stopping = false;
  const loops = Array.from({ length: n }, async (_, i) => {
    while (!stopping && !ledger.aborted) {
      await ledger.write(target, token, recs[i % recs.length], { giveUpMs, callOpts });
      if (pauseMs) await sleep(pauseMs);
    }
  });
  const handle = {
    async stop() { stopping = true; await Promise.all(loops); running.delete(handle); },
    abort() { stopping = true; ledger.aborted = true; },
  };
  running.add(handle);
  return handle;
}

/** `n` readers hitting `paths` in turn until stop(); every answer goes to `tally`. */
export function readers(tally, n, { target, paths, pauseMs = 20, opts = {} }) {
  let stopping = false;
  const loops = Array.from({ length: n }, async (_, i) => {
    for (let j = i; !stopping; j++) {
      const t = typeof target === 'function' ? target() : target;
      tally.add(await call(t, 'GET', paths[j % paths.length], opts));
      if (pauseMs) await sleep(pauseMs);
    }
  });
  const handle = {
    async stop() { stopping = true; await Promise.all(loops); running.delete(handle); },
    abort() { stopping = true; },
  };
  running.add(handle);
  return handle;
}

/**
 * Open file descriptors, resident memory (kB) and threads of a process. With `port`, the
 * connections accepted on that port are counted apart (clientFds) and left out of fds: they
 * come and go with the clients' requests in flight, and would make a leak check flaky.
 */
export function procStats(pid, port) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number((status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) || [])[1]);
  const accepted = port ? acceptedSocketInodes(pid, port) : new Set();
  let fds = 0, clientFds = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try { link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; /* closed meanwhile */ }
    const inode = (link.match(/^socket:\[(\d+)\]$/) || [])[1];
    if (inode && accepted.has(inode)) clientFds++; else fds++;
  }
  return { fds, clientFds, rssKb: field('VmRSS'), threads: field('Threads') };
}

/** Inodes of the TCP sockets whose local port is `port`, other than the listening one. */
function acceptedSocketInodes(pid, port) {
  const inodes = new Set();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try { text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const localPort = parseInt(f[1].split(':')[1], 16);
      const listening = f[3] === '0A';
      if (localPort === port && !listening) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** Is the process built with AddressSanitizer (whose quarantine makes RSS grow by design)? */
export function sanitized(pid) {
  return /libasan/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

/** The service's backends (pid, state, wait_event_type) on the database at `url`. */
export async function backends(url) {
  const out = await psqlAsync(url, `SELECT pid, state, coalesce(wait_event_type, '') FROM pg_stat_activity
    WHERE application_name = 'tracker' AND datname = current_database() AND pid <> pg_backend_pid()`);
  return out ? out.split('\n').map((l) => { const [pid, state, wait] = l.split('|'); return { pid: Number(pid), state, wait }; }) : [];
}

/** Polls `fn` every `everyMs` until it returns truthy or `ms` pass; resolves the value or undefined. */
export async function until(fn, ms, everyMs = 25) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs);
  }
}

/**
 * Holds ACCESS EXCLUSIVE on `table` for `seconds` from a psql session; resolves once held, with
 * {released: a promise of the session's end, release(): ends it early (cancels its statement)}.
 */
export async function holdLock(url, table, seconds) {
  const child = spawn('psql', [url, '-Xq', '-c',
    `BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds}); COMMIT;`], { stdio: 'ignore' });
  const released = new Promise((resolve) => child.on('exit', resolve));
  const holder = await until(async () => psqlAsync(url, `SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = '${table}' AND l.mode = 'AccessExclusiveLock' AND l.granted`), 5000, 20);
  if (!holder) throw new Error('lock was not taken');
  return {
    released,
    async release() { await psqlAsync(url, `SELECT pg_cancel_backend(${holder})`); await released; },
  };
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const round = (x) => Math.round(x * 10) / 10;
export { round };

/**
 * A fault scenario: a node:test test whose outcome, figures and ledger totals are appended to
 * $FAULTS_RESULTS (one JSON line) for scripts/test-faults' summary.
 * fn(t, rec): make ledgers with rec.newLedger(label, url, tally), check each with
 * rec.verify(ledger) before the database goes away, put measured figures in rec.figures.
 */
export function scenario(name, fn, options = {}) {
  test(name, { timeout: 120000, ...options }, async (t) => {
    const rec = { scenario: name, pass: false, acked: 0, lost: 0, duplicated: 0, figures: {} };
    const ledgers = [], writes = [];
    /** A ledger of this scenario's writes on the database at `url`. */
    rec.newLedger = (label, url, tally) => {
      const ledger = new Ledger(label, tally);
      ledgers.push({ ledger, url, verified: false });
      return ledger;
    };
    /** Compares a ledger with its database and counts the result in this scenario's record. */
    rec.verify = (ledger) => {
      const entry = ledgers.find((e) => e.ledger === ledger);
      const v = ledger.verify(entry.url);
      entry.verified = true;
      rec.acked += v.acked;
      rec.lost += v.lost.length;
      rec.duplicated += v.duplicated.length;
      writes.push({ acked: v.acked, rows: v.rows, attempts: v.attempts, replays: v.replays, gave_up: v.gaveUp });
      return v;
    };
    const started = Date.now();
    try {
      await fn(t, rec);
      rec.pass = true;
    } catch (e) {
      rec.error = String(e && e.message).slice(0, 600);
      // a criterion failed before the ledger was checked: check it now if the database is still there
      for (const e2 of ledgers.filter((l) => !l.verified)) {
        try { rec.verify(e2.ledger); } catch { rec.unverified = true; }
      }
      for (const loop of running) loop.abort();
      running.clear();
      for (const e2 of ledgers) e2.ledger.aborted = true;
      for (const server of startedServers) {
        if (server.proc.exitCode === null && server.proc.signalCode === null) await server.stop('SIGKILL').catch(() => {});
      }
      throw e;
    } finally {
      startedServers.clear();
      rec.seconds = round((Date.now() - started) / 1000);
      if (writes.length) rec.figures.writes = writes.length === 1 ? writes[0] : writes;
      delete rec.newLedger;
      delete rec.verify;
      if (process.env.FAULTS_RESULTS) fs.appendFileSync(process.env.FAULTS_RESULTS, `${JSON.stringify(rec)}\n`);
      t.diagnostic(`${name}: ${rec.pass ? 'pass' : 'FAIL'} acked=${rec.acked} lost=${rec.lost} duplicated=${rec.duplicated} ${JSON.stringify(rec.figures)}`);
    }
  });
}

/** Asserts the ledger: nothing lost, nothing duplicated, counters and idempotency records whole. */
export function assertLedger(assert, v, { minAcked = 1 } = {}) {
  assert.deepEqual(v.lost, [], `acknowledged writes lost: ${v.lost.join(', ')}`);
  assert.deepEqual(v.duplicated, [], `writes duplicated: ${v.duplicated.join(', ')}`);
  assert.deepEqual(v.unexpected, [], `unexpected answers to writes: ${JSON.stringify(v.unexpected)}`);
  assert.deepEqual(v.inconsistent, [], `201 without a matching id/Location: ${JSON.stringify(v.inconsistent)}`);
  assert.equal(v.counters, 0, 'recommendations whose updates_count disagrees with their updates');
  assert.equal(v.orphans, 0, 'updates written without their idempotency record');
  assert.equal(v.gaveUp, 0, 'writes still unanswered after their retry budget');
  assert.ok(v.acked >= minAcked, `only ${v.acked} writes acknowledged`);
}

/** Asserts the tally shows no hang, no 500, every 5xx a problem+json and no cut body. */
export function assertTally(assert, tally, label = '') {
  assert.equal(tally.hangs, 0, `${label} requests hung past the client timeout: ${JSON.stringify(tally.by)}`);
  assert.equal(tally.status500, 0, `${label} 500 answers: ${JSON.stringify(tally.by)}`);
  assert.deepEqual(tally.bad5xx, [], `${label} 5xx answers that are not problem+json`);
  assert.equal(tally.cut, 0, `${label} responses cut mid-body`);
}

/** Asserts the server process is still running (no crash) and stops it (exit 0). */
export async function assertAliveAndStop(assert, server) {
  assert.equal(server.proc.exitCode, null, `the server exited: ${server.logs.slice(-20).join('\n')}`);
  assert.equal(server.proc.signalCode, null, 'the server was killed by a signal');
  await server.stop();
}
