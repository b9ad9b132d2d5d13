// Gateway benchmark: bare Fastify vs the gateway serving an in-process echo plugin with 0, 1, 5
// and 10 middleware, and with 5 middleware + JWT auth + a rate limit. wrk when installed
// (microsecond latencies), else autocannon. Scenarios are interleaved over BENCH_ROUNDS rounds and
// each ratio is the median of per-round ratios to that round's bare Fastify (the machine is shared
// and noisy). With two or more CPUs and taskset, the server is pinned to CPU 0 and wrk (one thread)
// to CPU 1 (BENCH_PIN=0 turns that off). Prints a table; writes bench/results/gateway.json.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { SignJWT } from 'jose';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** dist (plain node on the build, what an installed plugway runs) or src (tsx, what `npm start` in a checkout runs). */
const SOURCE = process.env.BENCH_SOURCE === 'src' ? 'src' : 'dist';
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const BODY = JSON.stringify({ hello: 'world' });
const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';

interface Sample { rps: number; p50Ms: number; p99Ms: number; requests: number; cpuUsPerReq?: number }
interface Result extends Sample { name: string; tool: string; ratio: number; cpuRatio?: number; p99OverheadMs: number; rounds: Sample[] }

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PIN = process.env.BENCH_PIN !== '0' && availableParallelism() >= 2 && has('taskset');
const pinned = (cpu: number, cmd: string, args: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

/** Builds dist/ when any src/ file is newer than it. */
function ensureDist(): void {
  const marker = join(ROOT, 'dist', 'gateway', 'pipeline.js');
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

async function startServer(scenario: string): Promise<{ url: string; pid?: number; stop: () => void }> {
  const [cmd, args] = pinned(0, process.execPath, [join(ROOT, 'bench/gateway/server.mjs'), scenario]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_SECRET: SECRET, BENCH_SOURCE: SOURCE } });
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

function parseWrkMs(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function runWrk(url: string, headers: Record<string, string>, seconds: number): Sample {
  const lua = join(ROOT, 'bench/results/.gateway-post.lua');
  const hdrs = Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\n${hdrs}\n`);
  const [cmd, args] = pinned(1, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', lua, `${url}/echo`]);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = parseWrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = parseWrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers during the run:\n${out}`);
  return { rps, p50Ms: p50, p99Ms: p99, requests };
}

async function runAutocannon(url: string, headers: Record<string, string>, seconds: number): Promise<Sample> {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url: `${url}/echo`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: seconds });
  if (r.non2xx) throw new Error(`${r.non2xx} non-2xx answers during the run`);
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, requests: r.requests.total };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;

