// What a random request id costs: crypto.randomUUID() (plugway's generated X-Request-Id since issue 22)
// against the counting pseudo-UUID it replaced and a bare function call, measured in the same run.
// Run: node --import tsx bench/request-id/run.ts   (or npm run bench:request-id). Table + bench/results/request-id.json.

import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestIdOf } from '../../src/gateway/request-id.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The previous scheme (a random 80-bit base, then counting), as the baseline. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const base =
  randomUUID().slice(0, 24) +
  randomInt(0, 2 ** 23)
    .toString(16)
    .padStart(6, '0');
let low = randomInt(0, 2 ** 24);
const counting = () => {
  low = (low + 1) & 0xffffff;
  return base + HEX[low >>> 16]! + HEX[(low >>> 8) & 255]! + HEX[low & 255]!;
};
let sink = '';
const bare = () => 'x';

/** Mean ns per op over `n` ops, best of `rounds` (shared, noisy machines), rounds interleaved by the caller. */
function timeOnce(n: number, fn: () => string): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

const N = Number(process.env.BENCH_N ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const cases: Array<[string, () => string]> = [
  ['bare function call', bare],
  ['counting pseudo-UUID (before)', counting],
  ['crypto.randomUUID()', () => randomUUID()],
  ['requestIdOf(undefined) (now)', () => requestIdOf(undefined)],
  ['requestIdOf("given-id") (caller\'s id kept)', () => requestIdOf('given-id')],
];
const best = new Map<string, number>(cases.map(([n]) => [n, Infinity]));
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of cases) best.set(name, Math.min(best.get(name)!, timeOnce(N, fn)));
if (!sink) throw new Error('unreachable');

const baseline = best.get('counting pseudo-UUID (before)')!;
const rows = cases.map(([name]) => ({ name, ns: Math.round(best.get(name)! * 10) / 10, vs_counting: Math.round((best.get(name)! / baseline) * 100) / 100 }));
const machine = { cores: availableParallelism(), load: loadavg().map((l) => Math.round(l * 10) / 10), node: process.version };
console.log(`request ids — best of ${ROUNDS} × ${N} (cores ${machine.cores}, load ${machine.load.join(' ')})`);
console.log('case'.padEnd(44), 'ns/op'.padStart(8), 'x counting'.padStart(11));
for (const r of rows) console.log(r.name.padEnd(44), String(r.ns).padStart(8), String(r.vs_counting).padStart(11));
const uuid = best.get('requestIdOf(undefined) (now)')! - baseline;
console.log(`a random v4 UUID per request costs ${uuid.toFixed(0)} ns more than counting (a gateway request costs tens of µs)`);
const out = join(here, '..', 'results', 'request-id.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), machine, rounds: ROUNDS, n: N, rows, extra_ns_per_request: Math.round(uuid) }, null, 2) + '\n');
console.log(`wrote ${out}`);
