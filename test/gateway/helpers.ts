// Test helpers for the gateway: a real host with inline plugins, a real gateway listening on
// a loopback port, captured log lines, and a fetch wrapper that returns status, headers, body.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHost } from '../../src/host/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import type { HostConfig } from '../../src/host/config-types.js';
import type { Host } from '../../src/host/types.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import { createGateway, type GatewayOptions } from '../../src/gateway/index.js';
import { parseRateLimit } from '../../src/resilience/rate-limit.js';

export interface InlinePlugin {
  id: string;
  plugin: unknown;
  manifest?: Partial<PluginManifest>;
}

export const tmpDir = (name = 'gw') => mkdtemp(join(tmpdir(), `plugway-${name}-`));

export function rl(raw: string) {
  const r = parseRateLimit(raw);
  if (!r) throw new Error(`bad rate limit ${raw}`);
  return r;
}

export function testConfig(mutate?: (c: HostConfig) => void): HostConfig {
  const c = defaultHostConfig();
  c.logging.level = 'info';
  mutate?.(c);
  return c;
}

export async function makeHost(plugins: InlinePlugin[], config = testConfig()): Promise<Host> {
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  for (const p of plugins) host.registerBuiltin(p.id, p.plugin, p.manifest ?? {});
  await host.start();
  return host;
}

export class LogCapture extends Writable {
  lines: Array<Record<string, unknown>> = [];
  raw = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    const s = chunk.toString();
    this.raw += s;
    for (const l of s.split('\n')) if (l.trim()) this.lines.push(JSON.parse(l));
    cb();
  }
  requestLines() {
    return this.lines.filter((l) => 'status_code' in l);
  }
}

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  logs: LogCapture;
  stateDir: string;
  close(): Promise<void>;
}

export async function startGateway(host: Host, opts: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  const logs = new LogCapture();
  const stateDir = opts.stateDir ?? (await tmpDir('state'));
  const app = await createGateway({ host, logDestination: logs, stateDir, env: {}, ...opts });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url: address,
    logs,
    stateDir,
    close: async () => {
      await app.close();
    },
  };
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function http(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Res> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) {
    headers.set('content-type', 'application/json');
    rest.body = JSON.stringify(json);
  }
  const r = await fetch(url, { ...rest, headers });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, text, json: parsed };
}

/** A handler plugin that answers with what it got. */
export const echoPlugin = {
  handleRequest(req: { params: unknown; query: unknown; body: unknown; path: string; method: string; userId?: string; context: unknown }) {
    return { statusCode: 200, body: { params: req.params, query: req.query, body: req.body ?? null, path: req.path, method: req.method, userId: req.userId ?? null, context: req.context } };
  },
};
