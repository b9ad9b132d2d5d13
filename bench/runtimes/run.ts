// Runtime benchmarks: a direct call, the in-process runtime, the worker runtime (1 and N
// instances), the wasm runtime and the process runtime (a Python plugin and a Node child, sandboxed),
// for a small and a 64 KB request; cold start per instance and memory per idle instance. Prints a
// table and writes bench/results/runtimes.json.
// Run: npm run bench:runtimes   (node --import tsx bench/runtimes/run.ts)
//      add --process-only for the process rows alone (cold start, memory and 64 KB ratio included)

import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import wabtInit from 'wabt';
import { createRuntime } from '../../src/runtimes/index.js';
import { gatewayThroughput, type GatewayRow } from './gateway.js';
import type { PluginRuntime, RuntimeInit } from '../../src/runtimes/types.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import type { PluginContext } from '../../src/sdk/context.js';
import type { RuntimeType } from '../../src/sdk/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const logger = pino({ level: 'silent' });
const N_INSTANCES = Math.max(2, Math.min(4, availableParallelism()));
const SMALL = { id: 'r1', method: 'POST', path: '/bench', params: {}, query: {}, headers: { 'content-type': 'application/json' }, context: {}, body: 'hello' };
const LARGE = { ...SMALL, body: 'x'.repeat(64 * 1024) };
// @ts-expect-error plain ESM helper without types
const plugin = (await import('./bench-plugin.mjs')).default as { handleRequest(req: unknown): unknown };

// A wasm handle_request that does the I/O an Extism PDK does (as @extism/as-pdk's Host.input and
// Host.outputString do): it reads the whole request 8 bytes at a time (input_load_u64, the tail with
// input_load_u8) into its memory, then writes a constant PluginResponse into an Extism block 8 bytes
// at a time (store_u64, the tail with store_u8). What it costs beyond that is the runtime's.
const RESPONSE = '{"statusCode":200,"body":{"ok":true}}';
const RESPONSE_WORDS = Math.floor(RESPONSE.length / 8) * 8;
const WAT = `(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 3)
  (data (i32.const 0) ${JSON.stringify(RESPONSE)})
  (func (export "handle_request") (result i32) (local $len i64) (local $i i64) (local $off i64)
    (local.set $len (call $input_length))
    (block $words (loop $next
      (br_if $words (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $len)))
      (i64.store (i32.wrap_i64 (i64.add (i64.const 1024) (local.get $i))) (call $input_load_u64 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 8)))
      (br $next)))
    (block $bytes (loop $next
      (br_if $bytes (i64.ge_u (local.get $i) (local.get $len)))
      (i32.store8 (i32.wrap_i64 (i64.add (i64.const 1024) (local.get $i))) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.set $off (call $alloc (i64.const ${RESPONSE.length})))
    (local.set $i (i64.const 0))
    (block $words (loop $next
      (br_if $words (i64.ge_u (local.get $i) (i64.const ${RESPONSE_WORDS})))
      (call $store_u64 (i64.add (local.get $off) (local.get $i)) (i64.load (i32.wrap_i64 (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 8)))
      (br $next)))
    (block $bytes (loop $next
      (br_if $bytes (i64.ge_u (local.get $i) (i64.const ${RESPONSE.length})))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (i32.load8_u (i32.wrap_i64 (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (call $output_set (local.get $off) (i64.const ${RESPONSE.length}))
    (i32.const 0)))`;

async function wasmFile(): Promise<string> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('bench.wat', WAT);
  const file = join(here, '..', 'results', 'bench-handler.wasm');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, m.toBinary({}).buffer);
  return file;
}

function manifest(type: RuntimeType, instances: number): PluginManifest {
  return {
    id: `bench-${type}`,
    name: 'bench',
    version: '1.0.0',
    kind: 'handler',
    engine: '*',
    runtime: { type, instances },
    resources: {},
    permissions: { network: [], env: [], fs: [] },
    endpoints: [],
    dependencies: [],
    capabilities: [],
    actions: [],
    featureFlags: [],
  };
}

