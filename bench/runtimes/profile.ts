// A driver for profiling one runtime's round trip: sequential handleRequest calls with a body of the
// given size through one instance, then p50/p99. Not a benchmark (run.ts is); run it under a profiler:
//   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/runtimes/profile.ts worker bench/runtimes/bench-plugin.mjs 65536 5000
//   ... profile.ts wasm bench/results/bench-handler.wasm 65536      (the .wasm npm run bench:runtimes writes)
//   ... profile.ts process bench/runtimes/bench_plugin.py 65536     (a .mjs entry runs as [node, entry])
// Every thread writes its own .cpuprofile (the main thread, the plugin's thread).
import { basename, dirname, resolve } from 'node:path';
import pino from 'pino';
import { createRuntime } from '../../src/runtimes/index.js';
import type { RuntimeInit } from '../../src/runtimes/types.js';

const type = (process.argv[2] ?? 'worker') as 'worker' | 'wasm' | 'process';
const entry = resolve(process.argv[3] ?? new URL('./bench-plugin.mjs', import.meta.url).pathname);
const size = Number(process.argv[4] ?? 65536);
const n = Number(process.argv[5] ?? 5000);
const logger = pino({ level: 'silent' });
const command = type === 'process' && entry.endsWith('.mjs') ? { command: ['node', basename(entry)] } : {};
const m = {
  id: `profile-${type}`,
  name: 'profile',
  version: '1.0.0',
  kind: 'handler',
  engine: '*',
  runtime: { type, instances: 1, ...command },
  resources: {},
  permissions: { network: [], env: [], fs: [] },
  endpoints: [],
  dependencies: [],
  capabilities: [],
  actions: [],
  featureFlags: [],
};
const context = {
  pluginId: m.id,
  version: m.version,
  config: {},
  logger,
  flags: { isEnabled: () => false, all: () => ({}) },
  events: { emit: async () => undefined, on: () => () => undefined },
  storage: {},
  services: {},
  signal: new AbortController().signal,
};
const init = {
  manifest: m,
  entryPath: entry,
  pluginDir: dirname(entry),
  config: {},
  context,
  logger,
  defaultTimeoutMs: 10_000,
  onAsyncError: (e: unknown) => console.error(e),
  // POLL_US=0: the ring sleeps at once (runtimes.poll_window_us)
  ...(process.env.POLL_US ? { pollUs: Number(process.env.POLL_US) } : {}),
} as unknown as RuntimeInit;
const rt = await createRuntime(type, init);
await rt.load();
const req = { id: 'r1', method: 'POST', path: '/bench', params: {}, query: {}, headers: { 'content-type': 'application/json' }, context: {}, body: 'x'.repeat(size) };
console.log(JSON.stringify(await rt.call('handleRequest', [req])).slice(0, 200));
for (let i = 0; i < 1000; i++) await rt.call('handleRequest', [req]);
const lat = new Float64Array(n);
for (let i = 0; i < n; i++) {
  const t = process.hrtime.bigint();
  await rt.call('handleRequest', [req]);
  lat[i] = Number(process.hrtime.bigint() - t) / 1000;
}
lat.sort();
console.log(`${type} ${size} B: p50 ${lat[n >> 1]!.toFixed(1)} µs, p99 ${lat[Math.floor(n * 0.99)]!.toFixed(1)} µs`);
await rt.dispose();
