// Domain events across `plugway serve` nodes through a real NATS (JetStream) started by the test:
// at most once to every other node; a durable subscription gets what it missed while its node was
// down; while NATS is away requests are unaffected and events wait in a bounded buffer (dropped
// and counted past it), then flow again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http, tmpDir } from '../gateway/helpers.js';
import { createNatsServer, NATS_BIN, type NatsServer } from './nats-server.js';
import { startServeNode, until, type ServeNode } from './serve-node.js';

const skip = binarySkip(NATS_BIN, 'nats-server');
const TOKEN = 'cluster-events-token-0123456789abcdef';
let nats: NatsServer;
const nodes: ServeNode[] = [];

before(async () => {
  if (skip) return;
  nats = await createNatsServer();
  await nats.start();
});
after(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  if (nats) await nats.destroy();
});

// emitter: POST /emit/{n} publishes n track.played events. counter: counts what handleEvent saw
// (at most once). ledger: the same, subscribed durably.
const PLUGINS: Record<string, { yaml: string; code: string }> = {
  emitter: {
    yaml: 'endpoints: [{ path: "/emit/{n}", method: POST }]\n',
    code: `export default { async handleRequest(req, ctx) { const n = Number(req.params.n); for (let i = 0; i < n; i++) await ctx.events.emit('track.played', { seq: (req.query.from ? Number(req.query.from) : 0) + i }); return { statusCode: 200, body: { emitted: n } }; } };\n`,
  },
  counter: {
    yaml: 'endpoints: [{ path: /counter, method: GET }]\nevents: { subscribe: [track.played] }\n',
    code: `const seen = []; export default { async handleEvent(e) { if (e.type === 'track.played') seen.push(e.data.seq); }, async handleRequest() { return { statusCode: 200, body: { seen } }; } };\n`,
  },
  ledger: {
    yaml: 'endpoints: [{ path: /ledger, method: GET }]\nevents: { subscribe: [{ type: track.played, durable: true }] }\n',
    code: `const seen = []; export default { async handleEvent(e) { seen.push(e.data.seq); }, async handleRequest() { return { statusCode: 200, body: { seen } }; } };\n`,
  },
};

async function pluginsDir(): Promise<string> {
  const dir = await tmpDir('events-plugins');
  for (const [id, p] of Object.entries(PLUGINS)) {
    await mkdir(join(dir, id));
    await writeFile(join(dir, id, 'plugin.yaml'), `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\n${p.yaml}`);
    await writeFile(join(dir, id, 'index.mjs'), p.code);
  }
  return dir;
}

const seen = async (n: ServeNode, id: string): Promise<number[]> => (await http(`${n.url}/${id}`)).json.seen;
const emit = (n: ServeNode, count: number, from = 0) => http(`${n.url}/emit/${count}?from=${from}`, { method: 'POST' });

test('events cross nodes; a durable subscriber gets what it missed; NATS down never fails a request', { skip }, async () => {
  const dir = await pluginsDir();
  const env = { PLUGWAY_NATS_SERVERS: nats.url };
  const stateB = await tmpDir('events-b');
  const a = await startServeNode({ token: TOKEN, nodeId: 'ev-a', args: ['--plugins', dir], env });
  nodes.push(a);
  let b = await startServeNode({ token: TOKEN, nodeId: 'ev-b', args: ['--plugins', dir], env, stateDir: stateB });
  nodes.push(b);
  // Both subscribed before the first event: wait until an event from a reaches b.
  await until(async () => (await emit(a, 1, 1000)).status === 200 && (await seen(b, 'counter')).includes(1000), 10_000, 'a first event from a reaching b');

  assert.equal((await emit(a, 5, 0)).status, 200);
  await until(async () => (await seen(b, 'counter')).filter((s) => s < 5).length === 5, 5000, 'five events at b (at most once)');
  await until(async () => (await seen(b, 'ledger')).filter((s) => s < 5).length === 5, 5000, 'five events at b (durable)');
  assert.deepEqual(
    (await seen(a, 'counter')).filter((s) => s < 5),
    [0, 1, 2, 3, 4],
    'the emitting node delivers to its own plugins once, not again from NATS',
  );
  assert.deepEqual(
    (await seen(a, 'ledger')).filter((s) => s < 5),
    [0, 1, 2, 3, 4],
  );

  // b goes down; a emits 3 more; b comes back with the same node id: its durable ledger gets them.
  await b.stop('SIGTERM');
  assert.equal((await emit(a, 3, 10)).status, 200);
  b = await startServeNode({ token: TOKEN, nodeId: 'ev-b', args: ['--plugins', dir], env, stateDir: stateB });
  nodes.push(b);
  await until(async () => (await seen(b, 'ledger')).filter((s) => s >= 10 && s < 20).length === 3, 10_000, 'the 3 missed events at the restarted b (durable)');
  assert.deepEqual(
    (await seen(b, 'counter')).filter((s) => s >= 10 && s < 20),
    [],
    'at most once: the non-durable counter missed them',
  );

  // NATS goes away: requests are answered as before; the events wait and flow when it is back.
  await nats.stop();
  const t0 = Date.now();
  const r = await emit(a, 4, 20);
  assert.equal(r.status, 200, 'a request that emits events does not fail while NATS is down');
  assert.ok(Date.now() - t0 < 2000, 'nor does it wait on NATS');
  await nats.start();
  await until(async () => (await seen(b, 'ledger')).filter((s) => s >= 20 && s < 30).length === 4, 15_000, 'the 4 events buffered at a reaching b after NATS came back');
  const metrics = (await http(`${a.url}/metrics`)).text;
  assert.match(metrics, /plugway_cluster_events_sent_total \d+/);
});

test('past the buffer bound, events are dropped and counted', { skip }, async () => {
  const dir = await pluginsDir();
  const down = await createNatsServer(); // never started: NATS is away from the start
  const cfgDir = await tmpDir('events-cfg');
  await writeFile(join(cfgDir, 'plugway.yaml'), `cluster: { nats: { servers: [${JSON.stringify(down.url)}], buffer: 2 } }\nplugins: { directories: [${JSON.stringify(dir)}] }\n`);
  const m = await startServeNode({ token: TOKEN, nodeId: 'ev-solo', args: ['--config', join(cfgDir, 'plugway.yaml')] });
  nodes.push(m);
  assert.equal((await emit(m, 5)).status, 200);
  const metrics = (await http(`${m.url}/metrics`)).text;
  assert.match(metrics, /plugway_cluster_events_dropped_total\{reason="buffer_full"\} 3/);
  await down.destroy();
});
