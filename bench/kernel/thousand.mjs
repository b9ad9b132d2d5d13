// Child process of bench/kernel/run.ts: starts a host on a folder of N trivial plugins and prints one
// JSON line {ms, running, heapPerPluginMb, stopMs}. Plain JS so that it runs under plain node on dist/
// (the shipped configuration) as well as under `node --import tsx` on src/ (a checkout).
// Usage: node --expose-gc bench/kernel/thousand.mjs <plugway-root-module-dir> <plugins-dir> <n>

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';

const [base, root, nArg] = process.argv.slice(2);
if (!base || !root) throw new Error('usage: thousand.mjs <dist-or-src dir> <plugins dir> [n]');
const N = Number(nArg ?? 1000);
const ext = base.endsWith('src') ? '.ts' : '.js';
const { createHost } = await import(pathToFileURL(join(base, 'host', `index${ext}`)).href);
const { defaultHostConfig } = await import(pathToFileURL(join(base, 'host', `config${ext}`)).href);
const gc = globalThis.gc ?? (() => {});

const config = defaultHostConfig();
Object.assign(config.plugins, { maxPlugins: 5000, defaultTimeoutMs: 5000, directories: [root] });
gc();
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const host = createHost({ config, logger: pino({ level: 'silent' }) });
const report = await host.start();
const ms = performance.now() - t0;
gc();
const heapPerPluginMb = (process.memoryUsage().heapUsed - heap0) / N / 1024 / 1024;
const t1 = performance.now();
await host.stop();
const stopMs = performance.now() - t1;
process.stdout.write(`${JSON.stringify({ ms, running: report.running.length, heapPerPluginMb, stopMs })}\n`);
