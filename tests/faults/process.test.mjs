// Faults on the service process itself, on a database of the shared test cluster: SIGTERM under
// load (graceful drain) and SIGKILL in the middle of writes. In both, the clients keep retrying
// their writes with the same Idempotency-Key against the restarted service, and the ledger must
// show every acknowledged write exactly once.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  sharedDb, bootstrap, startTracker, Tally, writers, readers, call, until, sleep, scenario,
  assertLedger, assertTally, assertAliveAndStop, backends, holdLock,
} from './lib.mjs';

describe('process faults', () => {
  scenario('SIGTERM under load', async (t, rec) => {
    const DRAIN_S = 5;
    const env = { TRACKER_DRAIN_TIMEOUT_S: String(DRAIN_S), TRACKER_LOCK_TIMEOUT_MS: '10000' };
    const url = sharedDb();
    const boot = await bootstrap(url, env);
    let server = boot.server;
    const { token, recs, target } = boot;
    const tally = new Tally();
    const ledger = rec.newLedger('sigterm', url, tally);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let restarted;
    try {
      const slug = 'bishkek-2021-11-15';
      const paths = ['/v1/recommendations?limit=200', `/v1/resolutions/${slug}/export`, '/v1/agencies', `/v1/recommendations/${recs[4]}/history`];
      const w = writers(ledger, 3, { target: () => target, token, recs, giveUpMs: 60000 });
      const rFresh = readers(tally, 4, { target: () => target, paths, pauseMs: 0 });
      const rKeep = readers(tally, 4, { target: () => target, paths, pauseMs: 0, opts: { agent } });
      await sleep(1000);
      // two requests held in flight by a lock when the signal comes: they must still be answered whole
      const lock = await holdLock(url, 'agencies', 1.5);
      const slow = [call(target, 'GET', '/v1/agencies?limit=3'), call(target, 'GET', '/v1/agencies?limit=4')];
      await sleep(200);
      const pid = server.proc.pid;
      const before = (await backends(url)).length;
      const signalled = Date.now();
      server.proc.kill('SIGTERM');
      const exit = await server.exited;
      const exitMs = Date.now() - signalled;
      const slowAnswers = (await Promise.all(slow)).map((r) => tally.add(r));
      await lock.released;
      await rFresh.stop();
      await rKeep.stop();
      const left = await until(async () => (await backends(url)).length === 0, 2000, 50);
      const leftCount = (await backends(url)).length;

      // a new process on the same database: the writers' pending retries land there
      restarted = await startTracker(url, env);
      target.port = restarted.port;
      await sleep(500);
      await w.stop();
      const v = rec.verify(ledger);
      rec.figures = {
        drain_timeout_s: DRAIN_S, exit_code: exit.code, exit_ms: exitMs, in_flight_at_signal: slowAnswers.map((r) => r.status),
        backends_before: before, backends_after_exit: leftCount, answers: tally.by, cut: tally.cut, pid,
      };
      assert.equal(exit.code, 0, `exit ${exit.code} (${exit.signal})`);
      assert.ok(exitMs <= DRAIN_S * 1000 + 1000, `exited ${exitMs} ms after SIGTERM`);
      assert.deepEqual(slowAnswers.map((r) => r.status), [200, 200], 'in-flight requests were not answered');
      assert.ok(left, `${leftCount} backends of the service left after it exited`);
      assertTally(assert, tally);
      assert.deepEqual(tally.others([200, 201, 503, 'error:ECONNREFUSED', 'error:ECONNRESET']), [],
        `unexpected outcomes: ${JSON.stringify(tally.by)}`);
      assertLedger(assert, v, { minAcked: 5 });
      await assertAliveAndStop(assert, restarted);
      restarted = null;
      server = null;
    } finally {
      agent.destroy();
      if (server && server.proc.exitCode === null) await server.stop('SIGKILL');
      if (restarted) await restarted.stop('SIGKILL');
    }
  });

  scenario('SIGTERM with requests stuck in the database past the drain deadline', async (t, rec) => {
    // the drain deadline is the bound an operator sets (a container's grace period): requests
    // still waiting on the database when it passes must not keep the process alive
    const DRAIN_S = 2;
    const env = {
      TRACKER_DRAIN_TIMEOUT_S: String(DRAIN_S), TRACKER_LOCK_TIMEOUT_MS: '20000',
      TRACKER_STATEMENT_TIMEOUT_MS: '20000', TRACKER_QUERY_DEADLINE_MS: '20000',
    };
    const url = sharedDb();
    const boot = await bootstrap(url, env);
    let server = boot.server;
    const { token, recs, target } = boot;
    const tally = new Tally();
    const ledger = rec.newLedger('sigterm-stuck', url, tally);
    let restarted;
    try {
      const lock = await holdLock(url, 'recommendations', 6);
      const stuckRead = call(target, 'GET', '/v1/recommendations', { timeout: 15000 });
      const stuckWrite = ledger.write(() => target, token, recs[0], { giveUpMs: 30000 });
      await until(async () => (await backends(url)).filter((b) => b.wait === 'Lock').length === 2, 3000, 20);
      const signalled = Date.now();
      server.proc.kill('SIGTERM');
      const exit = await server.exited;
      const exitMs = Date.now() - signalled;
      const read = tally.add(await stuckRead);
      const left = await until(async () => (await backends(url)).length === 0, 2000, 50);
      restarted = await startTracker(url, env);
      target.port = restarted.port;
      const w = await stuckWrite;
      await lock.released;
      rec.figures = {
        drain_timeout_s: DRAIN_S, exit_code: exit.code, exit_ms: exitMs,
        stuck_read: read.status || read.error, stuck_read_ms: Math.round(read.ms), write_history: w.history.map((h) => h.status || h.error).join(','),
      };
      assert.equal(exit.code, 0, `exit ${exit.code} (${exit.signal})`);
      assert.ok(exitMs <= DRAIN_S * 1000 + 1500, `exited ${exitMs} ms after SIGTERM, drain deadline ${DRAIN_S} s`);
      assert.ok(left, 'backends of the service left after it exited');
      assertTally(assert, tally);
      assertLedger(assert, rec.verify(ledger));
      await assertAliveAndStop(assert, restarted);
      restarted = null;
      server = null;
    } finally {
      if (server && server.proc.exitCode === null) await server.stop('SIGKILL');
      if (restarted) await restarted.stop('SIGKILL');
    }
  });

  scenario('SIGKILL mid-write, then restart on the same database', async (t, rec) => {
    const url = sharedDb();
    const boot = await bootstrap(url);
    const { token, recs, target } = boot;
    const tally = new Tally();
    const ledger = rec.newLedger('sigkill', url, tally);
    const servers = [boot.server];
    try {
      const w = writers(ledger, 6, { target: () => target, token, recs, giveUpMs: 60000 });
      const kills = [];
      for (let round = 0; round < 2; round++) {
        await sleep(1000);
        const s = servers.at(-1);
        const acked = ledger.acked.size;
        s.proc.kill('SIGKILL');
        const exit = await s.exited;
        await sleep(300); // clients meet a closed port meanwhile
        const t0 = Date.now();
        const next = await startTracker(url);
        servers.push(next);
        target.port = next.port;
        kills.push({ acked_before: acked, signal: exit.signal, restart_ms: Date.now() - t0 });
      }
      await sleep(1000);
      await w.stop();
      const v = rec.verify(ledger);
      rec.figures = { kills, answers: tally.by, replays_after_kill: v.replays };
      for (const k of kills) assert.equal(k.signal, 'SIGKILL');
      assertTally(assert, tally);
      assertLedger(assert, v, { minAcked: 20 });
      await assertAliveAndStop(assert, servers.at(-1));
    } finally {
      for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop('SIGKILL');
    }
  });
});
