// Faults from the network side, on a database of the shared test cluster: a slowloris from one
// address while another measures its latency, and a flood of idle connections past the
// connection limit. Writes from the honest client go through the ledger.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import {
  sharedDb, bootstrap, Tally, call, until, sleep, scenario, assertLedger, assertTally,
  assertAliveAndStop, percentile, run, round,
} from './lib.mjs';

/** Established connections to `port` whose peer is `address`, as the kernel sees them. */
async function established(port, address) {
  const r = await run('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`]);
  // columns: Recv-Q Send-Q Local:Port Peer:Port
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 4 && c[3].startsWith(`${address}:`)).length;
}

/** `n` sequential GETs over one keep-alive connection from `localAddress`; resolves the latencies. */
async function measure(target, agent, localAddress, n, tally, p = '/v1/agencies') {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const r = tally.add(await call(target, 'GET', p, { agent, localAddress }));
    assert.equal(r.status, 200, `${p}: ${r.status} ${r.error || r.text}`);
    ms.push(r.ms);
  }
  return ms;
}

/**
 * A slowloris in a process of its own (so that it does not share the measuring client's event
 * loop): `slots` connections from `localAddress`, each sending a request head one byte a second
 * and never finishing it; a slot the server closes is reopened after 250 ms. The child reports
 * {opened, closedByServer, ages (ms each open socket has lived)} every 200 ms.
 */
const SLOWLORIS = `
const net = require('net');
const [port, localAddress, slots] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3])];
const st = { opened: 0, closedByServer: 0 };
const sockets = new Set();
function open() {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  s.openedAt = Date.now(); st.opened++; sockets.add(s);
  let drip;
  s.on('connect', () => { s.write('GET /v1/agencies HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: '); drip = setInterval(() => s.write('a'), 1000); });
  s.on('error', () => {});
  s.on('close', () => { clearInterval(drip); sockets.delete(s); st.closedByServer++; setTimeout(open, 250); });
}
for (let i = 0; i < slots; i++) open();
setInterval(() => {
  const ages = [...sockets].filter((s) => s.readyState === 'open').map((s) => Date.now() - s.openedAt);
  process.stdout.write(JSON.stringify({ ...st, ages }) + '\\n');
}, 200);
`;

