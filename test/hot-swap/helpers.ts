// Helpers for hot-swap tests: a plugin folder rewritten on disk per version (inprocess, worker or wasm),
// a host + gateway on loopback with a short watch window, admin calls, and waiting on host events.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { createHost, type PluginHost } from '../../src/host/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import type { HostConfig } from '../../src/host/config-types.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';
import type { FastifyInstance } from 'fastify';

export const tmp = (p = 'swap') => mkdtemp(join(tmpdir(), `plugway-${p}-`));

export interface VersionSpec {
  version: string;
  /** Status the handler answers (default 200). */
  status?: number;
  /** Throw in init (a version that cannot start). */
  failInit?: boolean;
  runtime?: 'inprocess' | 'worker';
}

/** The handler answers {version} so a test knows which version served each request. */
export function pluginCode(v: VersionSpec): string {
  return `export default {
  ${v.failInit ? `init() { throw new Error('version ${v.version} cannot start'); },` : ''}
  handleRequest(req) { return { statusCode: ${v.status ?? 200}, body: { version: '${v.version}', user: req.userId ?? null } }; },
};
`;
}

export function manifestOf(id: string, v: VersionSpec): string {
  return `id: ${id}\nname: ${id}\nversion: ${v.version}\nkind: handler\nruntime:\n  type: ${v.runtime ?? 'inprocess'}\n  entry: index.mjs\nendpoints:\n  - path: /${id}\n    method: GET\n    auth: none\n`;
}

/** Writes the version into <root>/<id>/ (manifest and entry). */
export async function writeVersion(root: string, id: string, v: VersionSpec): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.mjs'), pluginCode(v));
  await writeFile(join(dir, 'plugin.yaml'), manifestOf(id, v));
  return dir;
}

export function swapConfig(mutate?: (c: HostConfig) => void): HostConfig {
  const c = defaultHostConfig();
  c.logging.level = 'silent';
  c.plugins.defaultTimeoutMs = 5000;
  c.reload = { watchWindowMs: 1500, errorRateThreshold: 0.5, minCalls: 5, drainTimeoutMs: 3000 };
  // hot_reload's debounce (the default 30 s suits a server, not a test).
  c.plugins.reloadIntervalMs = 300;
  // The test counts every answer; the gateway's breaker must not turn the 500-version's answers into 503s.
  c.gateway.circuitBreaker.failureThreshold = 1_000_000;
  mutate?.(c);
  return c;
}

export interface Stack {
  host: PluginHost;
  app: FastifyInstance;
  url: string;
  token: string;
  stateDir: string;
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function startStack(pluginRoot: string, opts: { stateDir?: string; config?: HostConfig } = {}): Promise<Stack> {
  const config = opts.config ?? swapConfig();
  const stateDir = opts.stateDir ?? (await tmp('state'));
  const host = createHost({ config, logger: pino({ level: 'silent' }), pluginDirs: [pluginRoot] });
  await host.start();
  const app = await createGateway({ host, stateDir, env: {}, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const token = gatewayOf(app).adminToken.token;
  return {
    host,
    app,
    url,
    token,
    stateDir,
    async admin(method, path, body) {
      const r = await request(`${url}/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await r.body.text();
      return { status: r.statusCode, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await host.stop();
    },
  };
}

/** Resolves with the first event of `type` whose data passes `pred` (rejects after timeoutMs). */
export function nextEvent<T = any>(host: PluginHost, type: string, pred: (d: T) => boolean = () => true, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no ${type} event within ${timeoutMs} ms`))), timeoutMs);
    const off = host.events.on<T>(type, (e) => {
      if (!pred(e.data)) return;
      clearTimeout(timer);
      off();
      resolve(e.data);
    });
  });
}
