// Cluster benchmark: three `plugway serve` nodes (dist/, as installed) on a real etcd and NATS started
// here. (1) Time from `deploy` answering to every node serving the new version, beside a local reload
// on one node measured in the same run. (2) Event fan-out across nodes: events/s and p99 latency from
// ctx.events.emit on one node to handleEvent on the two others, beside a plain NATS publish→subscribe
// round trip measured in the same run. Table + bench/results/cluster.json.
// Run: npm run build && npm run bench:cluster   (BENCH_EVENTS=2000 to change the event count)

import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { AdminClient } from '../../src/toolkit/admin-client.js';
import { packPlugin } from '../../src/toolkit/pack.js';
import { createEtcdServer } from '../../test/cluster/etcd-server.js';
import { createNatsServer } from '../../test/cluster/nats-server.js';
import { startServeNode, until, type ServeNode } from '../../test/cluster/serve-node.js';
import { tmpDir } from '../../test/gateway/helpers.js';

const TOKEN = 'bench-cluster-token-0123456789abcdef';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function greeter(dir: string, version: string): Promise<string> {
  const d = join(dir, 'greeter');
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'plugin.yaml'), `id: greeter\nversion: ${version}\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: /greet, method: GET }]\n`);
  await writeFile(join(d, 'index.mjs'), `export default { async handleRequest() { return { statusCode: 200, body: { version: '${version}' } }; } };\n`);
  return d;
}

const EVENT_PLUGINS = {
  emitter: `export default { async handleRequest(req, ctx) { const n = Number(req.params.n); for (let i = 0; i < n; i++) await ctx.events.emit('bench.tick', { t: performance.timeOrigin + performance.now() }); return { statusCode: 200, body: { n } }; } };\n`,
  sink: `const lat = []; export default { async handleEvent(e) { if (e.type === 'bench.tick') lat.push(performance.timeOrigin + performance.now() - e.data.t); }, async handleRequest(req) { if (req.method === 'DELETE') { lat.length = 0; return { statusCode: 204 }; } return { statusCode: 200, body: { lat } }; } };\n`,
};

