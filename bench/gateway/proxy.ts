// Proxy benchmark: wrk straight at a bare node:http upstream, then at plugway proxying to it as
// users run it (`plugway serve` on dist/ over a plugin folder whose plugin.yaml says `runtime:
// { type: remote, upstreams: [...] }`, 0 middleware, the request log on and written to a file) and
// at Fastify + @fastify/http-proxy, each printed as a ratio to the bare upstream of the same round
// (median over BENCH_ROUNDS interleaved rounds). Two informational rows: the gateway built in
// code (host.registerBuiltin, log to /dev/null; the shape earlier runs measured) and the floor, a
// bare undici Pool.dispatch forwarder on node:http with no gateway at all.
// Every process is unpinned: the upstream, the proxy and wrk share the machine's CPUs as they
// would on one host. Prints a table; writes bench/results/gateway-proxy.json.
// Target (issue 17): plugway >= 0.40 of the upstream, ahead of @fastify/http-proxy.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchServer, cpuUsOf, ensureDist, median, ROOT, round3, runWrk, startPlugwayServe, urlFrom, type WrkSample } from './measure.js';
// @ts-expect-error plain ESM helper without types
import { serveConfig, writeRemotePluginFolder } from './plugins.mjs';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SOURCE = process.env.BENCH_SOURCE === 'src' ? 'src' : 'dist';

interface Sample extends WrkSample {
  cpuUsPerReq?: number;
  upstreamCpuUsPerReq?: number;
}

const work = mkdtempSync(join(tmpdir(), 'plugway-bench-proxy-'));

async function start(scenario: string, upstream = ''): Promise<BenchServer> {
  if (scenario === 'plugway') {
    // A fresh plugin folder and state per round: the upstream's port changes every round.
    const dir = mkdtempSync(join(work, 'round-'));
    await writeRemotePluginFolder(join(dir, 'plugins'), upstream);
    writeFileSync(join(dir, 'plugway.yaml'), serveConfig(join(dir, 'plugins'), join(dir, 'state')));
    return startPlugwayServe(join(dir, 'plugway.yaml'), join(dir, 'requests.log'));
  }
  const child = spawn(process.execPath, [join(ROOT, 'bench/gateway/proxy-server.mjs'), scenario, upstream], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_SOURCE: SOURCE } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const url = await urlFrom(child, () => out, scenario);
  return { url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

function wrk(url: string, seconds: number): Sample {
  return runWrk(`${url}/item`, seconds, CONNECTIONS);
}

const r3 = round3;

const allRows = [
  { name: 'bare upstream (node:http)', scenario: 'bare' },
  { name: 'plugway serve, remote, 0 mw', scenario: 'plugway' },
  { name: 'fastify + @fastify/http-proxy', scenario: 'fastify-http-proxy' },
  // Informational rows.
  { name: '  (plugway built in code)', scenario: 'plugway-in-code' },
  { name: '  (floor: undici dispatch)', scenario: 'floor' },
];
// BENCH_ONLY=plugway,floor runs those (the bare upstream always runs: it is the baseline).
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const rows = allRows.filter((r, i) => i === 0 || !ONLY || ONLY.includes(r.scenario));

try {
  execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
} catch {
  throw new Error('bench/gateway/proxy.ts needs wrk (apt-get install -y wrk)');
}
ensureDist('cli/index.js'); // plugway serve runs dist/ whatever BENCH_SOURCE says
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const loadBefore = loadavg().map(r3);
const samples: Sample[][] = rows.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  const upstream = await start('upstream');
  try {
    for (const [i, row] of rows.entries()) {
      const server = row.scenario === 'bare' ? undefined : await start(row.scenario, upstream.url);
      try {
        const url = server?.url ?? upstream.url;
        wrk(url, 2); // warm-up: JIT, pools, connections
        const cpu0 = cpuUsOf(server?.pid);
        const up0 = cpuUsOf(upstream.pid);
        const sample = wrk(url, DURATION_S);
        const cpu1 = cpuUsOf(server?.pid);
        const up1 = cpuUsOf(upstream.pid);
        // CPU per request: what each process costs, whatever else loads the machine
        if (up0 !== undefined && up1 !== undefined) sample.upstreamCpuUsPerReq = Math.round(((up1 - up0) / sample.requests) * 10) / 10;
        if (cpu0 !== undefined && cpu1 !== undefined) sample.cpuUsPerReq = Math.round(((cpu1 - cpu0) / sample.requests) * 10) / 10;
        samples[i]!.push(sample);
      } finally {
        server?.stop();
      }
    }
  } finally {
    upstream.stop();
  }
}
const loadAfter = loadavg().map(r3);
const results = rows.map((row, i) => ({
  name: row.name,
  scenario: row.scenario,
  rps: median(samples[i]!.map((s) => s.rps)),
  p50Ms: median(samples[i]!.map((s) => s.p50Ms)),
  p99Ms: median(samples[i]!.map((s) => s.p99Ms)),
  ratio: r3(median(samples[i]!.map((s, k) => s.rps / samples[0]![k]!.rps))),
  proxyCpuUsPerReq: samples[i]!.every((s) => s.cpuUsPerReq !== undefined) ? median(samples[i]!.map((s) => s.cpuUsPerReq!)) : undefined,
  upstreamCpuUsPerReq: median(samples[i]!.map((s) => s.upstreamCpuUsPerReq ?? NaN)),
  rounds: samples[i]!,
}));
const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `proxy benchmark (wrk -t1 -c${CONNECTIONS}, GET, ${DURATION_S} s × ${ROUNDS} rounds, loopback, plugway serve on dist/, in-code row on ${SOURCE}/, unpinned, ${availableParallelism()} CPUs)`,
);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
console.log(`${pad('row', 34)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 8)}${pad('proxy CPU µs/req', 18)}${pad('upstream CPU µs/req', 21)}req/s per round`);
for (const r of results)
  console.log(
    `${pad(r.name, 34)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50Ms.toFixed(3), 9)}${pad(r.p99Ms.toFixed(3), 9)}${pad(r.ratio.toFixed(3), 8)}${pad(r.proxyCpuUsPerReq?.toFixed(1) ?? '-', 18)}${pad(r.upstreamCpuUsPerReq.toFixed(1), 21)}${r.rounds.map((x) => x.rps.toFixed(0)).join(' ')}`,
  );
const row = (sc: string) => results.find((r) => r.scenario === sc);
const plugway = row('plugway')?.ratio;
const peer = row('fastify-http-proxy')?.ratio;
const targets = {
  plugway_ratio: { target: 0.4, got: plugway, met: plugway !== undefined && plugway >= 0.4, floor: row('floor')?.ratio },
  ahead_of_fastify_http_proxy: { peer, met: plugway !== undefined && peer !== undefined && plugway > peer },
};
console.log("ratio: req/s against the bare upstream in the same round (median of rounds); CPU µs/req: each process's CPU time over the requests served (insensitive to other load)");
console.log('targets:', JSON.stringify(targets));
writeFileSync(
  join(ROOT, 'bench/results/gateway-proxy.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, source: SOURCE, connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, loadavg: { before: loadBefore, after: loadAfter }, results, targets }, null, 2)}\n`,
);
rmSync(work, { recursive: true, force: true });
