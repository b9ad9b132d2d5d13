// Helpers for host tests: a HostConfig, a silent logger, temp plugin folders written to disk, and
// waiting on host events instead of sleeping.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { HostConfig, PluginOverrides } from '../../src/host/config-types.js';
import { defaultHostConfig } from '../../src/host/config.js';
import type { PluginHost } from '../../src/host/host.js';

export const silent = pino({ level: 'silent' });

export function testConfig(patch: Partial<HostConfig['plugins']> = {}, configs: Record<string, Partial<PluginOverrides>> = {}): HostConfig {
  const c = defaultHostConfig();
  Object.assign(c.plugins, { defaultTimeoutMs: 2000, shutdownTimeoutMs: 5000 }, patch);
  for (const [id, o] of Object.entries(configs)) {
    c.plugins.configs[id] = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, ...o };
  }
  return c;
}

export async function tempDir(prefix = 'plugway-host-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes <root>/<id>/plugin.yaml and index.mjs; `yaml` lines are appended to the manifest. */
export async function writePlugin(root: string, id: string, code: string, yaml = '', version = '1.0.0'): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'plugin.yaml'), `id: ${id}\nname: ${id}\nversion: ${version}\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\n${yaml}`);
  await writeFile(join(dir, 'index.mjs'), code);
  return dir;
}

/** A plugin module that records its lifecycle calls on globalThis.__events (for ordering checks). */
export function recordingPlugin(id: string, extra = ''): string {
  return `const log = (globalThis.__events ??= []);
export default {
  init() { log.push(['init', '${id}', performance.now()]); },
  start() { log.push(['start', '${id}', performance.now()]); },
  stop() { log.push(['stop', '${id}', performance.now()]); },
  handleRequest(req) { return { statusCode: 200, body: { id: '${id}' } }; },
  ${extra}
};
`;
}

/** Resolves on the first host event of `type` matching `pred`. */
export function nextEvent<T>(host: PluginHost, type: string, pred: (data: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const off = host.events.on<T>(type, (e) => {
      if (pred(e.data)) {
        off();
        resolve(e.data);
      }
    });
  });
}
