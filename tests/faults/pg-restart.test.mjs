// PostgreSQL restarted under write load (pg_ctl restart -m fast, then -m immediate), each on a
// private cluster: answers during the outage are 503 problems, nothing hangs, no 500, the
// service recovers by itself within 2 s of PostgreSQL accepting, and no acknowledged write is
// lost or duplicated.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  privateCluster, bootstrap, Tally, writers, readers, call, until, sleep, scenario,
  assertLedger, assertTally, assertAliveAndStop, psql,
} from './lib.mjs';

async function restartUnderLoad(rec, mode) {
  const cluster = await privateCluster(`restart-${mode}`);
  let server;
  try {
    psql(cluster.base, 'CREATE DATABASE tracker');
    const url = cluster.url('tracker');
    const boot = await bootstrap(url, { TRACKER_THREADS: '6' });
    server = boot.server;
    const { token, recs, target } = boot;
    const tally = new Tally();
    const ledger = rec.newLedger(`restart-${mode}`, url, tally);
    const w = writers(ledger, 4, { target, token, recs });
    const r = readers(tally, 2, { target, paths: [`/v1/recommendations/${recs[10]}`, '/v1/agencies', '/readyz'] });
    await sleep(1000);
    const ackedBefore = ledger.acked.size;

    const restart = await cluster.restart(mode);
    assert.equal(restart.code, 0, `pg_ctl restart failed: ${restart.stderr}`);
    const accepting = Date.now();
    // recovered: readiness and a database read both answer 200
    const ready = await until(async () => (await call(target, 'GET', '/readyz')).status === 200 &&
      (await call(target, 'GET', `/v1/recommendations/${recs[0]}`)).status === 200, 10000, 20);
    const recoveryMs = Date.now() - accepting;
    const ackedAt = ledger.acked.size;
    const firstAck = await until(() => ledger.acked.size > ackedAt, 5000, 10);
    const writeRecoveryMs = Date.now() - accepting;
    await sleep(1000);
    await w.stop();
    await r.stop();

    const v = rec.verify(ledger);
    rec.figures = {
      pg_ctl_restart_ms: restart.ms, recovery_ms: recoveryMs, first_write_ack_after_ms: writeRecoveryMs,
      acked_before_restart: ackedBefore, answers: tally.by, slowest_5xx_ms: tally.slowest5xx,
    };
    assertTally(assert, tally);
    assert.deepEqual(tally.others([200, 201, 503]), [], `answers other than 200/201/503: ${JSON.stringify(tally.by)}`);
    assert.ok(tally.by['503'] > 0, 'no request saw the outage');
    assert.ok(ready, 'the service did not recover within 10 s');
    assert.ok(firstAck, 'no write acknowledged after the restart');
    assert.ok(recoveryMs <= 2000, `recovered ${recoveryMs} ms after PostgreSQL accepted`);
    assertLedger(assert, v, { minAcked: 10 });
    await assertAliveAndStop(assert, server);
    server = null;
  } finally {
    if (server) await server.stop('SIGKILL');
    await cluster.destroy();
  }
}

describe('PostgreSQL restarted under write load', () => {
  scenario('pg restart -m fast under write load', (t, rec) => restartUnderLoad(rec, 'fast'));
  scenario('pg restart -m immediate under write load', (t, rec) => restartUnderLoad(rec, 'immediate'));
});
