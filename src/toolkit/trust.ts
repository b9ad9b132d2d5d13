// Which signing keys this host trusts: plugway.yaml's `trusted_keys` (HostConfig.trustedKeys) plus
// keys given on the command line. Any trusted key makes signatures mandatory for install.

import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PlugwayError } from '../errors.js';
import type { HostConfig } from '../host/config-types.js';
import { parsePublicKey } from './signing.js';

export interface TrustSources {
  /** plugway.yaml; default ./plugway.yaml when it exists. */
  configFile?: string;
  /** PEM files given with --trusted-key. */
  keyFiles?: readonly string[];
}

type ConfigModule = { loadHostConfig?: (file?: string) => Promise<HostConfig> | HostConfig };

/** The host config through the host's own loader (src/host/config.ts); plain YAML until that loader exists. */
export async function readHostConfig(file: string): Promise<Pick<HostConfig, 'trustedKeys'> & { plugins?: { directories: string[] } }> {
  const candidates = [new URL('../host/config.js', import.meta.url), new URL('../host/config.ts', import.meta.url)];
  for (const url of candidates) {
    if (!existsSync(url)) continue;
    const mod = (await import(url.href)) as ConfigModule;
    if (typeof mod.loadHostConfig === 'function') return mod.loadHostConfig(file);
  }
  let raw: { trusted_keys?: unknown; plugins?: { directories?: unknown } };
  try {
    raw = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as typeof raw;
  } catch (err) {
    throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file, path: '(file)', reason: (err as Error).message });
  }
  const keys = raw.trusted_keys ?? [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file, path: 'trusted_keys', reason: 'must be a list of ed25519 public keys (PEM or base64)' });
  }
  const dirs = Array.isArray(raw.plugins?.directories) ? (raw.plugins.directories as string[]) : [];
  return { trustedKeys: keys as string[], plugins: { directories: dirs.map((d) => resolve(file, '..', d)) } };
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
