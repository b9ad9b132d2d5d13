// What every command that talks to a running gateway shares: --url, --token, --state-dir, --json,
// and where the token comes from (--token, $PLUGWAY_ADMIN_TOKEN, else the state dir's admin-token).
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdminClient, DEFAULT_ADMIN_URL } from '../toolkit/admin-client.js';
import { cliLog } from './log.js';

export interface AdminOpts {
  url: string;
  token?: string;
  stateDir?: string;
  json?: boolean;
}

export function withAdminOptions(cmd: Command, examples: string | string[]): Command {
  const list = Array.isArray(examples) ? examples : [examples];
  return cmd
    .option('--url <url>', 'the gateway', process.env.PLUGWAY_URL ?? DEFAULT_ADMIN_URL)
    .option('--token <token>', 'admin bearer token (default: $PLUGWAY_ADMIN_TOKEN, else <state dir>/admin-token)')
    .option('--state-dir <dir>', "the gateway's state dir, to read its admin-token from (default: $PLUGWAY_STATE_DIR, plugway.yaml's state.dir, else .plugway)")
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExample${list.length > 1 ? 's' : ''}:\n${list.map((e) => `  $ ${e}`).join('\n')}`);
}

/** state.dir of ./plugway.yaml without loading a YAML parser: a `state:` block's `dir:` line. */
function stateDirOfConfig(file: string): string | undefined {
  const m = /^state:\s*\n(?:[ \t]+.*\n)*?[ \t]+dir:\s*["']?([^"'\n#]+?)["']?\s*(?:#.*)?$/m.exec(readFileSync(file, 'utf8'));
  return m?.[1] ? resolve(file, '..', m[1]) : undefined;
}

/** The admin token a command uses, and where it came from (for messages). */
export function resolveCliToken(opts: { token?: string; stateDir?: string }, env: NodeJS.ProcessEnv = process.env): { token?: string; source: string } {
  if (opts.token) return { token: opts.token, source: '--token' };
  if (env.PLUGWAY_ADMIN_TOKEN) return { token: env.PLUGWAY_ADMIN_TOKEN, source: 'PLUGWAY_ADMIN_TOKEN' };
  const config = resolve('plugway.yaml');
  const dir = opts.stateDir ?? env.PLUGWAY_STATE_DIR ?? (existsSync(config) ? stateDirOfConfig(config) : undefined) ?? '.plugway';
  const file = resolve(dir, 'admin-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, source: file };
  } catch (err) {
    cliLog.debug(`no admin token in ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { source: 'none' };
}

export function adminClient(opts: AdminOpts): AdminClient {
  const { token, source } = resolveCliToken(opts);
  cliLog.debug(`admin API ${opts.url}; token from ${source}`);
  return new AdminClient({ url: opts.url, debug: cliLog.debug, ...(token ? { token, tokenSource: source } : {}) });
}
