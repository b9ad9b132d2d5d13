// The LLM gateway under test: mock providers (examples/llm/mock-provider.mjs) on loopback ports and
// a real gateway serving the built-in llm plugins, configured through a plugway.yaml written in
// the contract's shape (plugins.configs.llm-gateway.config).
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import type { Host } from '../../src/host/types.js';
import { createGateway } from '../../src/gateway/index.js';
import { LogCapture } from '../gateway/helpers.js';
// @ts-expect-error: an .mjs example without types
import { startMockProvider as startMock } from '../../examples/llm/mock-provider.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const LLM_PLUGINS = ['llm-gateway', 'openai-compatible', 'anthropic', 'llm-router'];

export interface Mock {
  name: string;
  port: number;
  url: string;
  stats: { requests: number; chat: number; messages: number; embeddings: number; streams: number; byMode: Record<string, number> };
  behavior: Record<string, unknown>;
  set(b: Record<string, unknown>): void;
  close(): Promise<void>;
}

export const startMockProvider = startMock as (o?: Record<string, unknown>) => Promise<Mock>;

/** A folder holding (links to) the llm plugins and any extra plugin folders. */
export async function pluginsDir(extra: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-llm-plugins-'));
  for (const id of LLM_PLUGINS) await symlink(join(ROOT, 'plugins', id), join(dir, id), 'dir');
  for (const p of extra) await symlink(p, join(dir, p.split('/').pop()!), 'dir');
  return dir;
}

export interface LlmGateway {
  url: string;
  host: Host;
  logs: LogCapture;
  close(): Promise<void>;
}

/** A gateway from a plugway.yaml with `llm` as plugins.configs.llm-gateway.config (and more configs if given). */
export async function startLlmGateway(
  llm: Record<string, unknown>,
  opts: { configs?: Record<string, unknown>; gateway?: Record<string, unknown>; extraPlugins?: string[]; builtins?: Array<{ id: string; plugin: unknown; manifest?: Record<string, unknown> }> } = {},
): Promise<LlmGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-llm-'));
  const plugins = await pluginsDir(opts.extraPlugins);
  await mkdir(join(dir, 'state'));
  const yaml = {
    plugins: { directories: [plugins], configs: { 'llm-gateway': { config: llm }, ...(opts.configs ?? {}) } },
    gateway: { admin: { token: 'llm-test-admin-token-0123456789' }, ...(opts.gateway ?? {}) },
    state: { dir: join(dir, 'state') },
    logging: { level: 'warn' },
  };
  const file = join(dir, 'plugway.yaml');
  await writeFile(file, stringify(yaml));
  const config = await loadHostConfig({ file, env: { ...process.env } });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  for (const b of opts.builtins ?? []) host.registerBuiltin(b.id, b.plugin, b.manifest ?? {});
  const report = await host.start();
  if (report.failed.length) throw new Error(`plugins failed: ${JSON.stringify(report.failed)}`);
  const logs = new LogCapture();
  const app = await createGateway({ host, logDestination: logs, env: {} });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    host,
    logs,
    close: async () => {
      await app.close();
      await host.stop();
    },
  };
}

export const ADMIN = { authorization: 'Bearer llm-test-admin-token-0123456789' };

export function chatBody(more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello to the test suite please' },
    ],
    ...more,
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, json, text };
}

/** GET a JSON body (the admin API's or /v1's), as loosely typed as postJson's. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  return (await fetch(url, { headers })).json();
}

/** The data payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) =>
      b
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n'),
    );
}

/** The value of a Prometheus series (labels matched exactly as written), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.split(' ').pop());
  }
  return 0;
}

/** A plugin that records the seed's LLM hooks it receives. */
export function hookRecorder() {
  const seen: Record<string, any[]> = { on_request: [], on_response: [], on_error: [], on_provider_switch: [] };
  const plugin = {
    init(ctx: { hooks?: { on(name: string, fn: (p: unknown) => void): void } }) {
      for (const name of Object.keys(seen)) ctx.hooks!.on(name, (p) => void seen[name]!.push(p));
    },
    handleRequest: () => ({ statusCode: 204 }),
  };
  return { seen, builtin: { id: 'hook-recorder', plugin, manifest: { endpoints: [] } } };
}

export async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
