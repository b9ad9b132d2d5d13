// The messages between the main thread and a plugin worker (JSON over the SharedArrayBuffer ring,
// or over a MessagePort when too large), and what the worker is started with.

import type { MessagePort } from 'node:worker_threads';
import { registerSdkResolutionSource, sdkModuleUrls } from '../sdk-resolve.js';
import { registerTsxSource } from '../tsx.js';

export interface WireError {
  name?: string;
  message: string;
  code?: string;
  params?: Record<string, unknown>;
  stack?: string;
}

/** main → worker */
export type ToWorker =
  | { t: 'call'; id: number; m: string; a: unknown[] }
  | { t: 'cancel'; id: number }
  | { t: 'br'; id: number; ok: boolean; v?: unknown; e?: WireError }
  | { t: 'ping'; id: number }
  | { t: 'usage'; id: number }
  | { t: 'flags'; v: Record<string, boolean> }
  | { t: 'event'; sub: number; v: unknown }
  | { t: 'abort' };

/** worker → main */
export type ToMain =
  | { t: 'ready'; methods: string[] }
  | { t: 'load-error'; e: WireError }
  | { t: 'res'; id: number; ok: boolean; v?: unknown; e?: WireError }
  | { t: 'log'; l: LogLevel; o?: Record<string, unknown>; s?: string }
  | { t: 'br'; id: number; op: BridgeOp; a: unknown[] }
  | { t: 'pong'; id: number }
  | { t: 'usage'; id: number; heapUsed: number; heapTotal: number; heapLimit: number; external: number }
  /** The thread's Buffers/ArrayBuffers passed its cap (bytes): the main thread ends the instance. */
  | { t: 'oom'; external: number; limit: number };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export type BridgeOp = 'storage.get' | 'storage.set' | 'storage.delete' | 'storage.exists' | 'events.emit' | 'events.on' | 'events.off' | 'http.fetch';

/** workerData of every plugway worker (the runtime-specific part sits in `extra`). */
export interface WorkerBoot {
  /** URL of the module that serves inside the worker (plugin-worker or wasm-worker). */
  serveModule: string;
  rings: { toWorker: SharedArrayBuffer; toMain: SharedArrayBuffer };
  bulkPort: MessagePort;
  pluginId: string;
  version: string;
  instance: number;
  config: Record<string, unknown>;
  flags: Record<string, boolean>;
  maxResponseBytes: number;
  /** How long the thread polls its ring for the next call before sleeping, µs. */
  pollUs: number;
  /** Cap on the thread's external memory (Buffers, ArrayBuffers) in bytes; absent: not enforced. */
  externalLimitBytes?: number;
  extra: Record<string, unknown>;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; params?: unknown };
    const out: WireError = { name: e.name, message: e.message };
    if (typeof e.code === 'string') out.code = e.code;
    if (e.params && typeof e.params === 'object') out.params = e.params as Record<string, unknown>;
    if (e.stack) out.stack = e.stack;
    return out;
  }
  return { message: typeof err === 'string' ? err : safeString(err) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

let sdkUrls: Record<string, string> | undefined;

/**
 * The code a Worker is started with (eval mode): registers tsx when TypeScript has to be loaded
 * (Node 20 ignores `--import` hooks for a worker's entry module) and, when `sdkHook`, the
 * `plugway/sdk` resolution hook (sdk-resolve.ts; it costs a hooks thread), then imports the serving module.
 */
export function bootstrapSource(tsx: { esm: string; cjs: string } | undefined, sdkHook = true): string {
  const reg = (tsx ? registerTsxSource(tsx) : '') + (sdkHook ? registerSdkResolutionSource((sdkUrls ??= sdkModuleUrls())) : '');
  return `(async () => { const { workerData } = await import('node:worker_threads'); ${reg} await import(workerData.serveModule); })().catch((err) => { setImmediate(() => { throw err; }); });`;
}