const pythonEntry = join(here, 'bench_plugin.py');
const nodeChild = join(here, 'bench-child.mjs');
/** The process runtime's two rows: a Python plugin (the SDK) and a Node child (the ABI by hand). */
const PROCESS_KINDS = { 'process python': { entry: pythonEntry }, 'process node': { entry: nodeChild, command: ['node', 'bench-child.mjs'] } } as const;

function processInit(kind: keyof typeof PROCESS_KINDS, instances: number): RuntimeInit {
  const k = PROCESS_KINDS[kind] as { entry: string; command?: string[] };
  const base = init('process', instances, k.entry);
  return { ...base, manifest: { ...base.manifest, runtime: { type: 'process', instances, ...(k.command ? { command: k.command } : {}) } }, pluginDir: here };
}

function init(type: RuntimeType, instances: number, entryPath?: string, pollUs?: number): RuntimeInit {
  const m = manifest(type, instances);
  const context = {
    pluginId: m.id,
    version: m.version,
    config: {},
    logger,
    flags: { isEnabled: () => false, all: () => ({}) },
    events: { emit: async () => undefined, on: () => () => undefined },
    storage: { get: async () => undefined, set: async () => undefined, delete: async () => false, exists: async () => false },
    services: {
      get: () => {
        throw new Error('none');
      },
      tryGet: () => undefined,
    },
    signal: new AbortController().signal,
  } as unknown as PluginContext;
  return {
    manifest: m,
    ...(entryPath ? { entryPath } : { instance: plugin }),
    config: {},
    context,
    logger,
    defaultTimeoutMs: 10_000,
    onAsyncError: (e) => console.error('async error', e),
    ...(pollUs !== undefined ? { pollUs } : {}),
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Sequential round trips: p50/p99 in µs, from the best of 3 rounds (these machines are shared and noisy). */
async function latency(call: () => Promise<unknown>, n: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(5000, n); i++) await call();
  let best = { p50: Infinity, p99: Infinity };
  for (let round = 0; round < 3; round++) {
    const lat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await call();
      lat[i] = Number(process.hrtime.bigint() - t) / 1000;
    }
    const s = Array.from(lat).sort((a, b) => a - b);
    if (pct(s, 0.5) < best.p50) best = { p50: pct(s, 0.5), p99: pct(s, 0.99) };
  }
  return best;
}

/** Calls per second with `concurrency` calls kept in flight, over `total` calls. */
async function throughput(call: () => Promise<unknown>, total: number, concurrency = 32): Promise<number> {
  let left = total;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await call();
    }),
  );
  return Math.round(total / ((performance.now() - t0) / 1000));
}

interface Row {
  runtime: string;
  payload: string;
  p50Us: number;
  p99Us: number;
  callsPerSec: number;
}
const rows: Row[] = [];
const extra: Record<string, unknown> = {};

async function measure(name: string, call: (req: unknown) => Promise<unknown>): Promise<void> {
  for (const [payload, req, n] of [
    ['small', SMALL, 10_000],
    ['64KB', LARGE, 2000],
  ] as const) {
    const l = await latency(() => call(req), n);
    const tput = await throughput(() => call(req), n);
    rows.push({ runtime: name, payload, p50Us: +l.p50.toFixed(1), p99Us: +l.p99.toFixed(1), callsPerSec: tput });
  }
}

const processOnly = process.argv.includes('--process-only');
await measure('direct call', async (req) => plugin.handleRequest(req));

