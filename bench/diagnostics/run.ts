// bench/diagnostics: how long redis-diagnostics' big-key scan takes over a whole keyspace, against
// redis-cli --bigkeys (the reference tool) on the same private redis-server in the same run, with
// each batch sized by one server-side script call and by per-key pipelines (the fallback).
// Run: npm run bench:diagnostics   (KEYS=500000 by default; node --import tsx bench/diagnostics/run.ts)

import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import createRedisDiagnostics from '../../plugins/redis-diagnostics/src/index.js';
import { startRedis } from '../../test/diagnostics/redis-servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const KEYS = Number(process.env.KEYS ?? 500_000);
const run = promisify(execFile);

interface Row {
  method: string;
  ms: number;
  keysScanned: number;
  foundBigList: boolean;
  ratioToBigkeys: number;
}

// The test helper unrefs its server process: keep the loop alive while the bench awaits it.
const keepAlive = setInterval(() => undefined, 1000);
const s = await startRedis(['--enable-debug-command', 'yes']);
const rows: Row[] = [];
try {
  const c = await s.client();
  await c.call('DEBUG', 'POPULATE', String(KEYS), 'key');
  for (let i = 0; i < 10; i++) await c.rpush('the:big:list', ...Array.from({ length: 5000 }, (_, j) => String(i * 5000 + j)));
  let t = performance.now();
  const { stdout } = await run('redis-cli', ['-p', String(s.port), '--bigkeys'], { maxBuffer: 16 * 1024 * 1024 });
  const baseline = performance.now() - t;
  rows.push({
    method: 'redis-cli --bigkeys',
    ms: Math.round(baseline),
    keysScanned: Number(/Sampled (\d+) keys/.exec(stdout)?.[1] ?? NaN),
    foundBigList: stdout.includes('the:big:list'),
    ratioToBigkeys: 1,
  });
  for (const script of [true, false]) {
    const p = createRedisDiagnostics({ scan_budget_ms: 600_000, scan_with_script: script });
    await p.connect({ url: s.url });
    t = performance.now();
    const r = await p.diagnose({ windowMs: 0, samples: 2, categories: ['keyspace'] });
    const ms = performance.now() - t;
    await p.disconnect();
    const big = r.findings.find((f) => f.code === 'REDIS_BIG_KEYS');
    rows.push({
      method: script ? 'plugway, script per batch' : 'plugway, pipelines per batch',
      ms: Math.round(ms),
      keysScanned: r.metrics.keys_scanned ?? NaN,
      foundBigList: JSON.stringify(big?.evidence ?? {}).includes('the:big:list'),
      ratioToBigkeys: Math.round((ms / baseline) * 100) / 100,
    });
  }
} finally {
  await s.stop();
}

console.log(`\nbig-key scan of ${KEYS + 1} keys (one 50,000-element list among them), private redis-server\n`);
console.log('method                         time       keys scanned  found the list  × redis-cli --bigkeys');
for (const r of rows)
  console.log(`${r.method.padEnd(30)} ${`${r.ms} ms`.padStart(9)}  ${String(r.keysScanned).padStart(12)}  ${String(r.foundBigList).padStart(14)}  ${String(r.ratioToBigkeys).padStart(8)}`);
const out = join(here, '..', 'results', 'diagnostics.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, keys: KEYS + 1, rows }, null, 2) + '\n');
console.log(`\nwrote ${out}`);
clearInterval(keepAlive);
