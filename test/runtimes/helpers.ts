// Builds a RuntimeInit by hand (manifest, context, logger) so the isolated runtimes can be tested
// without the host, and records what they report (events, async errors, log lines).
import { Writable } from 'node:stream';
import pino from 'pino';
import type { PluginManifest } from '../../src/manifest/types.js';
import type { PluginContext } from '../../src/sdk/context.js';
import type { DomainEvent } from '../../src/sdk/types.js';
import type { RuntimeEvent, RuntimeInit } from '../../src/runtimes/types.js';

export interface Harness {
  init: RuntimeInit;
  events: RuntimeEvent[];
  asyncErrors: Error[];
  logs: Array<Record<string, unknown>>;
  storage: Map<string, unknown>;
  emitted: DomainEvent[];
  /** Resolves with the first runtime event of `type` (already seen or future). */
  nextEvent(type: string, after?: number): Promise<RuntimeEvent>;
  publish(event: DomainEvent): void;
  flags: Record<string, boolean>;
}

export function manifest(over: Partial<PluginManifest> & { id: string }): PluginManifest {
  return {
    name: over.id,
    version: '1.0.0',
    kind: 'handler',
    engine: '*',
    runtime: { type: 'worker', instances: 1 },
    resources: {},
    permissions: { network: [], env: [], fs: [] },
    endpoints: [],
    dependencies: [],
    capabilities: [],
    actions: [],
    featureFlags: [],
    ...over,
  };
}

export function harness(m: PluginManifest, entryPath: string | undefined, config: Record<string, unknown> = {}, extra: Partial<RuntimeInit> = {}): Harness {
  const events: RuntimeEvent[] = [];
  const waiters: Array<{ type: string; after: number; resolve(e: RuntimeEvent): void }> = [];
  const asyncErrors: Error[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const storage = new Map<string, unknown>();
  const emitted: DomainEvent[] = [];
  const handlers = new Map<string, Set<(e: DomainEvent) => void>>();
  const flags: Record<string, boolean> = {};
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink).child({ plugin_id: m.id, version: m.version });
  const publish = (e: DomainEvent) => {
    for (const [type, hs] of handlers) if (type === e.type || (type.endsWith('*') && e.type.startsWith(type.slice(0, -1)))) hs.forEach((h) => h(e));
  };
  const context: PluginContext = {
    pluginId: m.id,
    version: m.version,
    config,
    logger,
    flags: { isEnabled: (n) => flags[n] === true, all: () => ({ ...flags }) },
    events: {
      emit: async (type, data) => {
        const e = { type, source: m.id, data, time: new Date().toISOString() };
        emitted.push(e);
        publish(e);
      },
      on: (type, h) => {
        let s = handlers.get(type);
        if (!s) handlers.set(type, (s = new Set()));
        s.add(h as (e: DomainEvent) => void);
        return () => s!.delete(h as (e: DomainEvent) => void);
      },
    },
    storage: {
      get: async <T>(k: string) => storage.get(k) as T | undefined,
      set: async (k, v) => void storage.set(k, v),
      delete: async (k) => storage.delete(k),
      exists: async (k) => storage.has(k),
    },
    services: {
      get: () => {
        throw new Error('no services');
      },
      tryGet: () => undefined,
    },
    signal: new AbortController().signal,
  } as PluginContext;
  const init: RuntimeInit = {
    manifest: m,
    ...(entryPath ? { entryPath } : {}),
    config,
    context,
    logger,
    defaultTimeoutMs: 2000,
    onAsyncError: (err) => asyncErrors.push(err),
    onEvent: (e) => {
      events.push(e);
      for (const w of waiters.slice()) {
        if (w.type === e.type && events.length > w.after) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    },
    ...extra,
  };
  return {
    init,
    events,
    asyncErrors,
    logs,
    storage,
    emitted,
    flags,
    publish,
    nextEvent(type, after = 0) {
      const seen = events.slice(after).find((e) => e.type === type);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ type, after, resolve }));
    },
  };
}

export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}