async function main(): Promise<void> {
  const etcd = await createEtcdServer();
  const nats = await createNatsServer();
  await Promise.all([etcd.start(), nats.start()]);
  const nodes: ServeNode[] = [];
  const rows: Array<{ name: string; value: number; unit: string; baseline?: string }> = [];
  try {
    const prefix = `/bench-${process.pid}`;
    const dirs: string[] = [];
    for (const id of ['a', 'b', 'c']) {
      const dir = await tmpDir(`bench-${id}`);
      await greeter(dir, '1.0.0');
      for (const [pid, code] of Object.entries(EVENT_PLUGINS)) {
        await mkdir(join(dir, pid));
        await writeFile(
          join(dir, pid, 'plugin.yaml'),
          `id: ${pid}\nversion: 1.0.0\nkind: handler\nruntime: { type: inprocess, entry: index.mjs }\nendpoints: [{ path: ${pid === 'emitter' ? '"/emit/{n}"' : '/sink'}, method: ${pid === 'emitter' ? 'POST' : 'GET'} }${pid === 'sink' ? ', { path: /sink, method: DELETE }' : ''}]\n`,
        );
        await writeFile(join(dir, pid, 'index.mjs'), code);
      }
      dirs.push(dir);
      nodes.push(await startServeNode({ etcd: etcd.endpoint, prefix, token: TOKEN, nodeId: `bench-${id}`, args: ['--plugins', dir], env: { PLUGWAY_NATS_SERVERS: nats.url } }));
    }
    const [a, b, c] = nodes as [ServeNode, ServeNode, ServeNode];
    const served = async (n: ServeNode) => ((await (await fetch(`${n.url}/greet`)).json()) as { version: string }).version;

    // (1) deploy → every node serving, against a local reload on one node.
    const deployMs: number[] = [];
    const reloadMs: number[] = [];
    const client = new AdminClient({ url: a.url, token: TOKEN, timeoutMs: 60_000 });
    for (const [i, v] of ['1.1.0', '1.2.0', '1.3.0'].entries()) {
      const src = await greeter(await tmpDir('bench-src'), v);
      const pkg = (await packPlugin(src, { out: join(await tmpDir('bench-pkg'), `greeter-${v}.tgz`) })).file;
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(pkg);
      await client.deploy(bytes);
      const t0 = performance.now();
      await Promise.all([a, b, c].map((n) => until(async () => (await served(n)) === v, 30_000, `${n.url} serving ${v}`)));
      deployMs.push(performance.now() - t0);
      // baseline: a local reload of the same kind of change on node a's folder (a plain file swap + reload)
      const local = `${v}-local.${i}`;
      await greeter(dirs[0]!, local);
      const r0 = performance.now();
      await fetch(`${a.url}/admin/plugins/greeter/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      reloadMs.push(performance.now() - r0);
    }
    const deployMedian = pct(deployMs, 50);
    const reloadMedian = pct(reloadMs, 50);
    rows.push({
      name: 'deploy answered → all 3 nodes serving (median of 3)',
      value: deployMedian,
      unit: 'ms',
      baseline: `local reload on one node ${reloadMedian.toFixed(0)} ms (×${(deployMedian / reloadMedian).toFixed(1)})`,
    });

    // (2) events across nodes, against a plain NATS round trip.
    const nc1 = await connect({ servers: nats.url });
    const nc2 = await connect({ servers: nats.url });
    const rtt: number[] = [];
    const sub = nc2.subscribe('bench.rtt');
    await nc2.flush();
    const got = (async () => {
      for await (const m of sub) {
        rtt.push(performance.now() - Number(new TextDecoder().decode(m.data)));
        if (rtt.length >= EVENTS) break;
      }
    })();
    for (let i = 0; i < EVENTS; i++) nc1.publish('bench.rtt', new TextEncoder().encode(String(performance.now())));
    await nc1.flush();
    const tRaw = performance.now();
    await got;
    await nc1.close();
    await nc2.close();
    const rawP99 = pct(rtt, 99);
    void tRaw;

    for (const n of [b, c]) await fetch(`${n.url}/sink`, { method: 'DELETE' });
    // warm-up: both sinks subscribed
    await fetch(`${a.url}/emit/1`, { method: 'POST' });
    await Promise.all([b, c].map((n) => until(async () => ((await (await fetch(`${n.url}/sink`)).json()) as { lat: number[] }).lat.length >= 1, 10_000, 'warm-up event')));
    for (const n of [b, c]) await fetch(`${n.url}/sink`, { method: 'DELETE' });
    const t0 = performance.now();
    await fetch(`${a.url}/emit/${EVENTS}`, { method: 'POST' });
    const lat: number[] = [];
    for (const n of [b, c]) {
      const l = await until(
        async () => {
          const body = (await (await fetch(`${n.url}/sink`)).json()) as { lat: number[] };
          return body.lat.length >= EVENTS ? body.lat : undefined;
        },
        60_000,
        `${EVENTS} events at ${n.url}`,
      );
      lat.push(...l);
    }
    const secs = (performance.now() - t0) / 1000;
    rows.push({ name: `event fan-out: ${EVENTS} events from node a to nodes b and c`, value: (EVENTS * 2) / secs, unit: 'deliveries/s' });
    rows.push({
      name: 'event latency emit → handleEvent on another node, p99',
      value: pct(lat, 99),
      unit: 'ms',
      baseline: `plain NATS publish→subscribe p99 ${rawP99.toFixed(2)} ms (×${(pct(lat, 99) / rawP99).toFixed(1)})`,
    });
    rows.push({ name: 'event latency, p50', value: pct(lat, 50), unit: 'ms', baseline: `plain NATS p50 ${pct(rtt, 50).toFixed(2)} ms` });
  } finally {
    for (const n of nodes) await n.stop();
    await etcd.destroy();
    await nats.destroy();
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`plugway cluster benchmark (load average ${loadavg()[0]!.toFixed(1)})\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.value.toFixed(r.unit === 'ms' ? 2 : 0).padStart(9)} ${r.unit}${r.baseline ? `   vs ${r.baseline}` : ''}\n`);
  await mkdir(join(process.cwd(), 'bench', 'results'), { recursive: true });
  await writeFile(join(process.cwd(), 'bench', 'results', 'cluster.json'), `${JSON.stringify({ at: new Date().toISOString(), loadavg: loadavg(), rows }, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
