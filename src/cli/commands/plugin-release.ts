// `plugway plugin versions | rollback | canary [promote|abort]`: releases of a running gateway's plugins
// through its admin API (docs/hot-reload.md) — kept versions, rollback, canary start, status, promote, abort.
import { InvalidArgumentError, type Command } from 'commander';
import { PlugwayError } from '../../errors.js';
import type { AdminCanary, AdminSwap } from '../../toolkit/admin-client.js';
import { table } from '../../toolkit/report.js';
import { adminClient as client, withAdminOptions, type AdminOpts } from '../admin-options.js';

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (v: unknown): void => out(JSON.stringify(v, null, 2));
const when = (s: unknown): string => (typeof s === 'string' && s ? s.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const hash12 = (h: unknown): string => (typeof h === 'string' && h ? h.slice(0, 12) : '-');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => `${Math.round(x * 10) / 10} ms`;

function parsePercent(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new InvalidArgumentError('a number above 0 and below 100 (use "canary promote" for 100)');
  return n;
}

function parseSticky(v: string): 'user' | 'none' {
  if (v !== 'user' && v !== 'none') throw new InvalidArgumentError('"user" or "none"');
  return v;
}

function swapLine(verb: string, r: AdminSwap): string {
  return `${verb} ${r.id}: ${r.from} → ${r.version} (${hash12(r.hash)}), cut-over ${ms(r.cut_over_ms)}, drained in ${ms(r.drain_ms)}${r.drained ? '' : ' (drain deadline reached)'}`;
}

function canaryTable(c: AdminCanary): string {
  const row = (role: string, v: AdminCanary['stable']) => [role, v.version, v.state, v.calls, v.errors, pct(v.error_rate), ms(v.mean_ms), v.in_flight];
  const head = `canary of ${c.id}: ${c.percent}% of the calls to ${c.canary.version} (sticky by ${c.sticky_by}) since ${when(c.started_at)}`;
  return `${head}\n${table(['role', 'version', 'state', 'calls', 'errors', 'error rate', 'mean', 'in flight'], [row('stable', c.stable), row('canary', c.canary)])}`;
}

export function register(plugin: Command): void {
  withAdminOptions(plugin.command('versions').description('the versions kept for a plugin (newest first), the active one and the pinned one').argument('<id>', 'plugin id'), [
    'plugway plugin versions hello',
  ]).action(async (id: string, opts: AdminOpts) => {
    const r = await client(opts).versions(id);
    if (opts.json) return json(r);
    const rows = r.versions.map((v) => [v.active ? '*' : '', v.version, hash12(v.hash), when(v.saved_at), r.desired?.hash === v.hash && r.desired.pinned ? 'yes' : '']);
    let text = rows.length ? table(['active', 'version', 'hash', 'saved at', 'pinned'], rows) : 'no versions kept (the gateway keeps them in its state dir)';
    text += `\nactive: ${r.active.version} (${hash12(r.active.hash)})`;
    if (r.watching) text += `\nwatching ${r.watching.version} since ${when(r.watching.since)}: ${r.watching.calls} calls, ${r.watching.errors} errors; rolls back to ${r.watching.standby} if it trips`;
    if (r.canary) text += `\ncanary: ${r.canary.canary.version} at ${r.canary.percent}% (plugway plugin canary ${id})`;
    out(text);
  });

  withAdminOptions(
    plugin
      .command('rollback')
      .description('switch back (blue-green) to the previous kept version, or to --version; the choice is pinned across restarts')
      .argument('<id>', 'plugin id')
      .option('--version <version>', 'a kept version or a hash prefix (7+ characters); default: the previous one'),
    ['plugway plugin rollback hello', 'plugway plugin rollback hello --version 1.2.0'],
  ).action(async (id: string, opts: AdminOpts & { version?: string }) => {
    const r = await client(opts).rollback(id, opts.version);
    if (opts.json) return json(r);
    out(swapLine('Rolled back', r));
  });

  // `canary <id>` starts one (or, without --version/--percent, shows it); promote and abort are
  // subcommands. Positional options keep each subcommand's --json/--url its own.
  const canary = withAdminOptions(
    plugin
      .command('canary')
      .description('route a share of the calls to another version; without --version and --percent: show the running canary')
      .argument('<id>', 'plugin id')
      .option('--version <version>', 'the version on disk, or a kept version (or hash prefix)')
      .option('--percent <n>', 'share of the calls for the canary, above 0 and below 100', parsePercent)
      .option('--sticky-by <key>', 'user: the same user always lands on the same version; none: per request', parseSticky, 'none')
      .enablePositionalOptions(),
    [
      'plugway plugin canary hello --version 2.0.0 --percent 10 --sticky-by user',
      'plugway plugin canary hello            # side-by-side metrics',
      'plugway plugin canary promote hello',
      'plugway plugin canary abort hello',
    ],
  ).action(async (id: string, opts: AdminOpts & { version?: string; percent?: number; stickyBy: 'user' | 'none' }) => {
    const c = client(opts);
    if (opts.version === undefined && opts.percent === undefined) {
      const r = await c.canaryStatus(id);
      if (opts.json) return json(r);
      return out(r.canary === null ? `no canary of ${id} is running` : canaryTable(r as AdminCanary));
    }
    if (opts.version === undefined || opts.percent === undefined) {
      throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: 'give both --version and --percent (e.g. --version 2.0.0 --percent 10)' });
    }
    const r = await c.canary(id, { version: opts.version, percent: opts.percent, sticky_by: opts.stickyBy });
    if (opts.json) return json(r);
    out(`Started ${canaryTable(r)}\nthen: plugway plugin canary promote ${id}   or   plugway plugin canary abort ${id}`);
  });

  withAdminOptions(canary.command('promote').description('make the running canary the active version (blue-green cut-over, then the watch window)').argument('<id>', 'plugin id'), [
    'plugway plugin canary promote hello',
  ]).action(async (id: string, opts: AdminOpts) => {
    const r = await client(opts).promote(id);
    if (opts.json) return json(r);
    out(swapLine('Promoted', r));
  });

  withAdminOptions(canary.command('abort').description('stop routing to the running canary; drain and stop it').argument('<id>', 'plugin id'), ['plugway plugin canary abort hello']).action(
    async (id: string, opts: AdminOpts) => {
      const r = await client(opts).abort(id);
      if (opts.json) return json(r);
      out(`Aborted the canary of ${id}; ${r.version} serves all calls`);
    },
  );
}