const token = await new SignJWT({ roles: ['user'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
const allScenarios: Array<{ name: string; scenario: string; headers?: Record<string, string> }> = [
  { name: 'bare fastify', scenario: 'bare' },
  { name: 'gateway, 0 middleware', scenario: 'mw:0' },
  { name: 'gateway, 1 middleware', scenario: 'mw:1' },
  { name: 'gateway, 5 middleware', scenario: 'mw:5' },
  { name: 'gateway, 10 middleware', scenario: 'mw:10' },
  { name: 'gateway, 5 mw + jwt + rate limit', scenario: 'mw:5:auth', headers: { authorization: `Bearer ${token}` } },
  // runtimes.async_context: false (no AsyncLocalStorage; escaped errors attributed by stack frame only).
  // Informational: the targets above are measured on the defaults.
  { name: '  same, async_context off', scenario: 'mw:5:auth:noctx', headers: { authorization: `Bearer ${token}` } },
  { name: 'gateway, 0 mw, async_context off', scenario: 'mw:0:noctx' },
];
// BENCH_ONLY=mw:0,mw:5:auth runs those (bare Fastify always runs: it is the baseline).
const scenarios = allScenarios.filter((s, i) => i === 0 || !ONLY || ONLY.includes(s.scenario));

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
if (SOURCE === 'dist') ensureDist();
const wrk = has('wrk');
const loadBefore = loadavg().map((l) => round3(l));
const samples: Sample[][] = scenarios.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, s] of scenarios.entries()) {
    const server = await startServer(s.scenario);
    try {
      const run = (secs: number) => (wrk ? Promise.resolve(runWrk(server.url, s.headers ?? {}, secs)) : runAutocannon(server.url, s.headers ?? {}, secs));
      await run(1); // warm-up (JIT, connections)
      const cpu0 = cpuUsOf(server.pid);
      const sample = await run(DURATION_S);
      const cpu1 = cpuUsOf(server.pid);
      // Server CPU per request: what throughput would be on a machine of its own (the load here is shared).
      if (cpu0 !== undefined && cpu1 !== undefined && sample.requests > 0) sample.cpuUsPerReq = Math.round(((cpu1 - cpu0) / sample.requests) * 100) / 100;
      samples[i]!.push(sample);
    } finally {
      server.stop();
    }
  }
}
const loadAfter = loadavg().map((l) => round3(l));
const results: Result[] = scenarios.map((s, i) => {
  const rs = samples[i]!;
  return {
    name: s.name,
    tool: wrk ? 'wrk' : 'autocannon',
    rps: median(rs.map((r) => r.rps)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    // Per round against that round's baseline, then the median: slow phases of a shared machine hit both.
    ratio: round3(median(rs.map((r, k) => r.rps / samples[0]![k]!.rps))),
    p99OverheadMs: round3(median(rs.map((r, k) => r.p99Ms - samples[0]![k]!.p99Ms))),
    requests: rs.reduce((a, r) => a + r.requests, 0),
    ...(rs.every((r, k) => r.cpuUsPerReq && samples[0]![k]!.cpuUsPerReq)
      ? { cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq!)), cpuRatio: round3(median(rs.map((r, k) => samples[0]![k]!.cpuUsPerReq! / r.cpuUsPerReq!))) }
      : {}),
    rounds: rs,
  };
});
const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `gateway benchmark (${wrk ? 'wrk -t1' : 'autocannon'}, ${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} rounds, loopback, ${SOURCE}/, ${PIN ? 'server on CPU 0, load generator on CPU 1' : 'not pinned'})`,
);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (${availableParallelism()} CPUs)`);
console.log(
  `${pad('scenario', 36)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 8)}${pad('p99 overhead ms', 17)}${pad('CPU µs/req', 12)}${pad('CPU ratio', 11)}req/s per round`,
);
for (const r of results) {
  console.log(
    `${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50Ms.toFixed(3), 9)}${pad(r.p99Ms.toFixed(3), 9)}${pad(r.ratio.toFixed(3), 8)}${pad(r.p99OverheadMs.toFixed(3), 17)}${pad(r.cpuUsPerReq?.toFixed(1) ?? '-', 12)}${pad(r.cpuRatio?.toFixed(3) ?? '-', 11)}${r.rounds.map((x) => x.rps.toFixed(0)).join(' ')}`,
  );
}
console.log('ratio: req/s against bare Fastify in the same round (median of rounds); CPU ratio: server CPU time per request, bare / this (insensitive to other load on the machine)');
const byScenario = (sc: string) => results.find((r, i) => scenarios[i]!.scenario === sc);
const targets = {
  ratio_0_middleware: { target: 0.9, got: byScenario('mw:0')?.ratio, cpuRatio: byScenario('mw:0')?.cpuRatio },
  ratio_5_middleware_auth_rate_limit: { target: 0.85, got: byScenario('mw:5:auth')?.ratio, cpuRatio: byScenario('mw:5:auth')?.cpuRatio },
  p99_overhead_ms_0_middleware: { target: 0.3, got: byScenario('mw:0')?.p99OverheadMs },
  informational_async_context_off: { ratio_0_middleware: byScenario('mw:0:noctx')?.ratio, ratio_5_middleware_auth_rate_limit: byScenario('mw:5:auth:noctx')?.ratio },
};
console.log('targets:', JSON.stringify(targets));
writeFileSync(
  join(ROOT, 'bench/results/gateway.json'),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, tool: wrk ? 'wrk' : 'autocannon', source: SOURCE, pinned: PIN, connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, loadavg: { before: loadBefore, after: loadAfter }, results, targets }, null, 2) + '\n',
);
