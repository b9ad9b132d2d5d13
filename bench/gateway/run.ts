// Gateway benchmark: bare Fastify vs the gateway serving an in-process echo plugin with 0, 1, 5
// and 10 middleware, and with 5 middleware + JWT auth + a rate limit. wrk when installed
// (microsecond latencies), else autocannon. Prints a table; writes bench/results/gateway.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { BENCH_SECRET } from './server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BODY = JSON.stringify({ hello: 'world' });

interface Result { name: string; rps: number; p50Ms: number; p99Ms: number; tool: string; ratio?: number; p99OverheadMs?: number }

function hasWrk(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startServer(scenario: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/gateway/server.ts'), scenario], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (c) => reject(new Error(`bench server ${scenario} exited ${c}`)));
  });
  return { url, stop: () => child.kill('SIGKILL') };
}

function parseWrkMs(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function runWrk(url: string, headers: Record<string, string>, seconds: number): Omit<Result, 'name'> {
  const lua = join(ROOT, 'bench/results/.gateway-post.lua');
  const hdrs = Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\n${hdrs}\n`);
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', lua, `${url}/echo`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = parseWrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = parseWrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers during the run:\n${out}`);
  return { rps, p50Ms: p50, p99Ms: p99, tool: 'wrk' };
}

async function runAutocannon(url: string, headers: Record<string, string>, seconds: number): Promise<Omit<Result, 'name'>> {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url: `${url}/echo`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: seconds });
  if (r.non2xx) throw new Error(`${r.non2xx} non-2xx answers during the run`);
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, tool: 'autocannon' };
}

const token = await new SignJWT({ roles: ['user'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setExpirationTime('1h').sign(new TextEncoder().encode(BENCH_SECRET));
const scenarios: Array<{ name: string; scenario: string; headers?: Record<string, string> }> = [
  { name: 'bare fastify', scenario: 'bare' },
  { name: 'gateway, 0 middleware', scenario: 'mw:0' },
  { name: 'gateway, 1 middleware', scenario: 'mw:1' },
  { name: 'gateway, 5 middleware', scenario: 'mw:5' },
  { name: 'gateway, 10 middleware', scenario: 'mw:10' },
  { name: 'gateway, 5 mw + jwt + rate limit', scenario: 'mw:5:auth', headers: { authorization: `Bearer ${token}` } },
];

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const wrk = hasWrk();
const results: Result[] = [];
for (const s of scenarios) {
  const server = await startServer(s.scenario);
  try {
    const run = (secs: number) => (wrk ? Promise.resolve(runWrk(server.url, s.headers ?? {}, secs)) : runAutocannon(server.url, s.headers ?? {}, secs));
    await run(1); // warm-up (JIT, connections)
    results.push({ name: s.name, ...(await run(DURATION_S)) });
  } finally {
    server.stop();
  }
}
const base = results[0]!;
for (const r of results) {
  r.ratio = Math.round((r.rps / base.rps) * 1000) / 1000;
  r.p99OverheadMs = Math.round((r.p99Ms - base.p99Ms) * 1000) / 1000;
}
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`gateway benchmark (${wrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${DURATION_S} s each, loopback)`);
console.log(`${pad('scenario', 36)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 8)}p99 overhead ms`);
for (const r of results) console.log(`${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50Ms.toFixed(3), 9)}${pad(r.p99Ms.toFixed(3), 9)}${pad(r.ratio!.toFixed(3), 8)}${r.p99OverheadMs!.toFixed(3)}`);
const targets = {
  ratio_0_middleware: { target: 0.9, got: results[1]!.ratio },
  ratio_5_middleware_auth_rate_limit: { target: 0.85, got: results[5]!.ratio },
  p99_overhead_ms_0_middleware: { target: 0.3, got: results[1]!.p99OverheadMs },
};
console.log('targets:', JSON.stringify(targets));
writeFileSync(join(ROOT, 'bench/results/gateway.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, tool: wrk ? 'wrk' : 'autocannon', connections: CONNECTIONS, durationS: DURATION_S, results, targets }, null, 2) + '\n');
