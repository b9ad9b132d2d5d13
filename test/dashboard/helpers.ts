// Helpers for the dashboard tests: in-process plugins written to a temp dir, a real host + gateway
// on loopback, and Debian's Chromium through playwright-core (skipped locally when it is missing).

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createHost, type PluginHost } from '../../src/host/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import type { HostConfig } from '../../src/host/config-types.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';
import { binarySkip } from '../helpers/services.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** false when Chromium is there; a skip message locally, a throw in CI, when it is not. */
export function chromiumSkip(): false | string {
  return existsSync(CHROMIUM) ? false : binarySkip('chromium', 'chromium');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

export const tmp = (p: string) => mkdtemp(join(tmpdir(), `plugway-dash-${p}-`));

export interface PluginSpec {
  id: string;
  version: string;
  description?: string;
  dependsOn?: string;
  /** The status its answers have (default 200). */
  status?: number;
  /** A WebSocket endpoint instead: greets each connection with { id, version }, echoes messages. */
  websocket?: boolean;
}

/** Writes <root>/<id>/{plugin.yaml,index.mjs}: an in-process handler answering { id, version } on GET /<id>. */
export async function writePlugin(root: string, p: PluginSpec): Promise<void> {
  const dir = join(root, p.id);
  await mkdir(dir, { recursive: true });
  const body = `{ id: '${p.id}', version: '${p.version}' }`;
  const code = p.websocket
    ? `  onOpen() { return ${body}; },\n  onMessage(_conn, data) { return String(data); },\n`
    : `  handleRequest() { return { statusCode: ${p.status ?? 200}, body: ${body} }; },\n`;
  await writeFile(join(dir, 'index.mjs'), `export default {\n${code}};\n`);
  const lines = [
    `id: ${p.id}`,
    `name: ${p.id}`,
    `version: ${p.version}`,
    'kind: handler',
    ...(p.description ? [`description: ${JSON.stringify(p.description)}`] : []),
    'runtime:',
    '  type: inprocess',
    '  entry: index.mjs',
    ...(p.dependsOn ? ['dependencies:', `  - plugin: ${p.dependsOn}`, '    version: ">=1.0.0"'] : []),
    'endpoints:',
    `  - path: /${p.id}`,
    '    method: GET',
    ...(p.websocket ? ['    protocol: websocket'] : []),
    '    auth: none',
  ];
  await writeFile(join(dir, 'plugin.yaml'), lines.join('\n') + '\n');
}

export interface Stack {
  host: PluginHost;
  app: FastifyInstance;
  url: string;
  token: string;
  close(): Promise<void>;
}

export function stackConfig(mutate?: (c: HostConfig) => void): HostConfig {
  const c = defaultHostConfig();
  c.logging.level = 'silent';
  c.reload = { ...c.reload, watchWindowMs: 0 };
  c.state.keepVersions = 3;
  mutate?.(c);
  return c;
}

export async function startStack(pluginRoot: string, config = stackConfig()): Promise<Stack> {
  const stateDir = await tmp('state');
  const host = createHost({ config, logger: pino({ level: 'silent' }), pluginDirs: [pluginRoot] });
  await host.start();
  const app = await createGateway({ host, stateDir, env: {}, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    host,
    app,
    url,
    token: gatewayOf(app).adminToken.token,
    async close() {
      await app.close();
      await host.stop();
    },
  };
}

/** GET with a time bound; status and parsed JSON body. */
export async function get(url: string): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json };
}
