// bench/reload: time from the reload trigger (admin POST) to the cut-over (the active version switched),
// per runtime, and failed requests per swap under light load; heap growth per in-process reload.
// Run: npm run bench:reload   (node --expose-gc --import tsx bench/reload/run.ts)

import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoad } from '../../test/hot-swap/load.js';
import { startStack, swapConfig, tmp, writeVersion } from '../../test/hot-swap/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const SWAPS = Number(process.env.SWAPS ?? 10);
const TARGET_MS = { inprocess: 100, worker: 300, wasm: 300 } as const;
type Runtime = keyof typeof TARGET_MS;

interface Row {
  runtime: Runtime;
  swaps: number;
  cutOverMsP50: number;
  cutOverMsMax: number;
  drainMsP50: number;
  requests: number;
  failedPerSwap: number;
  connectionErrors: number;
  targetMs: number;
  ok: boolean;
  note?: string;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

async function writeWasm(root: string, version: string): Promise<void> {
  const src = join(here, '..', '..', 'examples', 'veza', 'ai-recommendations');
  const dir = join(root, 'bench');
  await mkdir(dir, { recursive: true });
  await copyFile(join(src, 'plugin.wasm'), join(dir, 'plugin.wasm'));
  const yaml = (await readFile(join(src, 'plugin.yaml'), 'utf8')).replace(/^id: .*$/m, 'id: bench').replace(/^version: .*$/m, `version: ${version}`);
  await writeFile(join(dir, 'plugin.yaml'), yaml);
}

async function benchRuntime(runtime: Runtime): Promise<Row> {
  const root = await tmp('bench-reload');
  const path = runtime === 'wasm' ? '/recommendations?user=u1' : '/bench';
  const write = (v: string) => (runtime === 'wasm' ? writeWasm(root, v) : writeVersion(root, 'bench', { version: v, runtime }).then(() => undefined));
  await write('1.0.0');
  // No watch window here: the bench measures the swap itself.
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  if (s.host.get('bench')?.state !== 'running') {
    await s.close();
    return {
      runtime,
      swaps: 0,
      cutOverMsP50: NaN,
      cutOverMsMax: NaN,
      drainMsP50: NaN,
      requests: 0,
      failedPerSwap: NaN,
      connectionErrors: 0,
      targetMs: TARGET_MS[runtime],
      ok: false,
      note: `plugin did not start: ${s.host.get('bench')?.error?.message}`,
    };
  }
  const load = startLoad(s.url, path, { concurrency: 2, maxRequests: 200_000, maxMs: 120_000 });
  const cut: number[] = [];
  const drain: number[] = [];
  let t0 = 0;
  const off = s.host.events.on('plugin.activated', () => void cut.push(performance.now() - t0));
  try {
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 2; i <= SWAPS + 1; i++) {
      await write(`${i}.0.0`);
      t0 = performance.now();
      const r = await s.admin('POST', '/plugins/bench/reload');
      if (r.status !== 200) throw new Error(`swap ${i} failed: ${JSON.stringify(r.json)}`);
      drain.push(r.json.drain_ms ?? 0);
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    off();
    await load.stop();
    await s.close();
  }
  const c = load.counts;
  const failed = [...c.failedByVersion.values()].reduce((a, b) => a + b, 0);
  const row: Row = {
    runtime,
    swaps: cut.length,
    cutOverMsP50: Math.round(pct(cut, 0.5) * 10) / 10,
    cutOverMsMax: Math.round(Math.max(...cut) * 10) / 10,
    drainMsP50: Math.round(pct(drain, 0.5) * 10) / 10,
    requests: c.total,
    failedPerSwap: failed / Math.max(1, cut.length),
    connectionErrors: c.connectionErrors,
    targetMs: TARGET_MS[runtime],
    ok: false,
  };
  row.ok = row.cutOverMsMax <= row.targetMs && failed === 0 && c.connectionErrors === 0;
  if (failed) row.note = c.errors.slice(0, 2).join(' | ');
  return row;
}

/** Heap growth per in-process reload: ESM modules cannot be unloaded, each version's module stays. */
async function heapPerReload(n = 50): Promise<{ reloads: number; heapGrowthKbPerReload: number; note: string }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { reloads: 0, heapGrowthKbPerReload: NaN, note: 'run with node --expose-gc to measure' };
  const root = await tmp('bench-heap');
  await writeVersion(root, 'bench', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => ((c.reload.watchWindowMs = 0), (c.state.keepVersions = 3))) });
  const settle = async () => {
    for (let i = 0; i < 3; i++) gc(), await new Promise((r) => setTimeout(r, 20));
    return process.memoryUsage().heapUsed;
  };
  // Warm up (first reload loads the swap code paths).
  await writeVersion(root, 'bench', { version: '1.0.1' });
  await s.admin('POST', '/plugins/bench/reload');
  const before = await settle();
  for (let i = 2; i < n + 2; i++) {
    await writeVersion(root, 'bench', { version: `${i}.0.0` });
    await s.admin('POST', '/plugins/bench/reload');
  }
  const after = await settle();
  await s.close();
  return { reloads: n, heapGrowthKbPerReload: Math.round((after - before) / n / 102.4) / 10, note: 'entry module ~300 bytes of source; grows with the module size' };
}

const rows: Row[] = [];
for (const runtime of ['inprocess', 'worker', 'wasm'] as const) {
  try {
    rows.push(await benchRuntime(runtime));
  } catch (err) {
    rows.push({
      runtime,
      swaps: 0,
      cutOverMsP50: NaN,
      cutOverMsMax: NaN,
      drainMsP50: NaN,
      requests: 0,
      failedPerSwap: NaN,
      connectionErrors: 0,
      targetMs: TARGET_MS[runtime],
      ok: false,
      note: `skipped: ${(err as Error).message}`,
    });
  }
}
const heap = await heapPerReload();

console.log('\nreload: trigger → cut-over, and failed requests per swap under light load (2 loops)\n');
console.log('runtime    swaps  cut-over p50  cut-over max  target   drain p50  requests  failed/swap  conn errors  ok');
for (const r of rows) {
  console.log(
    `${r.runtime.padEnd(10)} ${String(r.swaps).padStart(5)}  ${`${r.cutOverMsP50} ms`.padStart(12)}  ${`${r.cutOverMsMax} ms`.padStart(12)}  ${`${r.targetMs} ms`.padStart(6)}  ${`${r.drainMsP50} ms`.padStart(9)}  ${String(r.requests).padStart(8)}  ${String(r.failedPerSwap).padStart(11)}  ${String(r.connectionErrors).padStart(11)}  ${r.ok ? 'yes' : 'NO'}${r.note ? `  (${r.note})` : ''}`,
  );
}
console.log(`\nin-process heap growth: ${heap.heapGrowthKbPerReload} KB per reload over ${heap.reloads} reloads (${heap.note})\n`);
const out = join(here, '..', 'results', 'reload.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, swapsPerRuntime: SWAPS, rows, heap }, null, 2) + '\n');
console.log(`wrote ${out}`);