function slowloris(port, localAddress, slots) {
  const child = spawn(process.execPath, ['-e', SLOWLORIS, String(port), localAddress, String(slots)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = Date.now();
  let last = { opened: 0, closedByServer: 0, ages: [] }, buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    if (lines.length) last = JSON.parse(lines.at(-1));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    get state() { return last; },
    /** Sockets that have stayed open for at least `ms` (as of the child's last report). */
    held(ms) { return last.ages.filter((a) => a >= ms).length; },
    since() { return Date.now() - started; },
    async stop() { child.kill('SIGKILL'); await exited; },
  };
}

describe('network faults', () => {
  scenario('slowloris from one address, latency measured from another', async (t, rec) => {
    const LIMIT = 8, SAMPLES = 300;
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, { TRACKER_PER_IP_CONNECTIONS: String(LIMIT), TRACKER_BIND: '127.0.0.1' });
    const tally = new Tally();
    const ledger = rec.newLedger('slowloris', url, tally);
    const honest = { localAddress: '127.0.0.2' };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let attack;
    try {
      await measure(target, agent, honest.localAddress, 50, tally); // warm-up
      // This machine is shared: a neighbour's burst can move a p99 of a few ms by more than 20 %
      // on its own. So a round (baseline, then the same under attack) is repeated, up to 3
      // times, until one meets the bound; every round's figures are reported. An attack that
      // really slowed the service would fail every round.
      const rounds = [];
      let met = false;
      for (let round_ = 1; round_ <= 3; round_++) {
        const baseline = await measure(target, agent, honest.localAddress, SAMPLES, tally);
        assert.ok((await ledger.write(target, token, recs[0], { callOpts: honest })).acked);
        attack = slowloris(target.port, '127.0.0.1', 16);
        await sleep(3000);
        const held = attack.held(2000);
        const kernelView = await established(target.port, '127.0.0.1');
        const underAttack = await measure(target, agent, honest.localAddress, SAMPLES, tally);
        for (let i = 1; i <= 3; i++) assert.ok((await ledger.write(target, token, recs[i], { callOpts: honest })).acked);
        const heldLater = attack.held(attack.since() - 800);
        const base99 = percentile(baseline, 99), attack99 = percentile(underAttack, 99);
        const r = {
          attacker_held: held, attacker_held_at_end: heldLater, server_side_connections_from_attacker: kernelView,
          attacker_closed_by_server: attack.state.closedByServer,
          p50_ms: [round(percentile(baseline, 50)), round(percentile(underAttack, 50))],
          p99_ms: [round(base99), round(attack99)], p99_ratio: Math.round(attack99 / base99 * 100) / 100,
        };
        rounds.push(r);
        rec.figures = { per_ip_limit: LIMIT, attacker_slots: 16, samples: SAMPLES, rounds };
        assert.ok(held <= LIMIT, `${held} attacker connections held open past the per-IP limit ${LIMIT}`);
        assert.ok(held >= LIMIT - 1, `the attacker held only ${held} connections: the test did not attack`);
        assert.ok(kernelView <= LIMIT, `${kernelView} established connections from the attacker`);
        assert.ok(heldLater <= LIMIT && heldLater >= LIMIT - 1, `${heldLater} attacker connections held through the measurement`);
        assert.ok(attack.state.closedByServer >= 8, 'the excess attacker connections were not closed');
        await attack.stop();
        attack = null;
        met = attack99 <= base99 * 1.2;
        if (met) break;
        await sleep(300);
      }
      assert.ok(met, `p99 under attack vs baseline, every round: ${JSON.stringify(rounds.map((r) => r.p99_ms))}`);
      assertTally(assert, tally);
      assertLedger(assert, rec.verify(ledger), { minAcked: 4 });
      await assertAliveAndStop(assert, server);
    } finally {
      if (attack) await attack.stop();
      agent.destroy();
      if (server.proc.exitCode === null) await server.stop('SIGKILL');
    }
  });

  scenario('connection flood past the connection limit', async (t, rec) => {
    const MAX = 50, FLOOD = 200, IDLE_S = 2;
    const url = sharedDb();
    const { server, token, recs, target } = await bootstrap(url, {
      TRACKER_MAX_CONNECTIONS: String(MAX), TRACKER_IDLE_TIMEOUT_S: String(IDLE_S),
    });
    const tally = new Tally();
    const ledger = rec.newLedger('flood', url, tally);
    const sockets = [];
    try {
      assert.equal((await call(target, 'GET', '/v1/agencies')).status, 200);
      const floodStart = Date.now();
      await Promise.all(Array.from({ length: FLOOD }, () => new Promise((resolve) => {
        const s = net.connect(target.port, '127.0.0.1');
        const info = { s, connectedAt: 0, closedAt: 0 };
        sockets.push(info);
        s.on('connect', () => { info.connectedAt = Date.now(); resolve(); });
        s.on('error', () => {});
        s.on('close', () => { info.closedAt = Date.now(); resolve(); });
      })));
      const floodEnd = Date.now();
      // a write and a read from an honest client, retried until the service is back
      const write = ledger.write(target, token, recs[0]);
      const during = tally.add(await call(target, 'GET', '/v1/agencies'));
      await sleep(500);
      const closedAtOnce = sockets.filter((i) => i.closedAt && i.closedAt - (i.connectedAt || floodStart) < 500).length;
      const held = sockets.filter((i) => !i.closedAt).length;
      const back = await until(async () => tally.add(await call(target, 'GET', '/v1/agencies')).status === 200, 10000, 100);
      const recoveryMs = Date.now() - floodEnd;
      const w = await write;
      const allClosed = await until(() => sockets.every((i) => i.closedAt), 3000, 50);
      const closedLast = Math.max(...sockets.map((i) => i.closedAt || Date.now())) - floodEnd;
      const after = await Promise.all(Array.from({ length: 20 }, () => call(target, 'GET', '/v1/agencies')));
      rec.figures = {
        max_connections: MAX, flood: FLOOD, idle_timeout_s: IDLE_S, flood_open_ms: floodEnd - floodStart,
        closed_at_once: closedAtOnce, held_by_server: held, request_during_flood: during.status || during.error,
        recovery_ms_after_flood: recoveryMs, idle_ones_closed_after_ms: closedLast,
        write_attempts: w.history.length, after_flood_20_parallel: after.filter((r) => r.status === 200).length,
      };
      assert.ok(held <= MAX, `${held} flood connections held, limit ${MAX}`);
      assert.ok(closedAtOnce >= FLOOD - MAX - 2, `only ${closedAtOnce} excess connections closed at once`);
      assert.ok(back, 'service did not come back');
      assert.ok(recoveryMs <= IDLE_S * 1000 + 1000, `normal service ${recoveryMs} ms after the flood`);
      assert.ok(allClosed, 'flood connections still open past the idle timeout');
      assert.ok(w.acked);
      assert.equal(after.filter((r) => r.status === 200).length, 20);
      assertTally(assert, tally);
      assertLedger(assert, rec.verify(ledger));
      await assertAliveAndStop(assert, server);
    } finally {
      for (const i of sockets) i.s.destroy();
      if (server.proc.exitCode === null) await server.stop('SIGKILL');
    }
  });
});
