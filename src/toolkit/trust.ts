// Which signing keys this host trusts: plugway.yaml's `trusted_keys` (HostConfig.trustedKeys) plus
// keys given on the command line. Any trusted key makes signatures mandatory for install.

import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlugwayError } from '../errors.js';
import type { HostConfig } from '../host/config-types.js';
import { loadHostConfig } from '../host/config.js';
import { parsePublicKey } from './signing.js';

export interface TrustSources {
  /** plugway.yaml; default ./plugway.yaml when it exists. */
  configFile?: string;
  /** PEM files given with --trusted-key. */
  keyFiles?: readonly string[];
}

/** The host config through the host's own loader (trusted_keys, plugins.directories). */
export async function readHostConfig(file: string): Promise<HostConfig> {
  return loadHostConfig({ file });
}

export function defaultConfigFile(configFile?: string): string | undefined {
  if (configFile) return resolve(configFile);
  const local = resolve('plugway.yaml');
  return existsSync(local) ? local : undefined;
}

export async function loadTrustedKeys(sources: TrustSources): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  const file = defaultConfigFile(sources.configFile);
  if (file) for (const k of (await readHostConfig(file)).trustedKeys ?? []) keys.push(parsePublicKey(k));
  for (const f of sources.keyFiles ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `cannot read trusted key ${f}: ${(err as Error).message}` });
    }
    keys.push(parsePublicKey(text));
  }
  return keys;
}
