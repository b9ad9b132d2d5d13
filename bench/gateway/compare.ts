// Two builds of plugway against each other, interleaved, on the same plugin folders bench:gateway
// serves: for a change too small for bench:gateway's ratios to resolve on a shared machine.
//   cp -r dist bench/results/dist-before; (change; npm run build); npm run bench:gateway:compare -- bench/results/dist-before dist
// Each round starts `plugway serve` from each build in turn, warms it with wrk for 2 s, then measures
// wrk -t1 -c50 for BENCH_DURATION_S (5) and the server's CPU from /proc. Prints per-build medians and
// quartiles of CPU µs a request and of req/s, and median p50 / p99 latency. BENCH_MW=5 (middleware),
// BENCH_ROUNDS=8, BENCH_CONNECTIONS=50 (1: what one client at a time waits), BENCH_POST=1 (the echo
// endpoint is POST /echo with a 24-byte JSON body, read by Fastify's parser: the path requests with a body take).
// BENCH_LOG_LEVEL=warn turns the request log off (to see what it costs; bench:gateway's targets always log).
// A build must sit inside the checkout (it imports node_modules from there); bench/results/ is ignored by git.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { POST_SCRIPT, serveConfig, writePluginFolders } from './plugins.mjs';
import { cpuUsOf, median, runWrk, startPlugwayServe } from './measure.js';

const builds = process.argv.slice(2).map((d) => resolve(d));
if (builds.length < 2) throw new Error('usage: npm run bench:gateway:compare -- <dist-a> <dist-b> [more builds]');
for (const b of builds) if (!existsSync(join(b, 'cli/index.js'))) throw new Error(`${b} is not a build of plugway (no cli/index.js)`);
const MW = Number(process.env.BENCH_MW ?? 5);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 8));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POST = process.env.BENCH_POST === '1';

const work = mkdtempSync(join(tmpdir(), 'plugway-bench-compare-'));
await writePluginFolders(join(work, 'plugins'), MW, { post: POST });
const script = POST ? join(work, 'post.lua') : undefined;
if (script) writeFileSync(script, POST_SCRIPT);
const config = join(work, 'plugway.yaml');
writeFileSync(config, serveConfig(join(work, 'plugins'), join(work, 'state'), process.env.BENCH_LOG_LEVEL));

const samples = builds.map(() => [] as Array<{ cpu: number; rps: number; p50Ms: number; p99Ms: number }>);
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, b] of builds.entries()) {
      const server = await startPlugwayServe(config, join(work, 'requests.log'), undefined, join(b, 'cli/index.js'));
      try {
        runWrk(`${server.url}/echo`, 2, CONNECTIONS, undefined, script);
        const before = cpuUsOf(server.pid)!;
        const s = runWrk(`${server.url}/echo`, DURATION_S, CONNECTIONS, undefined, script);
        const cpu = (cpuUsOf(server.pid)! - before) / s.requests;
        samples[i]!.push({ cpu, rps: s.rps, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
        console.error(`round ${r + 1}/${ROUNDS} ${b}: ${cpu.toFixed(1)} µs CPU a request, ${Math.round(s.rps)} req/s`);
      } finally {
        server.stop();
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const quart = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
console.log(`plugway serve, ${POST ? 'POST' : 'GET'}, ${MW} mw, ${ROUNDS} interleaved rounds (wrk -t1 -c${CONNECTIONS}, ${DURATION_S} s after 2 s of warm-up)`);
console.log(`${'build'.padEnd(48)}${'CPU µs/req median'.padStart(19)}${'quartiles'.padStart(15)}${'req/s median'.padStart(14)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
for (const [i, xs] of samples.entries()) {
  const b = builds[i]!;
  const cpu = xs.map((x) => x.cpu);
  console.log(
    `${b.slice(-48).padEnd(48)}${median(cpu).toFixed(1).padStart(19)}${`${quart(cpu, 0.25).toFixed(1)}–${quart(cpu, 0.75).toFixed(1)}`.padStart(15)}${Math.round(median(xs.map((x) => x.rps)))
      .toString()
      .padStart(14)}${median(xs.map((x) => x.p50Ms))
      .toFixed(3)
      .padStart(9)}${median(xs.map((x) => x.p99Ms))
      .toFixed(3)
      .padStart(9)}`,
  );
}
