// PostgreSQL down 30 s on a private cluster: /readyz and the API answer 503 fast all along, the
// service is back to normal within 5 s of PostgreSQL accepting, and neither its file descriptors
// nor its memory grow with the failed requests (compared before the outage and after it, and
// between 5 s into the outage and its end, while thousands of requests fail). Writes keep being
// retried with their Idempotency-Key throughout, and none is lost or duplicated.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  privateCluster, bootstrap, Tally, writers, readers, call, until, sleep, scenario,
  assertLedger, assertTally, assertAliveAndStop, psql, procStats, sanitized,
} from './lib.mjs';

const OUTAGE_MS = 30000;
/** When, into the outage, the service's descriptors and memory are sampled a first time. */
const SAMPLE_MS = 5000;

scenario('PostgreSQL down 30 s', async (t, rec) => {
  const cluster = await privateCluster('down');
  let server;
  try {
    psql(cluster.base, 'CREATE DATABASE tracker');
    const url = cluster.url('tracker');
    const boot = await bootstrap(url, { TRACKER_THREADS: '4' });
    server = boot.server;
    const { token, recs, target } = boot;
    const pid = server.proc.pid;
    const tally = new Tally();
    const ledger = rec.newLedger('down', url, tally);
    const paths = [`/v1/recommendations/${recs[3]}`, '/v1/agencies', '/readyz', '/v1/recommendations?limit=5'];
    const load = () => ({
      w: writers(ledger, 2, { target, token, recs, giveUpMs: 60000 }),
      r: readers(tally, 3, { target, paths, pauseMs: 10 }),
      async stop() { await this.w.stop(); await this.r.stop(); },
    });

    // the same load before the outage, so that threads, arenas and connections exist already
    let l = load();
    await sleep(1500);
    await l.stop();
    await sleep(300);
    const before = await settledStats(pid, server.port);

    l = load();
    await sleep(300);
    const stop = await cluster.stop('fast');
    assert.equal(stop.code, 0, stop.stderr);
    const down = Date.now();
    const outage = new Tally();
    let probes = 0, slowestProbe = 0, mid = null;
    while (Date.now() - down < OUTAGE_MS) {
      if (!mid && Date.now() - down >= SAMPLE_MS) mid = await settledStats(pid, server.port);
      for (const p of ['/readyz', '/v1/agencies', `/v1/recommendations/${recs[1]}`]) {
        const res = outage.add(await call(target, 'GET', p));
        probes++;
        slowestProbe = Math.max(slowestProbe, res.ms);
        assert.equal(res.status, 503, `${p} answered ${res.status} while PostgreSQL was down`);
        assert.equal(res.json.status, 503);
      }
      await sleep(200);
    }
    const during = await settledStats(pid, server.port);
    const start = await cluster.start();
    assert.equal(start.code, 0, start.stderr);
    const accepting = Date.now();
    const ready = await until(async () => (await call(target, 'GET', '/readyz')).status === 200 &&
      (await call(target, 'GET', `/v1/recommendations/${recs[1]}`)).status === 200, 10000, 20);
    const recoveryMs = Date.now() - accepting;
    await sleep(1000);
    await l.stop();
    await sleep(300);
    const after = await settledStats(pid, server.port);
    const v = rec.verify(ledger);

    rec.figures = {
      outage_ms: OUTAGE_MS, probes, slowest_probe_ms: Math.round(slowestProbe), recovery_ms: recoveryMs,
      answers: tally.by, outage_answers: outage.by,
      fds: [before.fds, mid.fds, during.fds, after.fds],
      client_fds: [before.clientFds, mid.clientFds, during.clientFds, after.clientFds], rss_kb: [before.rssKb, mid.rssKb, during.rssKb, after.rssKb],
      threads: [before.threads, after.threads],
    };
    assertTally(assert, tally);
    assertTally(assert, outage, 'probes:');
    assert.deepEqual(tally.others([200, 201, 503]), [], `answers other than 200/201/503: ${JSON.stringify(tally.by)}`);
    assert.ok(slowestProbe < 1000, `a request took ${slowestProbe} ms while PostgreSQL was down`);
    assert.ok(ready, 'not back to normal within 10 s');
    assert.ok(recoveryMs <= 5000, `back to normal ${recoveryMs} ms after PostgreSQL accepted`);
    // the pool may hold up to TRACKER_THREADS connections more or fewer at either moment
    assert.ok(after.fds <= before.fds + 4, `file descriptors grew from ${before.fds} to ${after.fds}`);
    assert.ok(during.fds <= mid.fds + 2, `file descriptors grew during the outage from ${mid.fds} to ${during.fds}`);
    // (AddressSanitizer keeps freed memory in quarantine: its RSS says nothing; LeakSanitizer
    // checks at exit instead)
    if (!sanitized(pid)) {
      assert.ok(after.rssKb - before.rssKb < 4096, `memory grew from ${before.rssKb} kB to ${after.rssKb} kB`);
      assert.ok(during.rssKb - mid.rssKb < 2048, `memory grew during the outage from ${mid.rssKb} kB to ${during.rssKb} kB`);
    }
    assertLedger(assert, v, { minAcked: 5 });
    await assertAliveAndStop(assert, server);
    server = null;
  } finally {
    if (server) await server.stop('SIGKILL');
    await cluster.destroy();
  }
});

