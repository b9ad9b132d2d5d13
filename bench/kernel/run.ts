// Kernel benchmarks: registry lookup, in-process call overhead, one lifecycle operation, and
// 1,000 plugins from disk — each against a baseline measured in the same run. Table + bench/results/kernel.json.
// Run: node --import tsx bench/kernel/run.ts   (or npm run bench:kernel)

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { createHost } from '../../src/host/index.js';
import { defaultHostConfig } from '../../src/host/config.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const logger = pino({ level: 'silent' });
const here = dirname(fileURLToPath(import.meta.url));

interface Row {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  target?: string;
  pass?: boolean;
}
const rows: Row[] = [];

function config(patch: Record<string, unknown> = {}) {
  const c = defaultHostConfig();
  Object.assign(c.plugins, { maxPlugins: 5000, defaultTimeoutMs: 5000 }, patch);
  return c;
}

/** Mean ns per op over `n` ops, best of `rounds` (noisy shared machines). */
function timeSync(n: number, fn: () => void, rounds = 5): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

async function timeAsync(n: number, fn: () => Promise<unknown>, rounds = 5): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

async function registryLookup(): Promise<void> {
  const host = createHost({ config: config(), logger });
  const ids = Array.from({ length: 1000 }, (_, i) => `p-${i}`);
  const map = new Map<string, object>();
  for (const id of ids) map.set(id, host.registerBuiltin(id, { handleRequest: () => ({ statusCode: 200 }) }));
  let sink = 0;
  const n = 2_000_000;
  let i = 0;
  const base = timeSync(n, () => {
    if (map.get(ids[i++ % 1000]!)) sink++;
  });
  i = 0;
  const reg = timeSync(n, () => {
    if (host.registry.get(ids[i++ % 1000]!)) sink++;
  });
  i = 0;
  const byVersion = timeSync(n, () => {
    if (host.registry.getVersion(ids[i++ % 1000]!, '0.0.0')) sink++;
  });
  if (sink < 0) console.log(sink);
  rows.push({ name: 'registry.get(id)', value: reg, unit: 'ns', baseline: base, target: '≤ 3× Map.get', pass: reg <= base * 3 });
  rows.push({ name: 'registry.getVersion(id, v)', value: byVersion, unit: 'ns', baseline: base, target: 'report' });
}

async function callOverhead(): Promise<void> {
  const plugin = {
    echo: (x: number) => x,
    echoAsync: async (x: number) => x,
    handleRequest: () => ({ statusCode: 200 }),
  };
  const host = createHost({ config: config(), logger });
  host.registerBuiltin('bench', plugin, { actions: [] });
  await host.start();
  const runtime = host.get('bench')!.runtime!;
  const ctx = {};
  const n = 300_000;
  const directSync = await timeAsync(n, async () => plugin.echo(1));
  const viaSync = await timeAsync(n, () => runtime.call('echo', [1]));
  const hostSync = await timeAsync(n, () => host.call('bench', 'echo', [1]));
  const directAsync = await timeAsync(n, () => plugin.echoAsync(1));
  const viaAsync = await timeAsync(n, () => runtime.call('echoAsync', [1]));
  void ctx;
  const overSync = viaSync - directSync;
  const overAsync = viaAsync - directAsync;
  rows.push({ name: 'runtime.call overhead, sync method', value: overSync, unit: 'ns', baseline: directSync, target: '< 1000 ns', pass: overSync < 1000 });
  rows.push({ name: 'host.call overhead, sync method', value: hostSync - directSync, unit: 'ns', baseline: directSync, target: '< 1000 ns', pass: hostSync - directSync < 1000 });
  rows.push({ name: 'runtime.call overhead, async method (deadline timer)', value: overAsync, unit: 'ns', baseline: directAsync, target: '< 1000 ns', pass: overAsync < 1000 });
  await host.stop();
}

async function lifecycleOp(): Promise<void> {
  const host = createHost({ config: config(), logger });
  host.registerBuiltin('cycle', { init() {}, start() {}, stop() {}, handleRequest: () => ({ statusCode: 200 }) });
  await host.start();
  const n = 3000;
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      await host.stopPlugin('cycle');
      await host.startPlugin('cycle');
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / (2 * n) / 1e6);
  }
  rows.push({ name: 'lifecycle operation (stopPlugin or startPlugin)', value: best, unit: 'ms', target: '< 1 ms (seed gate: 50 ms)', pass: best < 1 });
  await host.stop();
}

async function thousandFromDisk(): Promise<void> {
  const root = join(tmpdir(), `plugway-bench-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  const N = 1000;
  for (let i = 0; i < N; i++) {
    const dir = join(root, `plugin-${i}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'plugin.yaml'),
      `id: plugin-${i}\nname: plugin-${i}\nversion: 1.0.${i}\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nconfig_schema:\n  type: object\n  properties:\n    greeting: { type: string, default: hi }\n`,
    );
    await writeFile(
      join(dir, 'index.mjs'),
      `export default { init(ctx) { this.greeting = ctx.config.greeting; }, start() {}, stop() {}, handleRequest() { return { statusCode: 200, body: this.greeting }; } };\n`,
    );
  }
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const host = createHost({ config: config({ directories: [root] }), logger });
  const report = await host.start();
  const ms = performance.now() - t0;
  gc();
  const perPluginMb = (process.memoryUsage().heapUsed - heap0) / N / 1024 / 1024;
  const running = report.running.length;
  rows.push({ name: `${N} plugins from disk: discover+validate+load+start`, value: ms, unit: 'ms', target: '< 1500 ms, all running', pass: ms < 1500 && running === N });
  rows.push({ name: `  running after start`, value: running, unit: 'plugins', target: `${N}`, pass: running === N });
  rows.push({ name: '  heap per plugin', value: perPluginMb, unit: 'MB', target: '< 0.5 MB (seed: ~5 MB)', pass: perPluginMb < 0.5 });
  const t1 = performance.now();
  await host.stop();
  rows.push({ name: `  stopping ${N} plugins (reverse order)`, value: performance.now() - t1, unit: 'ms', target: 'report' });
  await rm(root, { recursive: true, force: true });
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined) return '';
  return `${v < 10 ? v.toFixed(3) : v < 1000 ? v.toFixed(1) : v.toFixed(0)} ${unit}`;
}

await registryLookup();
await callOverhead();
await lifecycleOp();
await thousandFromDisk();

const head = ['benchmark', 'value', 'baseline', 'ratio', 'target', 'result'];
const table = rows.map((r) => [
  r.name,
  fmt(r.value, r.unit),
  r.baseline !== undefined ? fmt(r.baseline, r.unit) : '',
  r.baseline ? `${(r.value / r.baseline).toFixed(2)}×` : '',
  r.target ?? '',
  r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of table) console.log(line(row));

const out = join(here, '..', 'results', 'kernel.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2) + '\n');
console.log(`\nwrote ${out}`);
