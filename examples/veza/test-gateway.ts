// For the Veza examples' tests: a real host and gateway on a free loopback port, serving some of
// examples/veza's plugins with the config of examples/veza/plugway.yaml (jwt-auth, its dev secret,
// the plugins' configs), and dev tokens that jwt-auth accepts.
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import type { Host } from '../../src/host/types.js';
import { startGateway, tmpDir, type RunningGateway } from '../../test/gateway/helpers.js';
// @ts-expect-error: an .mjs example without types
import { devToken as sign } from './token.mjs';

export const VEZA = dirname(fileURLToPath(import.meta.url));
const ROOT = join(VEZA, '..', '..');

export const devToken = sign as (user: string, roles?: string[]) => Promise<string>;
export const bearer = async (user: string, ...roles: string[]) => ({ authorization: `Bearer ${await devToken(user, roles)}` });

export interface VezaGateway extends RunningGateway {
  host: Host;
}

/** Serves `ids` (folders of examples/veza) and the built-in jwt-auth, configured as plugway.yaml says. */
export async function serveVeza(ids: string[]): Promise<VezaGateway> {
  const config = await loadHostConfig({ file: join(VEZA, 'plugway.yaml'), env: {} });
  const root = await tmpDir('veza-plugins');
  for (const id of ids) await symlink(join(VEZA, id), join(root, id), 'dir');
  await symlink(join(ROOT, 'plugins', 'jwt-auth'), join(root, 'jwt-auth'), 'dir');
  config.plugins.directories = [root];
  config.state.dir = join(root, '.state');
  await mkdir(config.state.dir);
  config.logging.level = 'info';
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  for (const id of ids) if (host.get(id)?.state !== 'running') throw new Error(`${id} did not start: ${host.get(id)?.error?.message}`);
  const gw = await startGateway(host);
  return {
    ...gw,
    host,
    close: async () => {
      await gw.close();
      await host.stop();
    },
  };
}