/**
 * The service's stats with its fewest descriptors over five samples 50 ms apart: a descriptor
 * open for one request only (a connection attempt to the database, say) is not a leak, and a
 * leak, one descriptor per failed request, would show in every sample.
 */
async function settledStats(pid, port) {
  let least = procStats(pid, port);
  for (let i = 0; i < 4; i++) {
    await sleep(50);
    const s = procStats(pid, port);
    if (s.fds < least.fds) least = { ...s, rssKb: least.rssKb };
  }
  return least;
}

/** The postmaster of a cluster and every process it started. */
function clusterPids(data) {
  const pm = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pm; } catch { return false; }
  }).map(Number);
  return [pm, ...children];
}

// Beyond the table of faults: the whole PostgreSQL server stops answering (every process
// SIGSTOPped: what a paused VM or a network partition that drops packets looks like). The
// client-side deadline must still answer in bounded time, and the service must come back.
scenario('PostgreSQL frozen whole (postmaster and backends stopped) for 6 s', async (t, rec) => {
  const DEADLINE = 1500, FREEZE_MS = 6000;
  const cluster = await privateCluster('frozen');
  let server, pids = [];
  try {
    psql(cluster.base, 'CREATE DATABASE tracker');
    const url = cluster.url('tracker');
    const boot = await bootstrap(url, { TRACKER_QUERY_DEADLINE_MS: String(DEADLINE), TRACKER_THREADS: '2' });
    server = boot.server;
    const { token, recs, target } = boot;
    const tally = new Tally();
    const ledger = rec.newLedger('pg-frozen', url, tally);
    assert.equal(tally.add(await call(target, 'GET', `/v1/recommendations/${recs[0]}`)).status, 200);
    pids = clusterPids(cluster.data);
    for (const p of pids) process.kill(p, 'SIGSTOP');
    // thawed on a timer, whatever the requests below are doing
    const thaw = sleep(FREEZE_MS).then(() => { for (const p of pids.splice(0)) process.kill(p, 'SIGCONT'); return Date.now(); });
    // a read on the open connection, a write and readiness (both on new connections: connect_timeout)
    const readP = call(target, 'GET', `/v1/recommendations/${recs[0]}`).then((r) => tally.add(r));
    await sleep(100);
    let firstWrite;
    const writeP = ledger.write(target, token, recs[1], { onAttempt: (r, n) => { if (n === 1) firstWrite = r; } });
    const readyP = call(target, 'GET', '/readyz').then((r) => tally.add(r));
    const [read, ready] = await Promise.all([readP, readyP]);
    await until(() => firstWrite, 15000, 20);
    const readMs = Math.round(read.ms);
    const thawed = await thaw;
    const back = await until(async () => (await call(target, 'GET', '/readyz')).status === 200 &&
      (await call(target, 'GET', `/v1/recommendations/${recs[0]}`)).status === 200, 10000, 50);
    const recoveryMs = Date.now() - thawed;
    const w = await writeP;
    const last = await ledger.write(target, token, recs[2]);
    const v = rec.verify(ledger);
    rec.figures = {
      deadline_ms: DEADLINE, freeze_ms: FREEZE_MS, read: read.status || read.error, read_ms: readMs,
      readyz: ready.status || ready.error, readyz_ms: Math.round(ready.ms),
      first_write: firstWrite.status || firstWrite.error, first_write_ms: Math.round(firstWrite.ms),
      write_history: w.history.map((h) => h.status || h.error).join(','), recovery_ms: recoveryMs,
    };
    assert.ok([503, 504].includes(read.status), `read while PostgreSQL was frozen: ${read.status || read.error}`);
    assert.ok(read.ms <= DEADLINE + 1500, `read answered after ${readMs} ms while PostgreSQL was frozen`);
    assert.equal(ready.status, 503);
    assert.ok(ready.ms <= 4500, `readiness answered after ${Math.round(ready.ms)} ms`);
    assert.ok([503, 504].includes(firstWrite.status), `write while PostgreSQL was frozen: ${firstWrite.status || firstWrite.error}`);
    assert.ok(firstWrite.ms <= 4500, `write answered after ${Math.round(firstWrite.ms)} ms while PostgreSQL was frozen`);
    assert.ok(back && recoveryMs <= 5000, `not back within 5 s of SIGCONT (${recoveryMs} ms)`);
    assert.ok(last.acked);
    assertTally(assert, tally);
    assertLedger(assert, v);
    await assertAliveAndStop(assert, server);
    server = null;
  } finally {
    for (const p of pids) { try { process.kill(p, 'SIGCONT'); } catch { /* gone */ } }
    if (server) await server.stop('SIGKILL');
    await cluster.destroy();
  }
});
