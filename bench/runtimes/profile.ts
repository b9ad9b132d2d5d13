// Profiling driver: N sequential 64 KB handleRequest calls through one runtime (worker or wasm).
import pino from 'pino';
import { createRuntime } from '../../src/runtimes/index.js';
import type { RuntimeInit } from '../../src/runtimes/types.js';
const type = (process.argv[2] ?? 'worker') as 'worker' | 'wasm';
const entry = process.argv[3]!;
const size = Number(process.argv[4] ?? 65536);
const n = Number(process.argv[5] ?? 5000);
const logger = pino({ level: 'silent' });
const m = { id: `p-${type}`, name: 'p', version: '1.0.0', kind: 'handler', engine: '*', runtime: { type, instances: 1 }, resources: {}, permissions: { network: [], env: [], fs: [] }, endpoints: [], dependencies: [], capabilities: [], actions: [], featureFlags: [] };
const context = { pluginId: m.id, version: '1', config: {}, logger, flags: { isEnabled: () => false, all: () => ({}) }, events: { emit: async () => undefined, on: () => () => undefined }, storage: {}, services: {}, signal: new AbortController().signal };
const init = { manifest: m, entryPath: entry, config: {}, context, logger, defaultTimeoutMs: 10000, onAsyncError: (e: unknown) => console.error(e) } as unknown as RuntimeInit;
const rt = await createRuntime(type, init);
await rt.load();
const req = { id: 'r1', method: 'POST', path: '/bench', params: {}, query: {}, headers: { 'content-type': 'application/json' }, context: {}, body: 'x'.repeat(size) };
for (let i = 0; i < 1000; i++) await rt.call('handleRequest', [req]);
const lat: number[] = [];
for (let i = 0; i < n; i++) { const t = process.hrtime.bigint(); const r = await rt.call('handleRequest', [req]); lat.push(Number(process.hrtime.bigint() - t) / 1000); if (i === 0) console.log(JSON.stringify(r).slice(0, 200)); }
lat.sort((a, b) => a - b);
console.log(type, size, 'p50', lat[lat.length >> 1]!.toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)]!.toFixed(1));
await rt.dispose();
