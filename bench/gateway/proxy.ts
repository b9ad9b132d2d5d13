// Proxy benchmark: wrk straight at a bare node:http upstream, then at plugway proxying to it (a
// remote plugin, 0 middleware, request log on) and at Fastify + @fastify/http-proxy, each printed
// as a ratio to the bare upstream of the same round (median over BENCH_ROUNDS interleaved rounds).
// Every process is unpinned: the upstream, the proxy and wrk share the machine's CPUs as they
// would on one host. Prints a table; writes bench/results/gateway-proxy.json.
// Target (issue 17): plugway >= 0.40 of the upstream, ahead of @fastify/http-proxy.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SOURCE = process.env.BENCH_SOURCE === 'src' ? 'src' : 'dist';

interface Sample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  cpuUsPerReq?: number;
  upstreamCpuUsPerReq?: number;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, µs) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuUsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function ensureDist(): void {
  const marker = join(ROOT, 'dist', 'runtimes', 'remote', 'index.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  if (!existsSync(marker) || newest(join(ROOT, 'src')) > statSync(marker).mtimeMs) {
    console.error('bench: building dist/ (npm run build)…');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      console.error('bench: tsc reported type errors (files were still emitted)');
    }
  }
  if (!existsSync(marker)) throw new Error('dist/ could not be built');
}

async function start(scenario: string, upstream = ''): Promise<{ url: string; pid?: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/gateway/proxy-server.mjs'), scenario, upstream], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_SOURCE: SOURCE } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (c) => reject(new Error(`bench server ${scenario} exited ${c}`)));
  });
  return { url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

function ms(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(url: string, seconds: number): Sample {
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `${url}/item`], { encoding: 'utf8' });
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers during the run:\n${out}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99Ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const rows = [
  { name: 'bare upstream (node:http)', scenario: 'bare' },
  { name: 'plugway proxy, 0 middleware', scenario: 'plugway' },
  { name: 'fastify + @fastify/http-proxy', scenario: 'fastify-http-proxy' },
];

try {
  execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
} catch {
  throw new Error('bench/gateway/proxy.ts needs wrk (apt-get install -y wrk)');
}
if (SOURCE === 'dist') ensureDist();
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
console.log(`proxy benchmark (wrk -t1 -c${CONNECTIONS}, GET, ${DURATION_S} s × ${ROUNDS} rounds, loopback, ${SOURCE}/, unpinned, ${availableParallelism()} CPUs)`);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
console.log(`${pad('row', 34)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 8)}${pad('proxy CPU µs/req', 18)}${pad('upstream CPU µs/req', 21)}req/s per round`);
for (const r of results)
  console.log(
    `${pad(r.name, 34)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50Ms.toFixed(3), 9)}${pad(r.p99Ms.toFixed(3), 9)}${pad(r.ratio.toFixed(3), 8)}${pad(r.proxyCpuUsPerReq?.toFixed(1) ?? '-', 18)}${pad(r.upstreamCpuUsPerReq.toFixed(1), 21)}${r.rounds.map((x) => x.rps.toFixed(0)).join(' ')}`,
  );
const plugway = results[1]!.ratio;
const peer = results[2]!.ratio;
const targets = { plugway_ratio: { target: 0.4, got: plugway, met: plugway >= 0.4 }, ahead_of_fastify_http_proxy: { peer, met: plugway > peer } };
console.log("ratio: req/s against the bare upstream in the same round (median of rounds); CPU µs/req: each process's CPU time over the requests served (insensitive to other load)");
console.log('targets:', JSON.stringify(targets));
writeFileSync(
  join(ROOT, 'bench/results/gateway-proxy.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, source: SOURCE, connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, loadavg: { before: loadBefore, after: loadAfter }, results, targets }, null, 2)}\n`,
);
