// Gateway benchmark of what users run: `plugway serve` on dist/ over plugin folders (an async
// handleRequest with a rate limit; middleware with async onRequest + async onResponse), the request
// log on and written to a file, against bare Fastify (the baseline) and a Moleculer 0.14 +
// moleculer-web 0.10 peer built the same way, GET with wrk -t1 -c50. Each scenario runs unpinned
// and pinned (server on CPU 0, wrk on CPU 1); scenarios are interleaved over BENCH_ROUNDS rounds and
// each ratio is the median of per-round ratios to that round's bare Fastify in the same pinning.
// Prints a table; writes bench/results/gateway.json. BENCH_PIN=0|1 runs only unpinned|pinned.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { serveConfig, writePluginFolders } from './plugins.mjs';
import { type BenchServer, cpuUsOf, ensureDist, median, ROOT, round3, runWrk as wrkAt, startPlugwayServe, urlFrom, type WrkSample } from './measure.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

interface Sample extends WrkSample {
  cpuUsPerReq?: number;
}
interface Result extends Sample {
  name: string;
  scenario: string;
  pinned: boolean;
  ratio: number;
  cpuRatio?: number;
  rounds: Sample[];
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const CAN_PIN = availableParallelism() >= 2 && has('taskset');
const PINNINGS = (process.env.BENCH_PIN === '0' ? [false] : process.env.BENCH_PIN === '1' ? [true] : [false, true]).filter((p) => !p || CAN_PIN);
const pinned = (pin: boolean, cpu: number, cmd: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

const work = mkdtempSync(join(tmpdir(), 'plugway-bench-gw-'));
const folders = new Map<number, { config: string; log: string }>();
async function pluginFolders(mw: number): Promise<{ config: string; log: string }> {
  let f = folders.get(mw);
  if (f) return f;
  const root = join(work, `plugins-${mw}`);
  await writePluginFolders(root, mw);
  const config = join(work, `plugway-${mw}.yaml`);
  writeFileSync(config, serveConfig(root, join(work, `state-${mw}`)));
  folders.set(mw, (f = { config, log: join(work, `requests-${mw}.log`) }));
  return f;
}

async function startServer(scenario: string, pin: boolean): Promise<BenchServer> {
  const [kind, n] = scenario.split(':');
  if (kind === 'plugway') {
    // `plugway serve` as installed: dist/, its stdout (banner + one JSON line per request) to a file.
    const { config, log } = await pluginFolders(Number(n));
    return startPlugwayServe(config, log, (cmd, args) => pinned(pin, 0, cmd, args));
  }
  const floor = kind === 'floor' || kind === 'floorh';
  const extra = floor ? [join(work, `plugins-${n}`)] : [];
  if (floor) await pluginFolders(Number(n));
  const [cmd, args] = pinned(pin, 0, process.execPath, [join(ROOT, 'bench/gateway/server.mjs'), scenario, ...extra]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const url = await urlFrom(child, () => out, scenario);
  return { url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

function runWrk(url: string, seconds: number, pin: boolean): Sample {
  return wrkAt(`${url}/echo`, seconds, CONNECTIONS, (cmd, args) => pinned(pin, 1, cmd, args));
}

const allScenarios: Array<{ name: string; scenario: string }> = [
  { name: 'bare fastify', scenario: 'bare' },
  { name: 'plugway serve, 0 mw + rate limit', scenario: 'plugway:0' },
  { name: 'plugway serve, 5 mw + rate limit', scenario: 'plugway:5' },
  { name: 'moleculer, 0 mw + rate limit', scenario: 'moleculer:0' },
  { name: 'moleculer, 5 mw + rate limit', scenario: 'moleculer:5' },
  // Informational: sync onRequest-only middleware registered in code (earlier benchmarks' shape).
  { name: '  (sync, in code) 0 mw + rate limit', scenario: 'code:0' },
  { name: '  (sync, in code) 5 mw + rate limit', scenario: 'code:5' },
  // Informational: the same plugin folders' code on bare node:http with no gateway (the floor).
  { name: '  (floor: plugins on node:http) 0 mw', scenario: 'floor:0' },
  { name: '  (floor: plugins on node:http) 5 mw', scenario: 'floor:5' },
  // …as a gateway can serve them at best: each onResponse handed the response as plugway hands it
  // (cheaper plugin spreads under V8 11), the answers written together once per turn (write-batch.ts)
  { name: '  (floor, as plugway writes) 0 mw', scenario: 'floorh:0' },
  { name: '  (floor, as plugway writes) 5 mw', scenario: 'floorh:5' },
];
// BENCH_ONLY=plugway:0,moleculer:0 runs those (bare Fastify always runs: it is the baseline).
const scenarios = allScenarios.filter((s, i) => i === 0 || !ONLY || ONLY.includes(s.scenario));

if (!has('wrk')) throw new Error('bench/gateway needs wrk (apt-get install wrk)');
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
ensureDist('cli/index.js');
const loadBefore = loadavg().map(round3);
const samples = new Map<string, Sample[]>();
const key = (sc: string, pin: boolean) => `${sc}|${pin}`;
for (let round = 0; round < ROUNDS; round++) {
  for (const pin of PINNINGS) {
    for (const s of scenarios) {
      const server = await startServer(s.scenario, pin);
      try {
        runWrk(server.url, 1, pin); // warm-up (JIT, connections)
        const cpu0 = cpuUsOf(server.pid);
        const sample = runWrk(server.url, DURATION_S, pin);
        const cpu1 = cpuUsOf(server.pid);
        // Server CPU per request: what throughput would be on a machine of its own.
        if (cpu0 !== undefined && cpu1 !== undefined && sample.requests > 0) sample.cpuUsPerReq = Math.round(((cpu1 - cpu0) / sample.requests) * 100) / 100;
        const list = samples.get(key(s.scenario, pin)) ?? [];
        list.push(sample);
        samples.set(key(s.scenario, pin), list);
      } finally {
        server.stop();
      }
    }
  }
}
const loadAfter = loadavg().map(round3);
const results: Result[] = PINNINGS.flatMap((pin) =>
  scenarios.map((s) => {
    const rs = samples.get(key(s.scenario, pin))!;
    const base = samples.get(key('bare', pin))!;
    return {
      name: s.name,
      scenario: s.scenario,
      pinned: pin,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      ratio: round3(median(rs.map((r, k) => r.rps / base[k]!.rps))),
      requests: rs.reduce((a, r) => a + r.requests, 0),
      ...(rs.every((r, k) => r.cpuUsPerReq && base[k]!.cpuUsPerReq)
        ? { cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq!)), cpuRatio: round3(median(rs.map((r, k) => base[k]!.cpuUsPerReq! / r.cpuUsPerReq!))) }
        : {}),
      rounds: rs,
    };
  }),
);
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`gateway benchmark (wrk -t1 -c${CONNECTIONS}, GET, ${DURATION_S} s × ${ROUNDS} rounds, loopback, dist/, request log to a file)`);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (${availableParallelism()} CPUs; shared machine)`);
console.log(`${pad('scenario', 38)}${pad('pinned', 8)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 8)}${pad('CPU µs/req', 12)}${pad('CPU ratio', 11)}req/s per round`);
for (const r of results) {
  console.log(
    `${pad(r.name, 38)}${pad(r.pinned ? 'yes' : 'no', 8)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50Ms.toFixed(3), 9)}${pad(r.p99Ms.toFixed(3), 9)}${pad(r.ratio.toFixed(3), 8)}${pad(r.cpuUsPerReq?.toFixed(1) ?? '-', 12)}${pad(r.cpuRatio?.toFixed(3) ?? '-', 11)}${r.rounds.map((x) => x.rps.toFixed(0)).join(' ')}`,
  );
}
console.log('ratio: req/s against bare Fastify in the same round and pinning (median of rounds); CPU ratio: server CPU per request, bare / this');
const row = (sc: string, pin: boolean) => results.find((r) => r.scenario === sc && r.pinned === pin);
/** One target row: what plugway got beside its peer and its floors, in one pinning. */
const target = (target: number, mw: number, pin: boolean) => ({
  target,
  got: row(`plugway:${mw}`, pin)?.ratio,
  moleculer: row(`moleculer:${mw}`, pin)?.ratio,
  floor: row(`floor:${mw}`, pin)?.ratio,
  floor_as_plugway_writes: row(`floorh:${mw}`, pin)?.ratio,
});
const targets = Object.fromEntries(PINNINGS.map((pin) => [pin ? 'pinned' : 'unpinned', { ratio_0_mw_rate_limit: target(0.85, 0, pin), ratio_5_mw_rate_limit: target(0.7, 5, pin) }]));
console.log('targets:', JSON.stringify(targets));
writeFileSync(
  join(ROOT, 'bench/results/gateway.json'),
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, loadavg: { before: loadBefore, after: loadAfter }, results, targets },
    null,
    2,
  ) + '\n',
);