const workerEntry = join(here, 'bench-plugin.mjs');
const wasmEntry = await wasmFile();
const targets: Array<[string, RuntimeType, number, string, number?]> = [
  ['worker x1', 'worker', 1, workerEntry],
  [`worker x${N_INSTANCES}`, 'worker', N_INSTANCES, workerEntry],
  // The same calls with ring polling off (runtimes.poll_window_us: 0): every answer wakes a sleeping thread.
  ['worker x1, polling off', 'worker', 1, workerEntry, 0],
  ['wasm x1', 'wasm', 1, wasmEntry],
  ['wasm x1, polling off', 'wasm', 1, wasmEntry, 0],
  [`wasm x${N_INSTANCES}`, 'wasm', N_INSTANCES, wasmEntry],
];
for (const [name, type, n, entry, pollUs] of processOnly ? [] : targets) {
  const rt = await createRuntime(type, init(type, n, entry, pollUs));
  await rt.load();
  await measure(name, (req) => rt.call('handleRequest', [req]));
  await rt.dispose();
}

let processSkipped: string | undefined;
for (const kind of Object.keys(PROCESS_KINDS) as Array<keyof typeof PROCESS_KINDS>) {
  try {
    const rt = await createRuntime('process', processInit(kind, 1));
    await rt.load();
    await measure(`${kind} x1`, (req) => rt.call('handleRequest', [req]));
    await rt.dispose();
  } catch (err) {
    processSkipped = `process runtime not available: ${(err as Error).message}`;
  }
}
if (processSkipped) extra.processSkipped = processSkipped;

// Last: the in-process runtime attributes async errors through AsyncLocalStorage, which slows every
// promise in the process from then on; worker x1 is measured again after it to show that cost.
if (!processOnly)
  try {
    const rt = await createRuntime('inprocess', init('inprocess', 1));
    await rt.load();
    await measure('inprocess', (req) => rt.call('handleRequest', [req]));
    await rt.dispose();
    const again = await createRuntime('worker', init('worker', 1, workerEntry));
    await again.load();
    await measure('worker x1 (after inprocess)', (req) => again.call('handleRequest', [req]));
    await again.dispose();
  } catch (err) {
    extra.inprocessSkipped = `in-process runtime not available: ${(err as Error).message}`;
  }

// Cold start (load of one instance, ready to serve) and memory per idle instance.
const cold: Record<string, { coldStartMs: number; idleRssMbPerInstance: number }> = {};
for (const [type, entry] of processOnly
  ? []
  : ([
      ['worker', workerEntry],
      ['wasm', wasmEntry],
    ] as const)) {
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const rt = await createRuntime(type, init(type, 1, entry));
    const t0 = performance.now();
    await rt.load();
    starts.push(performance.now() - t0);
    await rt.dispose();
  }
  const K = 8;
  const before = process.memoryUsage().rss;
  const rt: PluginRuntime = await createRuntime(type, init(type, K, entry));
  await rt.load();
  await new Promise((r) => setTimeout(r, 500));
  const after = process.memoryUsage().rss;
  await rt.dispose();
  starts.sort((a, b) => a - b);
  cold[type] = { coldStartMs: +starts[2]!.toFixed(1), idleRssMbPerInstance: +((after - before) / K / 1048576).toFixed(1) };
}
// A process instance's memory is its cgroup's (the gateway's RSS does not hold it).
for (const kind of Object.keys(PROCESS_KINDS) as Array<keyof typeof PROCESS_KINDS>) {
  if (processSkipped) break;
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const rt = await createRuntime('process', processInit(kind, 1));
    const t0 = performance.now();
    await rt.load();
    starts.push(performance.now() - t0);
    await rt.dispose();
  }
  const K = 4;
  const rt = await createRuntime('process', processInit(kind, K));
  await rt.load();
  await new Promise((r) => setTimeout(r, 500));
  const usage = (await rt.resourceUsage()) as { instances?: Array<{ heapUsedMb: number }> };
  await rt.dispose();
  const mbs = (usage.instances ?? []).map((i) => i.heapUsedMb);
  starts.sort((a, b) => a - b);
  cold[kind] = { coldStartMs: +starts[2]!.toFixed(1), idleRssMbPerInstance: mbs.length ? +(mbs.reduce((a, b) => a + b, 0) / mbs.length).toFixed(1) : NaN };
}

