// Named environments for the CLI (`--env staging`): each name maps to a gateway's admin URL and
// token, in the CLI's config file (PLUGWAY_CLI_CONFIG, else ~/.config/plugway/cli.yaml).
//
//   environments:
//     staging:    { url: https://gw-staging.internal:8443, token_env: STAGING_ADMIN_TOKEN }
//     production: { url: https://gw.internal:8443, token_file: /etc/plugway/prod-token }

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PlugwayError } from '../errors.js';

export interface Environment {
  name: string;
  url: string;
  token?: string;
}

export function cliConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLUGWAY_CLI_CONFIG || join(homedir(), '.config', 'plugway', 'cli.yaml');
}

export function resolveEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): Environment {
  const file = cliConfigFile(env);
  const usage = (reason: string) =>
    new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `--env ${name}: ${reason} (environments live in ${file}: "environments: { ${name}: { url: ..., token_env: VAR } }")` });
  if (!existsSync(file)) throw usage('there is no CLI config file');
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw usage(`the CLI config is not valid YAML: ${(err as Error).message}`);
  }
  const e = (doc as { environments?: Record<string, unknown> } | null)?.environments?.[name] as { url?: unknown; token?: unknown; token_env?: unknown; token_file?: unknown } | undefined;
  if (!e || typeof e !== 'object') throw usage('no such environment');
  if (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url)) throw usage('its url must be an http(s) URL');
  let token: string | undefined;
  if (typeof e.token === 'string') token = e.token;
  else if (typeof e.token_env === 'string') {
    token = env[e.token_env];
    if (!token) throw usage(`its token comes from $${e.token_env}, which is not set`);
  } else if (typeof e.token_file === 'string') {
    try {
      token = readFileSync(e.token_file, 'utf8').trim();
    } catch (err) {
      throw usage(`cannot read its token_file: ${(err as Error).message}`);
    }
  }
  return { name, url: e.url, ...(token ? { token } : {}) };
}
