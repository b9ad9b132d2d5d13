// Child of bench/kernel/run.ts: `plugway serve` (dist/) over a folder of plugins, measured from the
// outside: ms from spawn until GET /ready answers 200, its CPU time (all threads) and RSS then, ms from SIGTERM until it exits.
// Usage: node bench/kernel/serve.mjs <repo> <plugins-dir> <state-dir>   → one JSON line
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [repo, plugins, state] = process.argv.slice(2);
const config = join(state, 'plugway.yaml');
writeFileSync(config, `plugins:\n  directories: [${JSON.stringify(plugins)}]\n  max_plugins: 5000\nstate:\n  dir: ${JSON.stringify(state)}\nlogging:\n  level: warn\n`);
const t0 = performance.now();
const child = spawn(process.execPath, [join(repo, 'bin/plugway.js'), 'serve', '--config', config, '--port', '0'], {
  env: { ...process.env, PLUGWAY_USE_DIST: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
const exited = new Promise((r) => child.once('exit', r));
let url;
let readyMs;
while (readyMs === undefined) {
  url ??= /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
  if (url) {
    const r = await fetch(`${url}/ready`).catch(() => undefined);
    if (r?.status === 200) readyMs = performance.now() - t0;
  }
  if (child.exitCode !== null) throw new Error(`plugway serve exited ${child.exitCode}`);
  if (readyMs === undefined) await new Promise((r) => setTimeout(r, 10));
}
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
// CPU the gateway used until it was ready (user + system, clock ticks of 10 ms): what load on a shared machine does not inflate.
// The main thread's alone (/proc/<pid>/task/<pid>) is about what the start takes on an idle machine.
const ticks = (file) => {
  const line = readFileSync(file, 'utf8');
  const [utime, stime] = line
    .slice(line.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 13)
    .map(Number);
  return (utime + stime) * 10;
};
const cpuMs = ticks(`/proc/${child.pid}/stat`);
const mainCpuMs = ticks(`/proc/${child.pid}/task/${child.pid}/stat`);
const t1 = performance.now();
child.kill('SIGTERM');
await exited;
console.log(JSON.stringify({ readyMs, cpuMs, mainCpuMs, rssMb: rssKb / 1024, sigtermMs: performance.now() - t1 }));