// The gateway with the same handler in each runtime, as a ratio to the in-process handler.
let gateway: unknown;
if (processOnly) gateway = { skipped: '--process-only' };
else
  try {
    gateway = await gatewayThroughput(workerEntry, wasmEntry, processSkipped ? undefined : pythonEntry);
  } catch (err) {
    gateway = { skipped: (err as Error).message };
  }

console.log('\nplugway runtimes: one call = handleRequest(request) → small JSON response; payload = request body');
console.table(rows);
console.table(Object.entries(cold).map(([runtime, v]) => ({ runtime, ...v })));
console.log('gateway (plugway serve, autocannon 32 connections, GET → same handler):');
if (Array.isArray(gateway)) console.table(gateway);
else console.log(gateway);
const direct = rows.find((r) => r.runtime === 'direct call' && r.payload === 'small')!;
const small = (name: string) => rows.find((r) => r.runtime === name && r.payload === 'small');
const verdict = (got: number | undefined, target: number) => (got === undefined ? 'not measured' : `${got} µs (target ≤ ${target}: ${got <= target ? 'met' : 'NOT met'})`);
console.log(`targets: worker x1 small p50 ${verdict(small('worker x1')?.p50Us, 25)}, p99 ${verdict(small('worker x1')?.p99Us, 100)}; wasm x1 small p50 ${verdict(small('wasm x1')?.p50Us, 25)}`);
console.log(`targets: process python x1 small p50 ${verdict(small('process python x1')?.p50Us, 60)}, p99 ${verdict(small('process python x1')?.p99Us, 250)}`);
const processGateway = Array.isArray(gateway) ? (gateway as GatewayRow[]).find((r) => r.runtime === 'process')?.ratioToInprocess : undefined;
if (processGateway !== undefined) console.log(`targets: gateway with a process handler ${processGateway}× the in-process handler's req/s (target ≥ 0.5: ${processGateway >= 0.5 ? 'met' : 'NOT met'})`);
// 64 KB round trips against the small ones of the same runtime, in the same run (target ≤ 4×)
const large = (name: string) => rows.find((r) => r.runtime === name && r.payload === '64KB');
const ratios64: Record<string, number> = {};
for (const name of ['worker x1', 'worker x1, polling off', 'wasm x1', 'wasm x1, polling off', 'process python x1', 'process node x1']) {
  const s = small(name),
    l = large(name);
  if (!s || !l) continue;
  ratios64[name] = +(l.p50Us / s.p50Us).toFixed(2);
  console.log(`${name}: 64 KB p50 ${l.p50Us} µs = ${ratios64[name]}× the small call (target ≤ 4×: ${ratios64[name] <= 4 ? 'met' : 'NOT met'})`);
}
extra.ratio64KbToSmallP50 = ratios64;
for (const rt of ['worker x1', 'wasm x1']) {
  const on = small(rt),
    off = small(`${rt}, polling off`);
  if (on && off) console.log(`${rt}: ring polling makes the small round trip ${(off.p50Us / on.p50Us).toFixed(2)}× faster at p50 (${off.p50Us} → ${on.p50Us} µs)`);
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: availableParallelism(),
  instances: N_INSTANCES,
  targets: { workerSmallP50Us: 25, workerSmallP99Us: 100, wasmSmallP50Us: 25, processPythonSmallP50Us: 60, processPythonSmallP99Us: 250, ratio64KbToSmallMax: 4, gatewayProcessToInprocessMin: 0.5 },
  baselineDirectSmallCallsPerSec: direct.callsPerSec,
  rows,
  cold,
  gateway,
  ...extra,
};
if (extra.inprocessSkipped) console.log(extra.inprocessSkipped);
const out = join(here, '..', 'results', processOnly ? 'runtimes-process.json' : 'runtimes.json');
await writeFile(out, JSON.stringify(result, null, 2));
console.log(`written ${out}`);
