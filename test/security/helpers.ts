// Shared by the security tests: plugin folders written into a temporary directory (any runtime),
// a host started from them and a gateway on a loopback port.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import type { HostConfig } from '../../src/host/config-types.js';
import type { Host } from '../../src/host/types.js';
import { startGateway, testConfig, type RunningGateway } from '../gateway/helpers.js';

export interface PluginFolder {
  id: string;
  /** plugin.yaml after the id line. */
  yaml: string;
  /** index.mjs */
  code?: string;
}

/** Writes each plugin into <root>/<id>/ and returns root. */
export async function pluginFolders(plugins: PluginFolder[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'plugway-sec-'));
  for (const p of plugins) {
    await mkdir(join(root, p.id));
    await writeFile(join(root, p.id, 'plugin.yaml'), `id: ${p.id}\nversion: 1.0.0\n${p.yaml}`);
    if (p.code !== undefined) await writeFile(join(root, p.id, 'index.mjs'), p.code);
  }
  return root;
}

export async function hostFrom(root: string, mutate?: (c: HostConfig) => void): Promise<Host> {
  const config = testConfig((c) => {
    c.plugins.directories = [root];
    mutate?.(c);
  });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  return host;
}

/** A host from plugin folders and a gateway on loopback; both closed by `close()`. */
export async function gatewayWith(plugins: PluginFolder[], mutate?: (c: HostConfig) => void, opts: Parameters<typeof startGateway>[1] = {}): Promise<RunningGateway & { host: Host }> {
  const host = await hostFrom(await pluginFolders(plugins), mutate);
  const gw = await startGateway(host, opts);
  return {
    ...gw,
    host,
    close: async () => {
      await gw.close();
      await host.stop();
    },
  };
}

export const handlerYaml = (runtime: 'inprocess' | 'worker', paths: string[], extra = '') =>
  `kind: handler\nruntime:\n  type: ${runtime}\n  entry: index.mjs\n${extra}endpoints:\n${paths.map((p) => `  - path: ${p}\n    method: GET\n`).join('')}`;
