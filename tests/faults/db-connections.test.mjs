// Faults on the service's database connections while PostgreSQL itself keeps running (each
// scenario on a database of the shared test cluster): a connection killed, a backend frozen,
// a table locked, the pool exhausted. Writes go through the ledger (Idempotency-Key, retried
// with the same key) and none may be lost or duplicated.
import { describe } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  sharedDb, bootstrap, Tally, call, until, sleep, scenario, assertLedger, assertTally,
  assertAliveAndStop, backends, holdLock, psqlAsync, procStats, percentile,
} from './lib.mjs';

const terminate = (url, pid) => psqlAsync(url, `SELECT pg_terminate_backend(${pid})`);
const lockWaiters = async (url) => (await backends(url)).filter((b) => b.wait === 'Lock');
const metric = (text, name) => Number((text.match(new RegExp(`^${name} (\\d+)`, 'm')) || [])[1]);

describe('database connection faults', () => {
  scenario('one database connection killed', async (t, rec) => {
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, { TRACKER_LOCK_TIMEOUT_MS: '5000', TRACKER_THREADS: '2' });
    const tally = new Tally();
    const ledger = rec.newLedger('killed', url, tally);
    const get = (p) => call(target, 'GET', p).then((r) => tally.add(r));
    const killed = [];

    // killed while idle: the next read notices, reconnects and is retried
    assert.equal((await get(`/v1/recommendations/${recs[0]}`)).status, 200);
    for (const b of await backends(url)) { await terminate(url, b.pid); killed.push(b.pid); }
    await sleep(100);
    const idleRead = await get(`/v1/recommendations/${recs[0]}`);
    assert.equal(idleRead.status, 200, idleRead.text);

    // killed while a read waits on a lock: retried once on a new connection, answered 200
    let lock = await holdLock(url, 'recommendations', 10);
    const read = get(`/v1/recommendations/${recs[1]}`);
    let victim = await until(async () => (await lockWaiters(url))[0], 5000, 20);
    assert.ok(victim, 'the read did not wait on the lock');
    await terminate(url, victim.pid);
    killed.push(victim.pid);
    await sleep(300);
    await lock.release();
    const readRes = await read;
    assert.equal(readRes.status, 200, `read on a killed connection: ${readRes.status} ${readRes.text}`);

    // killed while a write waits on a lock: 503 (never re-applied), the retry with the same key lands once
    lock = await holdLock(url, 'recommendations', 10);
    const write = ledger.write(target, token, recs[2]);
    victim = await until(async () => (await lockWaiters(url))[0], 5000, 20);
    assert.ok(victim, 'the write did not wait on the lock');
    await terminate(url, victim.pid);
    killed.push(victim.pid);
    await sleep(300);
    await lock.release();
    const w = await write;
    assert.equal(w.history[0].status, 503, `write on a killed connection: ${JSON.stringify(w.history)}`);
    assert.ok(w.acked, 'the retried write was not acknowledged');

    // the connections were replaced
    const now = await backends(url);
    const metrics = (await call(target, 'GET', '/metrics')).text;
    rec.figures = {
      killed: killed.length, read_after_kill_ms: Math.round(readRes.ms), write_history: w.history,
      backends_after: now.length, reconnects: metric(metrics, 'tracker_db_reconnects_total'), answers: tally.by,
    };
    assert.ok(now.every((b) => !killed.includes(b.pid)), 'a killed backend is still listed');
    assert.ok(now.length >= 1 && now.length <= 2, `${now.length} backends`);
    assert.equal((await get(`/v1/recommendations/${recs[2]}`)).status, 200);
    assert.ok(metric(metrics, 'tracker_db_reconnects_total') >= 3, 'reconnects not counted');
    assertTally(assert, tally);
    assertLedger(assert, rec.verify(ledger));
    await assertAliveAndStop(assert, server);
  });

  scenario('backend frozen (SIGSTOP) past the client-side deadline', async (t, rec) => {
    const DEADLINE = 1500;
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, { TRACKER_QUERY_DEADLINE_MS: String(DEADLINE), TRACKER_THREADS: '2' });
    const tally = new Tally();
    const ledger = rec.newLedger('frozen', url, tally);
    const get = (p) => call(target, 'GET', p).then((r) => tally.add(r));
    const frozen = [];
    try {
      // one request at a time: the pool keeps handing out the same open connection
      assert.equal((await get(`/v1/recommendations/${recs[0]}`)).status, 200);
      // idle: the main thread and the listener (a connection's thread ends a moment after it closes)
      await sleep(300);
      const threadsBefore = procStats(server.proc.pid).threads;
      const first = await backends(url);
      assert.equal(first.length, 1, `expected one open connection, found ${first.length}`);
      process.kill(first[0].pid, 'SIGSTOP');
      frozen.push(first[0].pid);
      const frozenAt = Date.now();

      const read = await get(`/v1/recommendations/${recs[0]}`);
      assert.ok([503, 504].includes(read.status), `read on a frozen backend: ${read.status} ${read.text}`);
      assert.ok(read.ms <= DEADLINE + 1500, `answered after ${Math.round(read.ms)} ms`);
      const readAgain = await get(`/v1/recommendations/${recs[0]}`);
      assert.equal(readAgain.status, 200, 'the next read did not get a fresh connection');

      // a write on a frozen backend: bounded answer, and the retry with the same key lands once
      const second = (await backends(url)).filter((b) => !frozen.includes(b.pid));
      assert.equal(second.length, 1);
      process.kill(second[0].pid, 'SIGSTOP');
      frozen.push(second[0].pid);
      const w = await ledger.write(target, token, recs[1]);
      assert.ok([503, 504].includes(w.history[0].status), `write on a frozen backend: ${JSON.stringify(w.history)}`);
      assert.ok(w.history[0].ms <= DEADLINE + 1500, `write answered after ${w.history[0].ms} ms`);
      assert.ok(w.acked);

      // while both stay frozen, the service works on other connections, concurrently too
      const parallel = await Promise.all([0, 1, 2, 3].map((i) => get(`/v1/recommendations/${recs[i]}`)));
      assert.deepEqual(parallel.map((r) => r.status), [200, 200, 200, 200]);
      for (let i = 0; i < 3; i++) assert.ok((await ledger.write(target, token, recs[2 + i])).acked);

      // frozen in the middle of a write transaction that holds its Idempotency-Key: the retry
      // meets 409 (in progress) until the frozen transaction is gone, then lands exactly once
      const lock = await holdLock(url, 'recommendations', 5);
      const midTx = ledger.write(target, token, recs[6]);
      const third = await until(async () => (await lockWaiters(url))[0], 3000, 20);
      assert.ok(third, 'the write did not wait on the lock');
      process.kill(third.pid, 'SIGSTOP');
      frozen.push(third.pid);
      const thirdAt = Date.now();
      await lock.release();
      await sleep(Math.max(0, 8000 - (Date.now() - frozenAt), 3000 - (Date.now() - thirdAt)));
      for (const pid of frozen.splice(0)) process.kill(pid, 'SIGCONT');
      const w3 = await midTx;
      assert.ok([503, 504].includes(w3.history[0].status), `write frozen mid-transaction: ${JSON.stringify(w3.history)}`);
      assert.ok(w3.history[0].ms <= DEADLINE + 1500 + 600, `write frozen mid-transaction answered after ${w3.history[0].ms} ms`);
      assert.ok(w3.acked, 'the write frozen mid-transaction never landed');
      // the frozen backends find their client gone and end
      const gone = await until(async () => {
        const pids = (await backends(url)).map((b) => b.pid);
        return [first[0].pid, second[0].pid, third.pid].every((p) => !pids.includes(p));
      }, 3000, 50);
      assert.ok(gone, 'a frozen backend is still there after SIGCONT');
      await until(() => procStats(server.proc.pid).threads <= threadsBefore, 3000, 50);
      const threadsAfter = procStats(server.proc.pid).threads;
      const left = await backends(url);
      rec.figures = {
        deadline_ms: DEADLINE, read_answer: read.status, read_ms: Math.round(read.ms),
        write_answer: w.history[0].status, write_ms: w.history[0].ms, threads: [threadsBefore, threadsAfter],
        mid_transaction_write: w3.history.map((h) => h.status).join(','),
        backends_after: left.length, answers: tally.by,
      };
      assert.ok(left.length <= 2, `${left.length} backends for a pool of 2`);
      assert.ok(threadsAfter <= threadsBefore, `request threads still running: ${threadsAfter} threads, ${threadsBefore} when idle`);
      assert.equal((await get(`/v1/recommendations/${recs[0]}`)).status, 200);
      assertTally(assert, tally);
      assertLedger(assert, rec.verify(ledger), { minAcked: 5 });
      await assertAliveAndStop(assert, server);
    } finally {
      for (const pid of frozen) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
      if (server.proc.exitCode === null) await server.stop('SIGKILL');
    }
  });

  scenario('lock wait: ACCESS EXCLUSIVE on recommendations for 6 s', async (t, rec) => {
    const LOCK_TIMEOUT = 2000;
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, { TRACKER_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT) });
    const tally = new Tally();
    const ledger = rec.newLedger('lock', url, tally);
    const get = (p) => call(target, 'GET', p).then((r) => tally.add(r));
    assert.equal((await get('/v1/agencies')).status, 200);
    const lock = await holdLock(url, 'recommendations', 6);
    const locked = Date.now();
    const blocked = Promise.all([get('/v1/recommendations'), get(`/v1/recommendations/${recs[0]}`)]);
    const write = ledger.write(target, token, recs[1]);
    const other = [];
    while (Date.now() - locked < 4000) {
      other.push(await get('/v1/agencies'));
      await sleep(50);
    }
    const [list, one] = await blocked;
    const w = await write;
    await lock.released;
    const after = await get('/v1/recommendations');
    const otherMs = other.map((r) => r.ms);
    rec.figures = {
      lock_timeout_ms: LOCK_TIMEOUT, list: [list.status, Math.round(list.ms)], one: [one.status, Math.round(one.ms)],
      write_first: w.history[0], write_attempts: w.history.length, other_table_requests: other.length,
      other_table_max_ms: Math.round(Math.max(...otherMs)), answers: tally.by,
    };
    for (const r of [list, one]) {
      assert.equal(r.status, 503, `blocked read: ${r.status} ${r.text}`);
      assert.ok(r.ms >= LOCK_TIMEOUT - 100 && r.ms < LOCK_TIMEOUT + 1500, `blocked read answered after ${r.ms} ms`);
    }
    assert.equal(w.history[0].status, 503);
    assert.ok(w.history[0].ms < LOCK_TIMEOUT + 1500, `blocked write answered after ${w.history[0].ms} ms`);
    assert.ok(w.acked, 'the write did not land after the lock was released');
    assert.ok(other.every((r) => r.status === 200), 'a request on another table failed');
    assert.ok(Math.max(...otherMs) < 500, `a request on another table took ${Math.max(...otherMs)} ms`);
    assert.equal(after.status, 200);
    assertTally(assert, tally);
    assertLedger(assert, rec.verify(ledger));
    await assertAliveAndStop(assert, server);
  });

  scenario('connection pool exhausted', async (t, rec) => {
    const WAIT = 300;
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, {
      TRACKER_THREADS: '2', TRACKER_DB_WAIT_MS: String(WAIT), TRACKER_LOCK_TIMEOUT_MS: '10000',
      TRACKER_STATEMENT_TIMEOUT_MS: '20000', TRACKER_QUERY_DEADLINE_MS: '20000',
    });
    const tally = new Tally();
    const ledger = rec.newLedger('pool', url, tally);
    const get = (p) => call(target, 'GET', p).then((r) => tally.add(r));
    const lock = await holdLock(url, 'recommendations', 15);
    const holders = [get('/v1/recommendations?limit=5'), get(`/v1/recommendations/${recs[0]}`)];
    assert.ok(await until(async () => (await lockWaiters(url)).length === 2, 5000, 20), 'the pool was not taken');
    // three times as many requests as connections
    const firstAnswers = [];
    const waiterPaths = ['/v1/agencies', '/v1/agencies?limit=1', `/v1/agencies/${'x'.repeat(3)}`, '/readyz'];
    const waiters = waiterPaths.map((p) => get(p));
    const writes = [1, 2].map((i) => ledger.write(target, token, recs[i], { onAttempt: (r, n) => { if (n === 1) firstAnswers.push(r); } }));
    const waited = await Promise.all(waiters);
    await until(() => firstAnswers.length === 2, 5000, 10);
    await sleep(500); // the writes' retries meet the full pool a few more times
    await lock.release();
    const held = await Promise.all(holders);
    const ws = await Promise.all(writes);
    const again = await Promise.all(waiterPaths.map((p) => get(p)));
    const all = waited.concat(firstAnswers);
    rec.figures = {
      pool: 2, waiters: all.length, wait_ms: WAIT, waiter_answers: all.map((r) => r.status),
      slowest_waiter_ms: Math.round(Math.max(...all.map((r) => r.ms))), holders: held.map((r) => r.status),
      after_release: again.map((r) => r.status), write_attempts: ws.map((w) => w.history.length), answers: tally.by,
    };
    for (const r of all) {
      assert.equal(r.status, 503, `a waiter got ${r.status}: ${r.text}`);
      assert.ok(r.ms < WAIT + 700, `a waiter was answered after ${r.ms} ms`);
    }
    assert.deepEqual(held.map((r) => r.status), [200, 200]);
    assert.deepEqual(again.map((r) => r.status), [200, 200, 404, 200]);
    assert.ok(ws.every((w) => w.acked));
    assertTally(assert, tally);
    assertLedger(assert, rec.verify(ledger), { minAcked: 2 });
    await assertAliveAndStop(assert, server);
  });

  // Readers and writers wait for a connection on conditions of their own, and a release wakes
  // one of each (src/db/db.c): a wake-up lost on the way would leave a connection idle while a
  // request waits out TRACKER_DB_WAIT_MS and gets 503.
  scenario('a burst forty times the pool, reads and writes mixed, every request served', async (t, rec) => {
    const url = sharedDb();
    // 4 connections, of which writes may hold 3; a wait long enough that only a lost wake-up
    // (never a slow machine) runs it out
    const WAIT = 10000;
    const { server, token, recs, target } = await bootstrap(url, { TRACKER_THREADS: '4', TRACKER_DB_WAIT_MS: String(WAIT) });
    const tally = new Tally();
    const ledger = rec.newLedger('burst', url, tally);
    const firstTries = [];
    const onAttempt = (r, n) => { if (n === 1) firstTries.push(r); };
    for (let round = 0; round < 3; round++) {
      const reads = Array.from({ length: 120 }, (_, i) =>
        call(target, 'GET', i % 4 ? `/v1/recommendations/${recs[i % recs.length]}` : '/v1/agencies?limit=20').then((r) => tally.add(r)));
      const writes = Array.from({ length: 40 }, (_, i) => ledger.write(target, token, recs[i % recs.length], { onAttempt }));
      const answered = await Promise.all(reads);
      await Promise.all(writes);
      firstTries.push(...answered);
    }
    const metrics = (await call(target, 'GET', '/metrics')).text;
    const ms = firstTries.map((r) => r.ms);
    rec.figures = {
      pool: 4, requests: firstTries.length, answers: tally.by, p50_ms: Math.round(percentile(ms, 50)),
      max_ms: Math.round(Math.max(...ms)), wait_timeouts: metric(metrics, 'tracker_db_pool_wait_timeouts_total'),
    };
    assert.deepEqual(tally.others([200, 201]), [], `answers other than 200/201: ${JSON.stringify(tally.by)}`);
    assert.equal(metric(metrics, 'tracker_db_pool_wait_timeouts_total'), 0, 'a request found no connection');
    assert.ok(Math.max(...ms) < WAIT - 2000, `a request took ${Math.round(Math.max(...ms))} ms`);
    assertTally(assert, tally);
    assertLedger(assert, rec.verify(ledger), { minAcked: 120 });
    await assertAliveAndStop(assert, server);
  });

  scenario('writes queued on one locked row leave reads their connections', async (t, rec) => {
    const url = sharedDb();
    // the writes wait on the lock (and its 5 s) without timing out (the default pool: 8 connections)
    const { server, token, recs, target } = await bootstrap(url, {
      TRACKER_LOCK_TIMEOUT_MS: '20000', TRACKER_STATEMENT_TIMEOUT_MS: '20000', TRACKER_QUERY_DEADLINE_MS: '20000' });
    const holder = spawn('psql', [url, '-Xq', '-c', `BEGIN; SELECT 1 FROM recommendations WHERE id = '${recs[0]}'
      FOR UPDATE; SELECT pg_sleep(5); COMMIT;`], { stdio: 'ignore' });
    const released = new Promise((resolve) => holder.on('exit', resolve));
    try {
      const held = await until(async () => (await psqlAsync(url, `SELECT count(*) FROM pg_stat_activity
        WHERE state = 'active' AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()`)) === '1', 5000, 20);
      assert.ok(held, 'the row lock was not taken');
      const writes = Array.from({ length: 12 }, (_, i) => call(target, 'POST', `/v1/recommendations/${recs[0]}/updates`,
        { token, body: { body: `queued ${i}` }, timeout: 30000 }));
      const queued = await until(async () => (await lockWaiters(url)).length >= 6, 5000, 20);
      assert.ok(queued, 'the writes did not queue on the lock');
      const reads = [];
      for (let i = 0; i < 30; i++) reads.push(await call(target, 'GET', `/v1/recommendations/${recs[1 + (i % 10)]}`));
      const ms = reads.map((r) => r.ms);
      rec.figures = { writes_waiting: (await lockWaiters(url)).length, read_p50_ms: Math.round(percentile(ms, 50)),
        read_max_ms: Math.round(Math.max(...ms)) };
      assert.deepEqual([...new Set(reads.map((r) => r.status))], [200], 'a read was refused while writes waited');
      assert.ok(Math.max(...ms) < 1000, `a read waited ${Math.round(Math.max(...ms))} ms for a connection`);
      await released;
      const done = await Promise.all(writes);
      // the queued writes land once the lock is gone; those that found no writer's connection are 503
      const statuses = JSON.stringify(done.map((w) => w.status));
      assert.ok(done.every((w) => [201, 503].includes(w.status)), statuses);
      assert.ok(done.filter((w) => w.status === 201).length >= 6, statuses);
      await assertAliveAndStop(assert, server);
    } finally {
      holder.kill();
      if (server.proc.exitCode === null && server.proc.signalCode === null) await server.stop();
    }
  });
});
